import Foundation
import OrbitaModel
import OrbitaTesting
import Testing

/// A PostgreSQL server that goes away under load (restarted, as an upgrade or a failover does): the server says so in
/// its log and on `/health`, holds what it received, retries with back-off, and loses nothing it acknowledged.
@Suite("PostgreSQL going away under load (the binary)", .serialized)
struct DatabaseOutageTests {
    @Test(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.skipReason)))
    func aRestartedDatabaseServerLosesNothingAcknowledged() throws {
        let folder = ImportCommandTests.folder()
        let postgres = try PrivatePostgresServer()
        let url = postgres.url.replacingOccurrences(of: "/postgres", with: "/orbita")
        try PostgresTestServer.psql(postgres.url, "CREATE DATABASE orbita")
        let route = try ServeCommandTests.zones(folder, db: url)
        let server = try LiveServer(db: url, ["--register-unknown", "--ack"])
        let sent = folder.appendingPathComponent("outage.nmea").path
        let sender = try AcknowledgedSender(to: server, vehicles: 20, rate: 5, duration: 9, route: route, log: sent)
        Thread.sleep(forTimeInterval: 2)
        #expect(server.get("/health").status == 200)
        // The database goes away for 3 s, clients cut off, in the middle of the load.
        try postgres.stop(mode: "fast")
        var sawDegraded = false
        let back = Date().addingTimeInterval(3)
        while Date() < back {
            let health = server.get("/health")
            if health.status == 503 && health.body.contains("degraded") { sawDegraded = true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        try postgres.start()
        let (summary, acknowledged) = sender.finish()
        // Back to health once a commit went through again.
        let deadline = Date().addingTimeInterval(30)
        while server.get("/health").status != 200 && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        #expect(server.get("/health").status == 200)
        #expect(server.stop(SIGTERM) == 0)
        let log = server.log
        #expect(sawDegraded, "no degraded /health while the database was away")
        #expect(log.contains("cannot be reached") || log.contains("connection was lost"), "\(log.suffix(2_000))")

        // Every cycle sent was acknowledged (the sender waits for them) and every one is stored: compared with an
        // import of the sender's log into a fresh database.
        #expect(summary.contains("cycles=900"), "\(summary)")
        #expect(acknowledged == 900, "\(summary)")
        let check = folder.appendingPathComponent("outage-check.sqlite").path
        _ = try ServeCommandTests.zones(folder, db: check)
        #expect(try OrbitaProcess.run(["import", sent, "--db", check, "--quiet"]).status == 0)
        #expect(try ServeCommandTests.fixes(url) == (try ServeCommandTests.fixes(check)))
        let live = try ServeCommandTests.events(url)
        let offline = try ServeCommandTests.events(check)
        #expect(
            live == offline,
            "live only: \(Set(live).subtracting(offline).sorted()) import only: \(Set(offline).subtracting(live).sorted())"
        )
    }
}
