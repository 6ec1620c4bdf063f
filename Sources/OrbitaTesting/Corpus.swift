public import Foundation

/// Locates the shared real-data corpus (`../shared/corpus` next to the project) and the project's own fixtures.
///
/// Tests that need the corpus use `.enabled(if: Corpus.isPresent, "…")` so that they skip with a reason when it is
/// absent. `ORBITA_CORPUS` overrides the location.
public enum Corpus {
    /// The project's root folder (where Package.swift is).
    public static let projectRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// The corpus folder.
    public static let root: URL = {
        if let path = ProcessInfo.processInfo.environment["ORBITA_CORPUS"] {
            return URL(fileURLWithPath: path)
        }
        return projectRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")
    }()

    /// True when the corpus folder exists.
    public static var isPresent: Bool {
        FileManager.default.fileExists(atPath: root.appendingPathComponent("README.md").path)
    }

    /// A file or folder inside the corpus.
    public static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    /// A file or folder inside the project's `fixtures/`.
    public static func fixture(_ relativePath: String) -> URL {
        projectRoot.appendingPathComponent("fixtures").appendingPathComponent(relativePath)
    }

    /// The names of the files in a corpus folder with a given extension, sorted.
    public static func files(in folder: String, withExtension ext: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url(folder).path)) ?? []
        return names.filter { $0.hasSuffix("." + ext) }.sorted()
    }

    /// The bytes of a file (empty if unreadable; tests then fail on their own expectations).
    public static func bytes(_ url: URL) -> [UInt8] {
        (try? Data(contentsOf: url)).map { [UInt8]($0) } ?? []
    }
}
