import Foundation
import OrbitaModel
import OrbitaTesting
import Testing

/// `orbita db stats|prune` and `orbita serve --retention`, as a user runs them, on each backend.
@Suite("orbita db and retention (the binary)", .serialized)
struct HistoryCommandTests {
    /// The demo fleet's 12 fixes of 2024-06-09: older than any retention of days.
    static let fixture = "fixtures/nmea/demo-fleet.nmea"

    @Test(arguments: TestBackend.available)
    func statsShowTheHistoryAndPruneDropsWhatRetentionExpires(backend: TestBackend) throws {
        let folder = ImportCommandTests.folder()
        let db = try backend.database(folder, "history")
        #expect(try OrbitaProcess.run(["import", Self.fixture, "--db", db, "--quiet"]).status == 0)
        let stats = try OrbitaProcess.run(["db", "stats", "--db", db])
        #expect(stats.status == 0, "\(stats.stderr)")
        #expect(stats.stdout.contains("fixes_20240609"), "\(stats.stdout)")
        #expect(stats.stdout.contains("fixes: 12 in"), "\(stats.stdout)")
        #expect(stats.stdout.contains("oldest 2024-06-09T08:00:00.000Z"), "\(stats.stdout)")

        let vehicles = try TestBackend.open(db).vehicles().count
        #expect(vehicles > 0)
        let usage = try OrbitaProcess.run(["db", "prune", "--db", db])
        #expect(usage.status == 64 || usage.status == 2, "\(usage.stderr)")
        #expect(usage.stderr.contains("--retention"))
        // A retention longer than the data's age keeps it; a shorter one drops the day's partition whole.
        let keep = try OrbitaProcess.run(["db", "prune", "--retention", "100000", "--db", db])
        #expect(keep.stdout.contains("dropped 0 partitions"), "\(keep.stdout)")
        let prune = try OrbitaProcess.run(["db", "prune", "--retention", "30", "--db", db])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.contains("dropped 1 partitions (12 fixes)"), "\(prune.stdout)")
        let store = try TestBackend.open(db)
        #expect(try store.historyStats().fixes == 0)
        #expect(try store.lastPositions().isEmpty)
        #expect(try store.summaries().allSatisfy { $0.fixCount == 0 })
        #expect(try store.vehicles().count == vehicles)  // vehicles stay; their expired fixes went
    }

    @Test(arguments: TestBackend.available)
    func aServerAppliesItsRetentionAtStart(backend: TestBackend) throws {
        let folder = ImportCommandTests.folder()
        let db = try backend.database(folder, "retained")
        #expect(try OrbitaProcess.run(["import", Self.fixture, "--db", db, "--quiet"]).status == 0)
        let server = try LiveServer(db: db, ["--retention", "30"])
        let deadline = Date().addingTimeInterval(20)
        while server.metric("orbita_retention_dropped_fixes_total") < 12 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(server.metric("orbita_retention_dropped_fixes_total") == 12)
        #expect(server.metric("orbita_retention_dropped_partitions_total") == 1)
        #expect(server.stop(SIGTERM) == 0)
        #expect(server.log.contains("retention applied"))
        #expect(try TestBackend.open(db).historyStats().fixes == 0)
    }

    @Test func aMalformedPostgresURLIsAUsageErrorThatHidesThePassword() throws {
        let result = try OrbitaProcess.run(["vehicles", "--db", "postgres://orbita:s3cret@/nodb"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("postgres://orbita:***@"), "\(result.stderr)")
        #expect(!result.stderr.contains("s3cret"))
        let unreachable = try OrbitaProcess.run(["vehicles", "--db", "postgres://orbita:s3cret@127.0.0.1:9/orbita"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("cannot be reached"), "\(unreachable.stderr)")
        #expect(!unreachable.stderr.contains("s3cret"))
    }
}
