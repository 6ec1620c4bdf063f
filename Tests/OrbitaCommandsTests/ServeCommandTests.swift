import Foundation
import Glibc
import OrbitaModel
import Storage
import Testing

/// `orbita serve` as a process on loopback ports chosen by the system, read from its ready line.
final class LiveServer {
    let process = Process()
    let udp: String
    let tcp: String
    let http: String
    /// The first line the server printed.
    let readyLine: String
    private let errors: Pipe

    /// - Parameter launcher: a command that runs the server (e.g. `prlimit --nofile=256:256`), or none.
    init(db: String, _ extra: [String] = [], environment: [String: String] = [:], launcher: [String] = []) throws {
        process.executableURL = launcher.first.map { URL(fileURLWithPath: $0) } ?? OrbitaProcess.binary
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.arguments =
            (launcher.isEmpty ? [] : Array(launcher.dropFirst()) + [OrbitaProcess.binary.path])
            + ["serve", "--db", db, "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0"] + extra
        let out = Pipe()
        errors = Pipe()
        process.standardOutput = out
        process.standardError = errors
        try process.run()
        // The first line on stdout names the bound ports.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        readyLine = text
        func field(_ name: String) -> String {
            text.split(separator: " ").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
                ?? ""
        }
        udp = field("udp")
        tcp = field("tcp")
        http = field("http").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Sends a signal and waits for the exit status.
    func stop(_ signal: Int32 = SIGTERM) -> Int32 {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The server's log so far (after it stopped).
    var log: String { String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }

    /// Starts `orbita simulate` sending to this server's UDP port along the route in `route` (output discarded).
    func simulate(vehicles: Int, rate: Int, duration: Int, route: URL, prefix: String) throws -> Process {
        let sender = Process()
        sender.executableURL = OrbitaProcess.binary
        sender.arguments = [
            "simulate", "--to", "udp://\(udp)", "--vehicles", "\(vehicles)", "--rate", "\(rate)", "--duration",
            "\(duration)", "--geojson", route.path, "--prefix", prefix, "--quiet",
        ]
        sender.standardOutput = Pipe()
        try sender.run()
        return sender
    }

    /// GET on the HTTP port: status and body.
    func get(_ path: String) -> (status: Int, body: String) { request("GET", path) }

    /// Any request on the HTTP port (HTTP/1.1, one connection): status and body.
    func request(_ method: String, _ path: String, token: String? = nil, body: [UInt8] = []) -> (
        status: Int, body: String
    ) {
        let parts = http.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { return (0, "") }
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return (0, "") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" {
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        }
        let bytes = Array((head + "\r\n").utf8) + body
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { break }
            sent += count
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    /// A Prometheus sample's value (the sum over series whose labels contain `labels`).
    func metric(_ name: String, _ labels: String = "") -> Double {
        get("/metrics").body.split(separator: "\n").filter {
            $0.hasPrefix(name) && !$0.hasPrefix("#") && (labels.isEmpty || $0.contains(labels))
                && ($0.dropFirst(name.count).first == " " || $0.dropFirst(name.count).first == "{")
        }.compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }
}

/// A UDP socket sending datagrams to a loopback port.
struct DatagramSocket {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    var address = sockaddr_in()

    init(to target: String) {
        let port = UInt16(target.split(separator: ":").last ?? "") ?? 0
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
    }

    func send(_ bytes: [UInt8]) {
        var target = address
        _ = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(socket, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    func close() { _ = Glibc.close(socket) }
}

@Suite("orbita serve and simulate (the binary, on loopback)", .serialized)
struct ServeCommandTests {
    /// A 1 km route north through central Moscow and two 100 m fences on it (a vehicle starting at 0 m or 500 m
    /// enters one within seconds).
    static func zones(_ folder: URL, db: String) throws -> URL {
        let route = folder.appendingPathComponent("route.geojson")
        try """
        {"type":"LineString","coordinates":[[37.6173,55.7500],[37.6173,55.7590]]}
        """.write(to: route, atomically: true, encoding: .utf8)
        for (name, latitude) in [("north", 55.75135), ("south", 55.75585)] {
            let result = try OrbitaProcess.run([
                "geofence", "add", name, "--circle", "\(latitude),37.6173,100", "--db", db,
            ])
            #expect(result.status == 0, "\(result.stderr)")
        }
        return route
    }

    static func fixes(_ db: String) throws -> [String: [Int64]] {
        let store = try TestBackend.open(db)
        var table: [String: [Int64]] = [:]
        for vehicle in try store.vehicles() {
            table[vehicle.id] = try store.track(vehicleID: vehicle.id, from: nil, to: nil).map(
                \.time.microsecondsSinceEpoch)
        }
        return table.filter { !$0.value.isEmpty }
    }

    /// The stored events as JSON lines without their numbers (which depend on the order batches were stored in),
    /// sorted.
    static func events(_ db: String) throws -> [String] {
        let result = try OrbitaProcess.run(["events", "--db", db, "--format", "json"])
        return result.stdout.split(separator: "\n").map {
            String($0.replacing(/^\{"id":[0-9]+,/, with: "{"))
        }.sorted()
    }

    @Test(arguments: TestBackend.available)
    func aSimulatedFleetLandsOnceAndRaisesTheEventsAnImportRaises(backend: TestBackend) throws {
        let folder = ImportCommandTests.folder()
        let live = try backend.database(folder, "live")
        let offline = try backend.database(folder, "offline")
        let route = try Self.zones(folder, db: live)
        _ = try Self.zones(folder, db: offline)
        let server = try LiveServer(db: live, ["--register-unknown"])
        #expect(!server.udp.isEmpty && !server.tcp.isEmpty && !server.http.isEmpty)
        let sent = folder.appendingPathComponent("sent.nmea").path
        let simulate = try OrbitaProcess.run([
            "simulate", "--to", "udp://\(server.udp)", "--vehicles", "6", "--rate", "5", "--duration", "10",
            "--geojson", route.path, "--prefix", "SIM", "--log", sent, "--quiet",
        ])
        #expect(simulate.status == 0, "\(simulate.stderr)")
        #expect(simulate.stdout.contains("cycles=300"), "\(simulate.stdout)")
        #expect(server.get("/health").status == 200)
        #expect(server.stop(SIGTERM) == 0, "\(server.log)")

        let imported = try OrbitaProcess.run(["import", sent, "--db", offline, "--quiet"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let liveFixes = try Self.fixes(live)
        let offlineFixes = try Self.fixes(offline)
        // Every cycle sent is one fix, stored once: 6 vehicles × 50 cycles, distinct times.
        #expect(liveFixes.count == 6)
        #expect(liveFixes.values.map(\.count).reduce(0, +) == 300)
        #expect(liveFixes.values.allSatisfy { Set($0).count == $0.count })
        #expect(liveFixes == offlineFixes)
        let liveEvents = try Self.events(live)
        // Vehicles that start at the far terminal wait there; the others enter a fence within seconds.
        #expect(liveEvents.count >= 3, "\(liveEvents)")
        #expect(liveEvents == (try Self.events(offline)))
    }

    @Test func hostileTrafficIsCountedByReasonAndGoodFixesStillLand() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("hostile.sqlite").path
        for index in 1...4 {
            let result = try OrbitaProcess.run(["vehicles", "add", "GOOD000\(index)", "--kind", "bus", "--db", db])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let server = try LiveServer(db: db)
        let sent = folder.appendingPathComponent("good.nmea").path
        // Good traffic in the background while the hostile datagrams go in.
        let good = Process()
        good.executableURL = OrbitaProcess.binary
        good.arguments = [
            "simulate", "--to", "udp://\(server.udp)", "--vehicles", "4", "--rate", "4", "--duration", "4",
            "--prefix", "GOOD", "--log", sent, "--quiet",
        ]
        good.standardOutput = Pipe()
        try good.run()
        var rng = SystemRandomNumberGenerator()
        func valid(_ body: String) -> String {
            let checksum = body.utf8.reduce(UInt8(0), ^)
            return "$\(body)*\(String(format: "%02X", checksum))\r\n"
        }
        let rmc = valid("GNRMC,120000.00,A,5545.0000,N,03737.0000,E,0.0,,261126,,,A")
        let counts = (binary: 400, oversized: 300, garbage: 300, forged: 300, flood: 6_000)
        let hostile = DatagramSocket(to: server.udp)
        for _ in 0..<counts.binary {
            hostile.send(
                (0..<Int.random(in: 1...900, using: &rng)).map { _ in UInt8.random(in: 128...255, using: &rng) })
        }
        let oversized = DatagramSocket(to: server.udp)
        for _ in 0..<counts.oversized {
            oversized.send(Array((valid("PGID,GOOD0001") + rmc + String(repeating: "A", count: 1_600)).utf8))
        }
        let garbage = DatagramSocket(to: server.udp)
        for index in 0..<counts.garbage {
            // Bad checksums, truncated sentences, plain text: no valid sentence at all.
            let text = [
                rmc.replacingOccurrences(of: "*", with: "*F"), String(rmc.prefix(25)), "GET / HTTP/1.1\r\n\r\n",
            ][index % 3]
            garbage.send(Array(text.utf8))
        }
        let forged = DatagramSocket(to: server.udp)
        for index in 0..<counts.forged {
            let time = String(format: "12%02d%02d.00", index / 60, index % 60)
            forged.send(
                Array(
                    (valid("PGID,FORGED\(index % 7)9")
                        + valid("GNRMC,\(time),A,5545.0000,N,03737.0000,E,0.0,,261126,,,A")).utf8))
        }
        let flood = DatagramSocket(to: server.udp)
        for _ in 0..<counts.flood { flood.send(Array((valid("PGID,GOOD0001") + rmc).utf8)) }
        for socket in [hostile, oversized, garbage, forged, flood] { socket.close() }
        good.waitUntilExit()
        #expect(good.terminationStatus == 0)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(server.get("/health").status == 200)
        #expect(server.metric("orbita_ingest_dropped_total", "reason=\"binary\"") == Double(counts.binary))
        #expect(server.metric("orbita_ingest_dropped_total", "reason=\"oversized\"") == Double(counts.oversized))
        #expect(server.metric("orbita_ingest_dropped_total", "reason=\"no_sentence\"") == Double(counts.garbage))
        #expect(server.metric("orbita_fixes_dropped_total", "reason=\"unregistered\"") == Double(counts.forged))
        #expect(server.metric("orbita_ingest_dropped_total", "reason=\"rate_limited\"") >= 3_000)
        let sources = server.get("/sources").body
        #expect(sources.contains("rate_limited"))
        #expect(server.stop(SIGINT) == 0)
        // Every good fix is stored: the log the simulator wrote, imported into a fresh database, holds the same
        // (vehicle, time) pairs as the server's database for the good vehicles.
        let check = folder.appendingPathComponent("good.sqlite").path
        _ = try OrbitaProcess.run(["import", sent, "--db", check, "--quiet"])
        let stored = try Self.fixes(db)
        let expected = try Self.fixes(check)
        for (vehicle, times) in expected {
            let have = Set(stored[vehicle] ?? [])
            #expect(
                Set(times).isSubset(of: have), "\(vehicle): \(Set(times).subtracting(have).count) good fixes missing")
        }
        #expect(expected.values.map(\.count).reduce(0, +) > 50)
    }

    @Test func aConfigFileSetsTheThresholdsAndFlagsOverrideIt() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("config.sqlite").path
        let config = folder.appendingPathComponent("orbita.yaml")
        try """
        register_unknown: true
        device_rate: 1          # overridden by --device-rate 0 below
        pipeline:
          maximum_hdop: 0.5     # the simulator's HDOP is 0.6–1.6: every fix is too poor
        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try LiveServer(db: db, ["--config", config.path, "--device-rate", "0"])
        let simulate = try OrbitaProcess.run([
            "simulate", "--to", "udp://\(server.udp)", "--vehicles", "3", "--rate", "5", "--duration", "2",
            "--prefix", "CFG", "--quiet",
        ])
        #expect(simulate.status == 0, "\(simulate.stderr)")
        Thread.sleep(forTimeInterval: 0.5)
        let poor = server.metric("orbita_fixes_dropped_total", "reason=\"poor_hdop\"")
        let noFix = server.metric("orbita_fixes_dropped_total", "reason=\"no_fix\"")
        #expect(poor >= 25 && poor + noFix == 30, "poor_hdop \(poor), no_fix \(noFix)")
        #expect(server.metric("orbita_fixes_dropped_total", "reason=\"unregistered\"") == 0)
        #expect(server.metric("orbita_ingest_dropped_total", "reason=\"rate_limited\"") == 0)
        #expect(server.metric("orbita_fixes_stored_total") == 0)
        #expect(server.stop(SIGTERM) == 0)

        // A key of an earlier version says what replaced it; so does the flag.
        try "source_rate: 200\n".write(to: config, atomically: true, encoding: .utf8)
        let old = try OrbitaProcess.run(["serve", "--config", config.path, "--db", db])
        #expect(old.status == 2)
        #expect(old.stderr.contains("source_rate is no longer a key") && old.stderr.contains("device_rate"))
        let flag = try OrbitaProcess.run(["serve", "--source-rate", "200", "--db", db])
        #expect(flag.status == 2)
        #expect(flag.stderr.contains("--source-rate is gone") && flag.stderr.contains("--device-rate"))

        // A misspelt key stops the server before it starts, naming the key.
        try "pipeline:\n  maximum_hdp: 3\n".write(to: config, atomically: true, encoding: .utf8)
        let refused = try OrbitaProcess.run(["serve", "--config", config.path, "--db", db])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("unknown key pipeline.maximum_hdp"), "\(refused.stderr)")
    }

    /// Without zones at the start the server has no event engine yet and builds one; with a fence far away it
    /// replaces the zones of the engine it has.
    @Test(arguments: [false, true])
    func fencesAddedWhileServingTakeEffectWithoutARestart(withAFenceAlready: Bool) throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("reload.sqlite").path
        let scratch = folder.appendingPathComponent("scratch.sqlite").path
        let route = try Self.zones(folder, db: scratch)  // the route file only: the fences go in later
        if withAFenceAlready {
            let far = try OrbitaProcess.run(["geofence", "add", "far", "--circle", "55.70,37.50,100", "--db", db])
            #expect(far.status == 0, "\(far.stderr)")
        }
        let server = try LiveServer(db: db, ["--register-unknown"])
        let sender = try server.simulate(vehicles: 6, rate: 2, duration: 10, route: route, prefix: "RLD")
        // Vehicles start 0 m and 500 m along the route, 40–50 m short of the fences added now.
        Thread.sleep(forTimeInterval: 1)
        // The processor has run fixes through the pipeline (commits come later, every second).
        #expect(!server.get("/health").body.contains("\"received\":0,"), "\(server.get("/health").body)")
        _ = try Self.zones(folder, db: db)
        sender.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.5)
        #expect(server.stop(SIGTERM) == 0)
        #expect(server.log.contains("zones reloaded"))
        let events = try Self.events(db)
        #expect(events.count { $0.contains("geofenceEnter") } >= 2, "\(events)")
    }

    @Test(arguments: TestBackend.available)
    func aKilledServerLosesNothingItCommittedOrAcknowledged(backend: TestBackend) throws {
        let folder = ImportCommandTests.folder()
        let db = try backend.database(folder, "killed")
        let route = try Self.zones(folder, db: db)
        let server = try LiveServer(db: db, ["--register-unknown", "--ack"])
        let sent = folder.appendingPathComponent("killed.nmea").path
        let sender = try AcknowledgedSender(
            to: server, vehicles: 40, rate: 10, duration: 4, route: route, log: sent)
        Thread.sleep(forTimeInterval: 2)
        let committedBeforeKill = server.metric("orbita_fixes_stored_total")
        #expect(committedBeforeKill > 0)
        #expect(server.stop(SIGKILL) == SIGKILL)
        let (summary, acknowledged) = sender.finish()
        #expect(acknowledged > 0, "\(summary)")
        // Restart on the same database: it opens (integrity checked below) and serves again.
        let restarted = try LiveServer(db: db, ["--register-unknown"])
        #expect(restarted.get("/health").status == 200)
        #expect(restarted.stop(SIGTERM) == 0)
        if backend == .sqlite { #expect(try SQLiteTrackStore(path: db).integrityCheck() == ["ok"]) }
        let stored = try Self.fixes(db).values.map(\.count).reduce(0, +)
        #expect(Double(stored) >= committedBeforeKill)
        // An OK means "decided and committed": stored, or dropped by the pipeline (no position, outlier). Those
        // the pipeline drops are counted by importing everything sent into a fresh database.
        let check = try backend.database(folder, "killed_check")
        _ = try OrbitaProcess.run(["import", sent, "--db", check, "--quiet"])
        let sentCycles = (try String(contentsOfFile: sent, encoding: .utf8)).components(separatedBy: "$PGID").count - 1
        let pipelineDrops = sentCycles - (try Self.fixes(check)).values.map(\.count).reduce(0, +)
        #expect(stored + pipelineDrops >= acknowledged, "stored \(stored), dropped \(pipelineDrops)")
    }
}

/// `orbita simulate` over TCP with `--ack`, in the background: what it sent (`--log`) and how much was acknowledged.
struct AcknowledgedSender {
    let process = Process()
    private let output = Pipe()

    /// Starts sending `vehicles` at `rate` Hz for `duration` s along `route` to `server`'s TCP port.
    init(to server: LiveServer, vehicles: Int, rate: Int, duration: Int, route: URL, log: String) throws {
        process.executableURL = OrbitaProcess.binary
        process.arguments = [
            "simulate", "--to", "tcp://\(server.tcp)", "--vehicles", "\(vehicles)", "--rate", "\(rate)", "--duration",
            "\(duration)", "--geojson", route.path, "--ack", "--log", log, "--quiet",
        ]
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
    }

    /// Waits for the sender's end: its summary line and the cycles acknowledged (-1 when it printed none).
    func finish() -> (summary: String, acknowledged: Int) {
        process.waitUntilExit()
        let summary = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let acknowledged =
            summary.split(separator: " ").first { $0.hasPrefix("acknowledged=") }.flatMap {
                Int($0.dropFirst("acknowledged=".count).trimmingCharacters(in: .whitespacesAndNewlines))
            } ?? -1
        return (summary, acknowledged)
    }
}
