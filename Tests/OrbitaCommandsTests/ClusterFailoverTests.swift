import Foundation
import Glibc
import HTTPTypes
import OrbitaModel
import OrbitaTesting
import Testing

/// Cluster nodes under the failures a fleet meets: TCP trackers that wait for acknowledgements while a node dies, a
/// node cut off from PostgreSQL, and a dispatcher on one node following vehicles another node processes.
@Suite("orbita serve --node: failover, a cut network, the live feed across nodes (the binary)", .serialized)
struct ClusterFailoverTests {
    /// What every test starts from: a database with the route and fences, a config with short leases, and the
    /// simulated fleet's log (200 vehicles, 16 cycles each) as datagrams.
    struct Fleet {
        let folder: URL
        let url: String
        let config: URL
        let log: URL
        let cycles: [[UInt8]]

        init(_ name: String) throws {
            folder = ImportCommandTests.folder()
            url = try PostgresTestServer.createDatabase(name)
            let route = try ServeCommandTests.zones(folder, db: url)
            config = folder.appendingPathComponent("cluster.yaml")
            // Short leases and hold-back keep the tests short; the defaults are 15 s and 2 s.
            try "cluster_lease_seconds: 3\ncluster_hold_back_seconds: 1\n".write(
                to: config, atomically: true, encoding: .utf8)
            log = folder.appendingPathComponent("fleet.nmea")
            let simulate = try OrbitaProcess.run([
                "simulate", "--to", "udp://127.0.0.1:9", "--vehicles", "200", "--rate", "1", "--duration", "16",
                "--geojson", route.path, "--prefix", "CL", "--log", log.path, "--quiet",
            ])
            #expect(simulate.status == 0, "\(simulate.stderr)")
            cycles = try ClusterServeTests.cycles(log)
            #expect(cycles.count == 3_200)
        }

        func node(_ name: String, db: String? = nil, _ extra: [String] = []) throws -> LiveServer {
            let server = try LiveServer(
                db: db ?? url, ["--node", name, "--register-unknown", "--config", config.path] + extra)
            #expect(!server.udp.isEmpty, "\(name) did not start: \(server.readyLine)")
            return server
        }

        /// Waits (≤ 60 s) until every node's inbox is empty and all 3,200 fixes are stored.
        func settle(_ nodes: [LiveServer]) {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if nodes.allSatisfy({ $0.get("/health").body.contains("\"inboxBacklog\":0") }),
                    (try? ServeCommandTests.fixes(url).values.map(\.count).reduce(0, +)) == 3_200
                {
                    return
                }
                Thread.sleep(forTimeInterval: 0.5)
            }
        }

        /// The stored fixes, events and report rows equal those of a single-node import of the log (report rows: see
        /// `expectReportRows`), and no fix is stored twice.
        func expectEqualToAnImport(_ label: String) throws {
            let single = try PostgresTestServer.createDatabase(label)
            _ = try ServeCommandTests.zones(folder, db: single)
            let imported = try OrbitaProcess.run(["import", log.path, "--db", single, "--quiet"])
            #expect(imported.status == 0, "\(imported.stderr)")
            let clustered = try ServeCommandTests.fixes(url)
            #expect(clustered.values.map(\.count).reduce(0, +) == 3_200)
            #expect(clustered.values.allSatisfy { Set($0).count == $0.count }, "a fix stored twice")
            #expect(clustered == (try ServeCommandTests.fixes(single)))
            let live = try ServeCommandTests.events(url)
            let offline = try ServeCommandTests.events(single)
            #expect(live.count >= 30, "\(live.count) events")
            #expect(
                live == offline,
                "cluster only: \(Set(live).subtracting(offline).sorted()) import only: \(Set(offline).subtracting(live).sorted())"
            )
            try expectReportRows(single)
        }

        /// Report rows, which each node maintained for the vehicles it owned while vehicles moved between nodes (a
        /// node died, was cut off, joined): they are what deriving the stored tracks again gives (`orbita report
        /// rebuild`), and for every vehicle whose stored track is the import's, the import's rows. A track can differ
        /// in where fixes were held: a fix stored in order keeps the parking hold the pipeline gave it, and a node that
        /// met a vehicle's fixes out of order (its first fixes through different nodes) holds differently.
        func expectReportRows(_ single: String) throws {
            let kinds = ["trips", "stops", "mileage", "summary"]
            func rows(_ db: String) throws -> [String: [Substring]] {
                var rows: [String: [Substring]] = [:]
                for kind in kinds {
                    let report = try ReportCommandTests.report(kind, db, ["--format", "json"])
                    #expect(report.status == 0 || kind == "stops", "\(kind): \(report.stderr)")
                    rows[kind] = report.stdout.split(separator: "\n")
                }
                return rows
            }
            let clustered = try rows(url)
            let imported = try rows(single)
            #expect(clustered["trips"]?.count == 200, "a trip a vehicle: \(clustered["trips"]?.count ?? 0)")
            // The stored tracks with their positions (held fixes stand where they were held).
            func tracks(_ db: String) throws -> [String: [String]] {
                let store = try TestBackend.open(db)
                var tracks: [String: [String]] = [:]
                for vehicle in try store.vehicles() {
                    tracks[vehicle.id] = try store.track(vehicleID: vehicle.id, from: nil, to: nil).map {
                        "\($0.time.microsecondsSinceEpoch) \($0.coordinate.latitude) \($0.coordinate.longitude)"
                    }
                }
                return tracks
            }
            let clusterTracks = try tracks(url)
            let importTracks = try tracks(single)
            let same = Set(clusterTracks.keys.filter { clusterTracks[$0] == importTracks[$0] })
            print(
                "cluster report rows: \(same.count) of \(clusterTracks.count) vehicles stored as the import stored them"
            )
            #expect(same.count >= clusterTracks.count * 9 / 10, "\(same.count) of \(clusterTracks.count)")
            func vehicle(_ line: Substring) -> String? {
                line.firstMatch(of: /"vehicle":"([^"]+)"/).map { String($0.1) }
            }
            for kind in kinds {
                let mine = (clustered[kind] ?? []).filter { vehicle($0).map(same.contains) ?? false }
                let theirs = (imported[kind] ?? []).filter { vehicle($0).map(same.contains) ?? false }
                #expect(
                    mine == theirs,
                    "\(kind): cluster only \(Set(mine).subtracting(theirs).sorted().prefix(2)), import only \(Set(theirs).subtracting(mine).sorted().prefix(2))"
                )
            }
            // Every vehicle's rows, and the fleet's summary, are those a derivation of the stored tracks gives.
            let rebuilt = try OrbitaProcess.run(["report", "rebuild", "--db", url])
            #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
            let derived = try rows(url)
            for kind in kinds {
                let mine = clustered[kind] ?? []
                let again = derived[kind] ?? []
                #expect(
                    mine == again,
                    "\(kind): maintained only \(Set(mine).subtracting(again).sorted().prefix(2)), rebuilt only \(Set(again).subtracting(mine).sorted().prefix(2))"
                )
            }
        }
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.skipReason)))
    func everyAcknowledgedFixIsStoredWhenANodeDies() throws {
        let fleet = try Fleet("cluster_ack")
        var nodes = [
            "n1": try fleet.node("n1", ["--ack"]), "n2": try fleet.node("n2", ["--ack"]),
            "n3": try fleet.node("n3", ["--ack"]),
        ]
        Thread.sleep(forTimeInterval: 2)
        var connections = nodes.mapValues { AcknowledgedConnection(to: $0.tcp) }
        // Each tracker keeps one connection, as a TCP tracker does: vehicle v to node n1, n2 or n3 by v % 3.
        var home = (0..<200).map { ["n1", "n2", "n3"][$0 % 3] }
        // What went to each connection, in order: a tracker resends what was not acknowledged.
        var sent: [String: [Int]] = [:]
        func send(_ range: Range<Int>) {
            for start in stride(from: range.lowerBound, to: range.upperBound, by: 200) {
                for index in start..<min(start + 200, range.upperBound) {
                    let name = home[index % 200]
                    connections[name]!.send(fleet.cycles[index])
                    sent[name, default: []].append(index)
                }
                Thread.sleep(forTimeInterval: 0.25)
            }
        }
        send(0..<1_000)
        #expect(ClusterServeTests.halt(nodes["n2"]!, SIGKILL) == SIGKILL)
        Thread.sleep(forTimeInterval: 0.2)
        // n2's trackers reconnect to n1 or n3 and first resend, in order, what n2 did not acknowledge
        // (acknowledgements come in the order the fixes were sent).
        let acknowledgedByKilled = connections["n2"]!.acknowledged
        connections["n2"]!.close()
        connections["n2"] = nil
        #expect(acknowledgedByKilled > 0, "n2 acknowledged nothing before it was killed")
        for vehicle in home.indices where home[vehicle] == "n2" { home[vehicle] = vehicle % 2 == 0 ? "n1" : "n3" }
        for index in sent["n2"]!.dropFirst(acknowledgedByKilled) {
            connections[home[index % 200]]!.send(fleet.cycles[index])
        }
        sent["n2"] = []
        send(1_000..<2_000)
        Thread.sleep(forTimeInterval: 3.5)
        nodes["n2"] = try fleet.node("n2", ["--ack"])
        nodes["n4"] = try fleet.node("n4", ["--ack"])
        connections["n2"] = AcknowledgedConnection(to: nodes["n2"]!.tcp)
        connections["n4"] = AcknowledgedConnection(to: nodes["n4"]!.tcp)
        Thread.sleep(forTimeInterval: 1)
        // Some trackers reconnect to the new nodes.
        for vehicle in home.indices where vehicle % 5 < 2 { home[vehicle] = vehicle % 5 == 0 ? "n2" : "n4" }
        send(2_000..<fleet.cycles.count)

        // Every cycle sent to a live connection is acknowledged (each after its inbox commit).
        let deadline = Date().addingTimeInterval(30)
        let expected = connections.mapValues { $0.written }
        while Date() < deadline, connections.contains(where: { $0.value.acknowledged < expected[$0.key]! }) {
            Thread.sleep(forTimeInterval: 0.2)
        }
        for (name, connection) in connections {
            #expect(
                connection.acknowledged == expected[name], "\(name): \(connection.acknowledged) of \(expected[name]!)")
            connection.close()
        }
        fleet.settle(Array(nodes.values))
        for (name, server) in nodes.sorted(by: { $0.key < $1.key }) {
            #expect(ClusterServeTests.halt(server, SIGTERM) == 0, "\(name): \(server.log.suffix(3_000))")
        }
        // Every acknowledged fix is stored: the acknowledged part of what n2 got was not resent, and the whole log
        // is there.
        try fleet.expectEqualToAnImport("cluster_ack_single")
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.skipReason)))
    func aNodeCutOffFromTheDatabaseStopsWorkingAndRejoins() throws {
        let fleet = try Fleet("cluster_cut")
        let port = Int(fleet.url.firstMatch(of: /:([0-9]+)\//)!.1)!
        let link = CuttableLink(to: port)
        defer { link.close() }
        let n1 = try fleet.node("n1")
        let n2 = try fleet.node("n2", db: link.relaying(fleet.url))
        let n3 = try fleet.node("n3")
        Thread.sleep(forTimeInterval: 2)
        let sockets = [n1, n2, n3].map { DatagramSocket(to: $0.udp) }
        defer { sockets.forEach { $0.close() } }
        func send(_ range: Range<Int>, to targets: [Int]) {
            var turn = 0
            for start in stride(from: range.lowerBound, to: range.upperBound, by: 200) {
                for cycle in fleet.cycles[start..<min(start + 200, range.upperBound)] {
                    sockets[targets[turn % targets.count]].send(cycle)
                    turn += 1
                }
                Thread.sleep(forTimeInterval: 0.25)
            }
        }
        func shards(_ server: LiveServer) -> Int { Int(server.metric("orbita_cluster_shards_owned")) }
        send(0..<1_000, to: [0, 1, 2])
        #expect(shards(n2) > 0, "n2 held no shards before the cut")
        // What n2 received reaches the inbox (its forwarder commits within a quarter second).
        Thread.sleep(forTimeInterval: 1)

        // The cut: n2 cannot reach the database. It stops treating its shards as its own within the lease time, and
        // the others take them over; its /health says what is wrong, and the balancer (which checks it) sends the
        // trackers to the other nodes meanwhile.
        link.sever()
        send(1_000..<2_000, to: [0, 2])
        var deadline = Date().addingTimeInterval(20)
        while Date() < deadline, shards(n1) + shards(n3) < 256 || shards(n2) > 0 {
            Thread.sleep(forTimeInterval: 0.25)
        }
        #expect(shards(n2) == 0, "n2 still holds shards while cut off")
        #expect(shards(n1) + shards(n3) == 256, "the others did not take n2's shards over")
        #expect(n2.metric("orbita_cluster_shards_lost_total") > 0)
        let cutHealth = n2.get("/health")
        #expect(cutHealth.status == 503, "n2's /health while cut off: \(cutHealth.status) \(cutHealth.body)")

        // The link returns: n2 forwards what it held, and rejoins with its share.
        link.restore()
        deadline = Date().addingTimeInterval(30)
        while Date() < deadline, shards(n2) == 0 { Thread.sleep(forTimeInterval: 0.25) }
        #expect(shards(n2) > 0, "n2 did not rejoin: \(n2.get("/health").body)")
        #expect(n2.get("/health").status == 200, "n2's /health after it rejoined: \(n2.get("/health").body)")
        send(2_000..<fleet.cycles.count, to: [0, 1, 2])
        fleet.settle([n1, n2, n3])
        for (name, server) in [("n1", n1), ("n2", n2), ("n3", n3)] {
            #expect(ClusterServeTests.halt(server, SIGTERM) == 0, "\(name): \(server.log.suffix(3_000))")
        }
        // Fixes that reached the inbox late (n2's writes in flight at the cut) are late fixes: the replay after their
        // commit raises what they change and retracts the fence events they make wrong.
        try fleet.expectEqualToAnImport("cluster_cut_single")
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.skipReason)))
    func aDispatcherOnOneNodeSeesTheVehiclesAnotherNodeProcesses() async throws {
        let folder = ImportCommandTests.folder()
        let url = try PostgresTestServer.createDatabase("cluster_live")
        let route = try ServeCommandTests.zones(folder, db: url)
        let config = folder.appendingPathComponent("cluster.yaml")
        try "cluster_lease_seconds: 3\ncluster_hold_back_seconds: 1\ncommit_interval: 0.2\n".write(
            to: config, atomically: true, encoding: .utf8)
        let token = try OrbitaProcess.run(["token", "create", "--role", "viewer", "--db", url]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let nodes = try ["a", "b", "c"].map { name in
            try LiveServer(db: url, ["--node", name, "--register-unknown", "--config", config.path])
        }
        defer { for node in nodes { _ = ClusterServeTests.halt(node, SIGTERM) } }
        try await Task.sleep(for: .seconds(2))
        // Trackers send to node c only; node a's WebSocket client follows the whole fleet.
        let simulate = Process()
        simulate.executableURL = OrbitaProcess.binary
        simulate.arguments = [
            "simulate", "--to", "udp://\(nodes[2].udp)", "--vehicles", "60", "--rate", "1", "--duration", "8",
            "--geojson", route.path, "--prefix", "LV", "--quiet",
        ]
        simulate.standardOutput = Pipe()
        simulate.standardError = Pipe()
        let arrivals = Arrivals()
        let http = nodes[0].http
        let listening = Task {
            // Until every vehicle has been seen and the trackers stopped, or 40 s (a loaded CI machine).
            let result = await LiveFeedTests.listen(http, token: token, seconds: 40) { messages in
                arrivals.note(messages)
                return arrivals.vehicles.count == 60 && !simulate.isRunning
            }
            if case .failure(let error) = result { Issue.record("the live feed failed: \(error)") }
        }
        try await Task.sleep(for: .seconds(1))
        try simulate.run()
        _ = await listening.value
        simulate.waitUntilExit()

        let lags = arrivals.lags.sorted()
        let committed = (try? ServeCommandTests.fixes(url).values.map(\.count).reduce(0, +)) ?? -1
        #expect(
            arrivals.vehicles.count == 60,
            "node a saw \(arrivals.vehicles.count) of 60 vehicles; \(committed) fixes stored; \(nodes[0].get("/health").body)"
        )
        #expect(!lags.isEmpty)
        let stored = nodes.map { $0.metric("orbita_fixes_stored_total") }
        // Node a processed only its share: the rest reached its feed from the other nodes' commits.
        #expect(stored[0] < stored.reduce(0, +), "stored per node: \(stored)")
        #expect(nodes[0].metric("orbita_live_commits_notified_total") > 0)
        if !lags.isEmpty {
            let median = lags[lags.count / 2]
            let p99 = lags[min(lags.count - 1, lags.count * 99 / 100)]
            print(
                "cross-node live lag (arrival at node a − fix time, hold-back 1 s): n=\(lags.count) "
                    + "median \(String(format: "%.2f", median)) s, p99 \(String(format: "%.2f", p99)) s, "
                    + "max \(String(format: "%.2f", lags.last!)) s; stored per node \(stored)")
            // Reported, not asserted: a timing, and on a CI machine running every suite at once it was 13 s (the
            // nodes themselves were late), against 1.3 s alone. That node a's feed is pushed by the other nodes'
            // commits is asserted above (orbita_live_commits_notified_total).
        }
    }
}

/// Position messages as they arrive: the vehicles seen and each message's lag (arrival − fix time).
final class Arrivals: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var seen = 0
    private var lagSeconds: [Double] = []
    private var names: Set<String> = []
    private let parser = ISO8601DateFormatter()

    init() { parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds] }

    /// Notes the messages not seen yet (the collector hands over everything received so far).
    func note(_ messages: [[String: Any]]) {
        let now = Date()
        lock.withLock {
            for message in messages.dropFirst(seen) where message["type"] as? String == "position" {
                guard let vehicle = message["vehicle"] as? String, let time = message["time"] as? String else {
                    continue
                }
                names.insert(vehicle)
                let fixed = parser.date(from: time) ?? ISO8601DateFormatter().date(from: time)
                if let fixed { lagSeconds.append(now.timeIntervalSince(fixed)) }
            }
            seen = messages.count
        }
    }

    var vehicles: Set<String> { lock.withLock { names } }
    var lags: [Double] { lock.withLock { lagSeconds } }
}

/// A TCP connection to a node's ingest port, counting the `OK` lines that acknowledge its fixes.
final class AcknowledgedConnection: @unchecked Sendable {
    // @unchecked: counts are guarded by `lock`; the descriptor is written by the test's thread only.
    private let socket: Int32
    private let lock = NSLock()
    private var received = 0
    /// Cycles written.
    private(set) var written = 0

    init(to target: String) {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let parts = target.split(separator: ":")
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(parts.last.flatMap { Int($0) } ?? 0).bigEndian
        address.sin_addr.s_addr = inet_addr(String(parts.first ?? "127.0.0.1"))
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        let descriptor = socket
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4_096)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count <= 0 { return }
                let lines = buffer[..<count].count { $0 == UInt8(ascii: "\n") }
                lock.withLock { received += lines }
            }
        }.start()
    }

    /// `OK` lines received so far.
    var acknowledged: Int { lock.withLock { received } }

    /// Writes one cycle (one fix).
    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let result = bytes[offset...].withUnsafeBytes {
                Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if result <= 0 { return }
            offset += result
        }
        written += 1
    }

    func close() { shutdown(socket, Int32(SHUT_RDWR)) }
}
