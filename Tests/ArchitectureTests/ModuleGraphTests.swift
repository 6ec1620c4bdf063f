import Foundation
import Testing

/// The README's architecture table against `Package.swift`: every module of the package is listed, nothing listed
/// is not a module, and every first-party module a line names after `←` is a real dependency of it.
struct ModuleGraphTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A target of the manifest: its name, whether it is a test target, and its first-party dependencies.
    struct Target {
        var name: String
        var isTest: Bool
        var dependencies: Set<String>
    }

    /// The targets of `Package.swift`, read from its text (`.target(`, `.executableTarget(`, `.systemLibrary(`,
    /// `.testTarget(` calls; products of other packages left out).
    static func targets() throws -> [Target] {
        let text = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var targets: [Target] = []
        for kind in [".target(", ".executableTarget(", ".systemLibrary(", ".testTarget("] {
            var rest = text[...]
            while let start = rest.range(of: kind) {
                var depth = 0
                var end = start.upperBound
                for index in text[start.lowerBound...].indices {
                    if text[index] == "(" { depth += 1 }
                    if text[index] == ")" {
                        depth -= 1
                        if depth == 0 {
                            end = index
                            break
                        }
                    }
                }
                var call = String(text[start.upperBound..<end])
                rest = text[end...]
                while let product = call.range(of: ".product(") {
                    let close = call[product.upperBound...].firstIndex(of: ")") ?? call.endIndex
                    call.removeSubrange(product.lowerBound..<call.index(after: close))
                }
                let quoted = try Regex(#""([A-Za-z][A-Za-z-]*)""#)
                let names = call.matches(of: quoted).map { String(call[$0.range].dropFirst().dropLast()) }
                guard let name = call.firstMatch(of: try Regex(#"name: "([^"]+)""#)).map({ call[$0.range] }) else {
                    continue
                }
                let own = String(name.dropFirst("name: \"".count).dropLast())
                var dependencies = Set<String>()
                if let list = call.range(of: "dependencies: [") {
                    let after = call[list.upperBound...]
                    let close = after.firstIndex(of: "]") ?? after.endIndex
                    let segment = after[..<close]
                    dependencies = Set(names.filter { segment.contains("\"\($0)\"") })
                }
                targets.append(Target(name: own, isTest: kind == ".testTarget(", dependencies: dependencies))
            }
        }
        return targets
    }

    /// The README's table: module → the names after its `←`.
    static func table() throws -> [String: [String]] {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Architecture"))
        let open = try #require(readme.range(of: "```\n", range: section.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "```", range: open.upperBound..<readme.endIndex))
        var table: [String: String] = [:]
        var current: String?
        for line in readme[open.upperBound..<close.lowerBound].split(separator: "\n") {
            if let first = line.first, first != " " {
                current = String(line.prefix { $0 != " " })
                table[current!] = String(line)
            } else if let current {
                table[current, default: ""] += " " + line
            }
        }
        return table.mapValues { text in
            guard let arrow = text.range(of: "(← ") else { return [] }
            let inside = text[arrow.upperBound...].prefix { $0 != ")" }
            return inside.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    @Test func everyModuleIsListedAndItsArrowsAreRealDependencies() throws {
        let targets = try Self.targets().filter { !$0.isTest }
        #expect(targets.count > 20, "Package.swift was not read: \(targets.map(\.name))")
        let modules = Dictionary(uniqueKeysWithValues: targets.map { ($0.name, $0.dependencies) })
        let table = try Self.table()
        #expect(Set(table.keys) == Set(modules.keys), "README table vs Package.swift")
        // The model is the bottom (SwiftPM itself refuses cycles).
        #expect(modules["OrbitaModel"]?.isEmpty == true)
        for (module, named) in table {
            for dependency in named where modules[dependency] != nil {
                #expect(
                    modules[module]?.contains(dependency) == true, "\(module) ← \(dependency) is not in Package.swift")
            }
        }
    }
}
