import Foundation
import Glibc
import OrbitaModel
import OrbitaTesting
import Testing

/// Several `orbita serve --node` processes on one PostgreSQL database, fed a fleet whose every vehicle's datagrams
/// are spread over all of them; one is killed mid-run and restarted, a fourth joins. What they store together must
/// equal a single-node import of what was sent.
@Suite("orbita serve --node: several nodes on one PostgreSQL (the binary)", .serialized)
struct ClusterServeTests {
    @Test(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.skipReason)))
    func nodesKilledRestartedAndJoiningStoreWhatOneNodeWouldHave() throws {
        let fleet = try ClusterFailoverTests.Fleet("cluster_serve")
        let url = fleet.url
        let cycles = fleet.cycles
        func node(_ name: String) throws -> LiveServer { try fleet.node(name) }
        var nodes = ["n1": try node("n1"), "n2": try node("n2"), "n3": try node("n3")]
        Thread.sleep(forTimeInterval: 2)
        // A second's cycles at a time, each datagram to the next live node in turn: every vehicle's fixes are
        // spread over all of them.
        var next = 0
        func send(_ range: Range<Int>, to names: [String]) {
            let sockets = names.map { DatagramSocket(to: nodes[$0]!.udp) }
            defer { sockets.forEach { $0.close() } }
            var turn = 0
            for start in stride(from: range.lowerBound, to: range.upperBound, by: 200) {
                for cycle in cycles[start..<min(start + 200, range.upperBound)] {
                    sockets[turn % sockets.count].send(cycle)
                    turn += 1
                }
                Thread.sleep(forTimeInterval: 0.25)
            }
            next = range.upperBound
        }
        send(0..<800, to: ["n1", "n2", "n3"])
        // n2 is killed once what it received is in the inbox (UDP fixes a node holds only in memory die with it; a
        // fixed pause was not always enough on a loaded machine): every third of the 800 cycles went to it.
        let sentToN2 = (0..<800).filter { $0 % 3 == 1 }.count
        let forwardedBy = Date().addingTimeInterval(15)
        while Date() < forwardedBy {
            let body = nodes["n2"]!.get("/health").body
            let forwarded = body.firstMatch(of: /"forwarded":([0-9]+)/).flatMap { Int($0.1) } ?? 0
            if forwarded >= sentToN2 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(Self.halt(nodes["n2"]!, SIGKILL) == SIGKILL)
        send(next..<1_600, to: ["n1", "n3"])
        // n2 comes back under its name (after its lease), a fourth node joins.
        Thread.sleep(forTimeInterval: 3.5)
        nodes["n2"] = try node("n2")
        nodes["n4"] = try node("n4")
        Thread.sleep(forTimeInterval: 1)
        send(next..<cycles.count, to: ["n1", "n2", "n3", "n4"])

        // Everything settles: the inbox empties and every fix sent is stored.
        let deadline = Date().addingTimeInterval(60)
        var health = ""
        while Date() < deadline {
            health = nodes["n1"]!.get("/health").body
            if health.contains("\"inboxBacklog\":0"),
                (try? ServeCommandTests.fixes(url).values.map(\.count).reduce(0, +)) == 3_200
            {
                break
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(health.contains("\"cluster\""), "\(health)")
        let claims = nodes.values.map { $0.metric("orbita_cluster_shards_claimed_total") }.reduce(0, +)
        #expect(claims > 256, "handovers show in the metrics: \(claims) claims")
        for (name, server) in nodes.sorted(by: { $0.key < $1.key }) {
            #expect(Self.halt(server, SIGTERM) == 0, "\(name): \(server.log.suffix(3_000))")
        }

        // The same log imported by one node into a fresh database: the same fixes, the same events. A vehicle
        // handed over keeps what was pending (an enter not yet confirmed): its new owner rebuilds its event state from
        // its recent stored track.
        try fleet.expectEqualToAnImport("cluster_single")
        let status = try OrbitaProcess.run(["cluster", "status", "--db", url])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(["n1", "n2", "n3", "n4"].allSatisfy { status.stdout.contains($0) }, "\(status.stdout)")
        // The ports the nodes bound, not the configured 0.
        #expect(
            status.stdout.contains("udp=127.0.0.1:\(nodes["n1"]!.udp.split(separator: ":").last!)"), "\(status.stdout)")
    }

    /// Sends `signal` and waits up to 30 s for the exit (then SIGKILL): its status, or the signal that ended it.
    /// Reaps the process itself: Foundation's `Process` sometimes leaves a killed child a zombie here and reports it
    /// running for ever.
    static func halt(_ server: LiveServer, _ signal: Int32) -> Int32 {
        let pid = server.process.processIdentifier
        kill(pid, signal)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(30)
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 {
                // Foundation's Process reaped it first (its own monitor races this loop): wait for it to say so.
                server.process.waitUntilExit()
                return server.process.terminationStatus
            }
            if Date() > deadline { kill(pid, SIGKILL) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG by hand (macros Swift does not import).
        return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
    }

    /// The log's cycles (each from its `$PGID` line to the next), as datagrams.
    static func cycles(_ log: URL) throws -> [[UInt8]] {
        var cycles: [[UInt8]] = []
        for line in try String(contentsOf: log, encoding: .utf8).split(whereSeparator: \.isNewline) {
            if line.hasPrefix("$PGID") || cycles.isEmpty { cycles.append([]) }
            cycles[cycles.count - 1] += Array(line.utf8) + [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
        }
        return cycles
    }
}
