import Foundation
import Glibc
import Testing

/// A live server with the test route's two fences and a simulated fleet driving into them, for the map's tests.
final class MapFleet {
    let db: String
    let server: LiveServer
    let sender: Process
    /// A token of the role asked for (empty when none was).
    let token: String

    init(_ name: String, vehicles: Int, rate: Int, duration: Int, prefix: String, role: String? = nil) throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("\(name).sqlite").path
        self.db = db
        let route = try ServeCommandTests.zones(folder, db: db)
        token =
            try role.map {
                try OrbitaProcess.run(["token", "create", "--role", $0, "--db", db]).stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            } ?? ""
        server = try LiveServer(db: db, ["--register-unknown", "--commit-interval", "0.2"])
        sender = try server.simulate(vehicles: vehicles, rate: rate, duration: duration, route: route, prefix: prefix)
        Thread.sleep(forTimeInterval: 1.5)
    }

    deinit {
        sender.terminate()
        _ = server.stop(SIGTERM)
    }
}

/// A tmux session (160 × 48) running one shell command, on a tmux server of the test run's own (its own socket, so
/// no user session is touched and no user setting applies); killed when released.
final class TmuxSession {
    let name: String
    private static let socket = "orbita-tests-\(getpid())"

    init(_ name: String, command: String) {
        self.name = "\(name)-\(getpid())"
        Self.command(["new-session", "-d", "-s", self.name, "-x", "160", "-y", "48", command])
    }

    deinit { Self.command(["kill-session", "-t", name]) }

    /// A tmux command whose output is not needed.
    static func command(_ arguments: [String]) {
        _ = run("/usr/bin/tmux", ["-L", socket, "-f", "/dev/null"] + arguments)
    }

    /// A tmux command's output.
    static func tmux(_ arguments: [String]) -> String { run("/usr/bin/tmux", ["-L", socket] + arguments) }

    /// A tool's standard output. Spawned directly with every descriptor above 2 closed in the child, not with
    /// Foundation's Process: the first tmux command forks the tmux server, which keeps what it inherits, and
    /// Process waits for its own monitoring socket (and any output pipe) to close, which a daemon never does.
    static func run(_ tool: String, _ arguments: [String]) -> String {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return "" }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // glibc ignores closing a descriptor that is not open (it fails only out of range).
        for descriptor in 3..<1_024 { posix_spawn_file_actions_addclose(&actions, Int32(descriptor)) }
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, tool, &actions, nil, argv, environ)
        close(ends[1])
        defer { close(ends[0]) }
        guard spawned == 0 else { return "" }
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        // The server forked by new-session gets /dev/null, not this pipe, so EOF comes when the client exits.
        while true {
            let count = read(ends[0], &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return String(decoding: output, as: UTF8.self)
    }

    /// Sends keys (tmux key names).
    func send(_ keys: String...) { for key in keys { Self.command(["send-keys", "-t", name, key]) } }

    /// The screen's lines after the map had time to redraw.
    func screen() -> [String] {
        Thread.sleep(forTimeInterval: 0.8)
        return Self.tmux(["capture-pane", "-p", "-t", name]).split(separator: "\n").map(String.init)
    }

    /// The status line (the last line with text).
    func status() -> String { screen().last ?? "" }

    /// A tmux format about the pane, e.g. `#{alternate_on}`.
    func query(_ format: String) -> String { Self.tmux(["display", "-p", "-t", name, format]) }
}

/// `orbita map` in a real terminal: tmux (160 × 48), keys sent with send-keys, the screen read with capture-pane.
@Suite(
    "orbita map in tmux", .serialized,
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "tmux is not installed"))
struct MapTerminalTests {
    @Test func aLiveMapShowsMovingVehiclesAnswersKeysAndRestoresTheTerminal() throws {
        let fleet = try MapFleet("tmux", vehicles: 5, rate: 2, duration: 20, prefix: "TMX")
        defer { withExtendedLifetime(fleet) {} }  // the server and sender live to the end
        let map = TmuxSession(
            "orbita-db", command: "\(OrbitaProcess.binary.path) map --db \(fleet.db); echo MAP-EXITED; sleep 30")
        func metresPerDot(_ status: String) -> Double? {
            let words = status.split(separator: " ")
            guard let index = words.firstIndex(of: "m/dot"), index > 0 else { return nil }
            return Double(words[index - 1])
        }

        let first = map.screen()
        #expect(first.last?.contains("5 vehicles") == true, "\(first.last ?? "")")
        #expect(map.query("#{alternate_on}").hasPrefix("1"))
        Thread.sleep(forTimeInterval: 1.5)
        let later = map.screen()
        let mapOf = { (lines: [String]) in lines.dropLast(2).map { String($0.prefix(100)) } }
        #expect(mapOf(first) != mapOf(later), "vehicles move on the map")

        map.send("Tab")
        #expect(map.status().contains("selected TMX0001"))
        map.send("f")
        let following = map.status()
        #expect(following.contains("following TMX0001") || following.contains("follow TMX0001"))
        let before = metresPerDot(map.status())
        map.send("+")
        let zoomed = metresPerDot(map.status())
        #expect(before != nil && zoomed != nil && zoomed! < before!, "zoom in: \(String(describing: (before, zoomed)))")
        map.send("Left")
        #expect(!map.status().contains("follow TMX0001"), "panning ends follow")
        map.send("r")
        let replay = map.status()
        #expect(replay.contains("REPLAY TMX0001") && replay.contains("fix 1/"), "\(replay)")
        map.send("Right", "Right")
        #expect(map.status().contains("fix 3/"), "→ steps")
        map.send("Space")
        #expect(map.status().contains("playing"))
        map.send("Escape")
        #expect(map.status().contains("replay ended"))
        map.send("?")
        #expect(map.screen().joined().contains("q quit"), "help")
        TmuxSession.command(["resize-window", "-t", map.name, "-x", "100", "-y", "30"])
        let resized = map.screen()
        #expect(resized.count <= 30 && resized.allSatisfy { $0.count <= 100 }, "\(resized.joined(separator: "\n"))")
        #expect(resized.last?.contains("5 vehicles") == true, "redrawn at the new size: \(resized.last ?? "")")
        map.send("q")
        #expect(map.screen().joined().contains("MAP-EXITED"))
        #expect(map.query("#{alternate_on}").hasPrefix("0"), "alternate screen left")
        #expect(map.query("#{cursor_flag}").hasPrefix("1"), "cursor shown again")
    }

    /// A map opened before any vehicle reported shows nothing yet; the vehicles that then arrive — stale ones, from
    /// an old log — are fitted into view (dimmed squares), not only listed.
    @Test func vehiclesArrivingAfterTheMapOpenedAreFittedIntoView() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("empty.sqlite").path
        _ = try OrbitaProcess.run(["vehicles", "--db", db])  // creates the database
        let map = TmuxSession(
            "orbita-empty", command: "\(OrbitaProcess.binary.path) map --db \(db); echo MAP-EXITED; sleep 30")
        #expect(map.status().contains("no vehicles, geofences or routes yet"), "\(map.status())")
        let imported = try OrbitaProcess.run(["import", "fixtures/nmea/demo-fleet.nmea", "--db", db, "--quiet"])
        #expect(imported.status == 0)
        Thread.sleep(forTimeInterval: 1.5)
        let screen = map.screen()
        let view = screen.dropLast().map { String($0.prefix(100)) }.joined(separator: "\n")
        #expect(screen.last?.contains("3 vehicles") == true && screen.last?.contains("3 stale") == true)
        #expect(view.filter { $0 == "□" }.count + view.filter { ("2"..."3").contains($0) }.count >= 1, "\(view)")
        #expect(view.contains("35100000000000"), "\(view)")
        map.send("q")
        #expect(map.screen().joined().contains("MAP-EXITED"))
    }

    /// The map on a server's API (no database access): live over the WebSocket, replay over REST, acknowledging as
    /// the token's role allows.
    @Test(arguments: ["viewer", "dispatcher"])
    func aMapOnTheServerFollowsTheLiveFeedAndAcknowledgesAsTheRoleAllows(role: String) throws {
        let fleet = try MapFleet("tmux-\(role)", vehicles: 6, rate: 2, duration: 25, prefix: "SRV", role: role)
        defer { withExtendedLifetime(fleet) {} }  // the server and sender live to the end
        let map = TmuxSession(
            "orbita-server-\(role)",
            command: "ORBITA_TOKEN=\(fleet.token) \(OrbitaProcess.binary.path) map --server http://\(fleet.server.http)"
                + "; echo MAP-EXITED; sleep 30")

        #expect(map.status().contains("[live] 6 vehicles"), "\(map.status())")
        // The fences lie 40–50 m ahead of the first vehicles: wait for an unacknowledged event in the panel.
        var panel = ""
        for _ in 0..<20 where !panel.contains("geofenceEnter") {
            panel = map.screen().joined(separator: "\n")
        }
        #expect(panel.contains("*") && panel.contains("geofenceEnter"), "\(panel)")
        map.send("e", "a")
        let answer = map.status()
        if role == "viewer" {
            #expect(answer.contains("acknowledging failed") && answer.contains("dispatcher"), "\(answer)")
        } else {
            #expect(answer.contains("acknowledged"), "\(answer)")
        }
        map.send("Escape", "Tab", "r")
        #expect(map.status().contains("REPLAY SRV0001"), "replay over REST")
        map.send("q")
        #expect(map.screen().joined().contains("MAP-EXITED"))
        #expect(map.query("#{alternate_on}").hasPrefix("0"))
    }

    /// A crash (SIGSEGV, SIGABRT) or a hang-up still leaves the terminal usable: main screen, cursor shown.
    @Test(arguments: [SIGSEGV, SIGABRT, SIGHUP])
    func aCrashRestoresTheTerminal(signal: Int32) throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("crash.sqlite").path
        _ = try ServeCommandTests.zones(folder, db: db)
        let map = TmuxSession(
            "orbita-crash-\(signal)",
            command: "\(OrbitaProcess.binary.path) map --db \(db); echo MAP-EXITED $?; sleep 30")
        #expect(map.status().contains("2 geofences"), "\(map.status())")
        #expect(map.query("#{alternate_on}").hasPrefix("1"))
        let shell = map.query("#{pane_pid}").trimmingCharacters(in: .whitespacesAndNewlines)
        let children = TmuxSession.run("/usr/bin/pgrep", ["-P", shell])
        let pid = try #require(Int32(children.split(separator: "\n").first ?? ""), "\(children)")
        kill(pid, signal)
        let after = map.screen().joined(separator: "\n")
        #expect(after.contains("MAP-EXITED \(128 + signal)"), "\(after)")
        #expect(map.query("#{alternate_on}").hasPrefix("0"), "alternate screen left")
        #expect(map.query("#{cursor_flag}").hasPrefix("1"), "cursor shown again")
    }
}
