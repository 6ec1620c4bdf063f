import Foundation
import Testing

/// `orbita map` in a real terminal: tmux (160 × 48), keys sent with send-keys, the screen read with capture-pane.
@Suite(
    "orbita map in tmux", .serialized,
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "tmux is not installed"))
struct MapTerminalTests {
    static func tmux(_ arguments: [String]) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tmux")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try? process.run()
        process.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test func aLiveMapShowsMovingVehiclesAnswersKeysAndRestoresTheTerminal() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("tmux.sqlite").path
        let route = try ServeCommandTests.zones(folder, db: db)
        let server = try LiveServer(db: db, ["--register-unknown", "--commit-interval", "0.2"])
        defer { _ = server.stop(SIGTERM) }
        let sender = try server.simulate(vehicles: 5, rate: 2, duration: 20, route: route, prefix: "TMX")
        defer { sender.terminate() }
        Thread.sleep(forTimeInterval: 1.5)
        let session = "orbita-test-\(getpid())"
        _ = Self.tmux([
            "new-session", "-d", "-s", session, "-x", "160", "-y", "48",
            "\(OrbitaProcess.binary.path) map --db \(db); echo MAP-EXITED; sleep 30",
        ])
        defer { _ = Self.tmux(["kill-session", "-t", session]) }
        func screen() -> [String] {
            Thread.sleep(forTimeInterval: 0.8)
            return Self.tmux(["capture-pane", "-p", "-t", session]).split(
                separator: "\n", omittingEmptySubsequences: false
            )
            .map(String.init)
        }
        func status(_ lines: [String]) -> String { lines.last { !$0.isEmpty } ?? "" }
        func metresPerDot(_ lines: [String]) -> Double? {
            let words = status(lines).split(separator: " ")
            guard let index = words.firstIndex(of: "m/dot"), index > 0 else { return nil }
            return Double(words[index - 1])
        }

        let first = screen()
        #expect(status(first).contains("5 vehicles"), "\(status(first))")
        #expect(Self.tmux(["display", "-p", "-t", session, "#{alternate_on}"]).hasPrefix("1"))
        Thread.sleep(forTimeInterval: 1.5)
        let later = screen()
        let mapOf = { (lines: [String]) in lines.dropLast(2).map { String($0.prefix(100)) } }
        #expect(mapOf(first) != mapOf(later), "vehicles move on the map")

        _ = Self.tmux(["send-keys", "-t", session, "Tab"])
        #expect(status(screen()).contains("selected TMX0001"))
        _ = Self.tmux(["send-keys", "-t", session, "f"])
        let following = screen()
        #expect(status(following).contains("following TMX0001") || status(following).contains("follow TMX0001"))
        let before = metresPerDot(screen())
        _ = Self.tmux(["send-keys", "-t", session, "+"])
        let zoomed = metresPerDot(screen())
        #expect(
            before != nil && zoomed != nil && zoomed! < before!,
            "zoom in: \(String(describing: before)) → \(String(describing: zoomed))")
        _ = Self.tmux(["send-keys", "-t", session, "Left"])
        let panned = screen()
        #expect(!status(panned).contains("follow TMX0001"), "panning ends follow")
        _ = Self.tmux(["send-keys", "-t", session, "r"])
        let replay = status(screen())
        #expect(replay.contains("REPLAY TMX0001") && replay.contains("fix 1/"), "\(replay)")
        _ = Self.tmux(["send-keys", "-t", session, "Right"])
        _ = Self.tmux(["send-keys", "-t", session, "Right"])
        #expect(status(screen()).contains("fix 3/"), "→ steps")
        _ = Self.tmux(["send-keys", "-t", session, "Space"])
        #expect(status(screen()).contains("playing"))
        _ = Self.tmux(["send-keys", "-t", session, "Escape"])
        #expect(status(screen()).contains("replay ended"))
        _ = Self.tmux(["send-keys", "-t", session, "?"])
        #expect(screen().joined().contains("q quit"), "help")
        _ = Self.tmux(["send-keys", "-t", session, "q"])
        let after = screen()
        #expect(after.joined().contains("MAP-EXITED"))
        #expect(Self.tmux(["display", "-p", "-t", session, "#{alternate_on}"]).hasPrefix("0"), "alternate screen left")
        #expect(Self.tmux(["display", "-p", "-t", session, "#{cursor_flag}"]).hasPrefix("1"), "cursor shown again")
    }
}
