import Foundation
import GRDB
import OrbitaModel
import Storage
import Testing

func point(_ vehicle: String, _ second: Int64, lat: Double = 55.75, lon: Double = 37.61, segment: Double? = 10)
    -> TrackPoint
{
    TrackPoint(
        vehicleID: vehicle, time: UTCInstant(microsecondsSinceEpoch: 1_700_000_000_000_000 + second * 1_000_000),
        coordinate: Coordinate(latitude: lat, longitude: lon), speedMetersPerSecond: 5, courseDegrees: 90,
        mode: .threeDimensional, hdop: 0.9, satellitesUsed: 9, source: "test", segmentMeters: segment)
}

extension TrackPoint {
    func withSource(_ source: String) -> TrackPoint {
        var copy = self
        copy.source = source
        return copy
    }
}

func temporaryPath(_ name: String) -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("orbita-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(name).path
}

@Suite("SQLite track store")
struct SQLiteTrackStoreTests {
    @Test func migratesAnEmptyDatabaseAndReopensWithoutChanges() throws {
        let path = temporaryPath("orbita.sqlite")
        let first = try SQLiteTrackStore(path: path)
        let applied = try first.appliedMigrations()
        #expect(applied.starts(with: ["v1-vehicles-and-fixes", "v2-fix-sources"]))
        _ = try first.insert([point("bus-1", 0)])
        let second = try SQLiteTrackStore(path: path)
        #expect(try second.appliedMigrations() == applied)
        #expect(try second.track(vehicleID: "bus-1", from: nil, to: nil).count == 1)
        #expect(try second.integrityCheck() == ["ok"])
    }

    @Test func reinsertingTheSameFixesAddsNothing() throws {
        let store = try SQLiteTrackStore()
        let batch = (0..<100).map { point("bus-1", $0) }
        #expect(try store.insert(batch) == InsertOutcome(inserted: 100, duplicates: 0))
        #expect(try store.insert(batch) == InsertOutcome(inserted: 0, duplicates: 100, skippedIndices: Array(0..<100)))
        #expect(
            try store.insert([point("bus-1", 100), point("bus-1", 5)])
                == InsertOutcome(inserted: 1, duplicates: 1, skippedIndices: [1]))
    }

    @Test func tracksComeBackInTimeOrderWithinInclusiveBounds() throws {
        let store = try SQLiteTrackStore()
        _ = try store.insert([point("t", 5), point("t", 1), point("t", 3), point("u", 2)])
        #expect(try store.track(vehicleID: "t", from: nil, to: nil).map(\.time) == [1, 3, 5].map(instant))
        #expect(try store.track(vehicleID: "t", from: instant(3), to: instant(5)).map(\.time) == [3, 5].map(instant))
        #expect(try store.track(vehicleID: "nobody", from: nil, to: nil).isEmpty)
    }

    @Test func roundTripsEveryColumn() throws {
        let store = try SQLiteTrackStore()
        var original = point("amb-3", 7, lat: -33.8688, lon: 151.2093, segment: nil)
        original.altitudeMSL = 58.25
        original.quality = .rtkFloat
        original.satellitesInView[.gps] = 11
        original.satellitesInView[.glonass] = 8
        original.datum = .pz90
        original.flags = [.late, .datumConverted]
        _ = try store.insert([original])
        #expect(try store.track(vehicleID: "amb-3", from: nil, to: nil) == [original])
    }

    @Test func lastPositionsAndSummaries() throws {
        let store = try SQLiteTrackStore()
        try store.save(Vehicle(id: "bus-7", name: "Route 7", kind: .bus, registration: "A123BC77"))
        try store.save(Vehicle(id: "idle", kind: .municipal))
        _ = try store.insert([point("bus-7", 0, segment: 0), point("bus-7", 1), point("bus-7", 2), point("truck", 9)])
        #expect(
            try store.lastPositions().map { "\($0.vehicleID)@\($0.time.microsecondsSinceEpoch % 100_000_000)" } == [
                "bus-7@2000000", "truck@9000000",
            ])
        #expect(try store.lastPoint(vehicleID: "bus-7", atOrBefore: instant(1))?.time == instant(1))
        let summaries = try store.summaries()
        #expect(summaries.map(\.vehicle.id) == ["bus-7", "idle", "truck"])
        #expect(summaries[0].vehicle == Vehicle(id: "bus-7", name: "Route 7", kind: .bus, registration: "A123BC77"))
        #expect(summaries[0].fixCount == 3)
        #expect(summaries[0].distanceMeters == 20)
        #expect(summaries[0].firstTime == instant(0))
        #expect(summaries[0].lastTime == instant(2))
        #expect(summaries[1].fixCount == 0 && summaries[1].firstTime == nil)
        #expect(summaries[2].vehicle.kind == .other)  // registered by its first fix
    }

    @Test func aBatchWithABadRowIsRefusedWhole() throws {
        let store = try SQLiteTrackStore()
        let batch = [point("bus-1", 0), point("bus-1", 1, lat: 91)]
        #expect(throws: StoreError.self) { try store.insert(batch) }
        #expect(try store.track(vehicleID: "bus-1", from: nil, to: nil).isEmpty)
    }

    @Test func aFileThatIsNotADatabaseIsAClearError() throws {
        let path = temporaryPath("garbage.sqlite")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        do {
            _ = try SQLiteTrackStore(path: path)
            Issue.record("opened a file of garbage")
        } catch {
            guard case .corrupt = error else {
                Issue.record("\(error)")
                return
            }
            #expect(error.description.hasPrefix("the database is corrupt"))
        }
    }

    @Test func aDatabaseWithAnotherSchemaUnderOurMigrationIsRefusedClearly() throws {
        let path = temporaryPath("other.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1-vehicles-and-fixes'), ('v2-fix-sources'), ('v3-zones-and-events');
                    CREATE TABLE vehicles (id TEXT PRIMARY KEY);
                    CREATE TABLE fixes (vehicle_id TEXT, time_us INTEGER);
                    """)
        }
        do {
            _ = try SQLiteTrackStore(path: path)
            Issue.record("opened a database with another schema")
        } catch {
            #expect(error.description.contains("not this Orbita's schema"), "\(error)")
        }
    }

    @Test func aVersion1DatabaseIsMigratedWithItsFixesAndSources() throws {
        let path = temporaryPath("v1.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            // The schema as the first release wrote it (migration v1), with two fixes from two sources.
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1-vehicles-and-fixes');
                    CREATE TABLE vehicles (
                        key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                        kind TEXT NOT NULL DEFAULT 'other', registration TEXT) STRICT;
                    CREATE TABLE fixes (
                        id INTEGER PRIMARY KEY, vehicle_key INTEGER NOT NULL REFERENCES vehicles(key),
                        time_us INTEGER NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL, altitude_m REAL,
                        speed_mps REAL, course_deg REAL, mode INTEGER NOT NULL, quality INTEGER NOT NULL, hdop REAL,
                        sats_used INTEGER, view_gps INTEGER NOT NULL DEFAULT 0, view_glonass INTEGER NOT NULL DEFAULT 0,
                        view_galileo INTEGER NOT NULL DEFAULT 0, view_beidou INTEGER NOT NULL DEFAULT 0,
                        view_qzss INTEGER NOT NULL DEFAULT 0, view_navic INTEGER NOT NULL DEFAULT 0,
                        view_sbas INTEGER NOT NULL DEFAULT 0, datum INTEGER NOT NULL DEFAULT 0,
                        flags INTEGER NOT NULL DEFAULT 0, source TEXT NOT NULL DEFAULT '', segment_m REAL,
                        UNIQUE (vehicle_key, time_us)) STRICT;
                    INSERT INTO vehicles VALUES (1, 'bus-1', 'Bus 1', 'bus', NULL);
                    INSERT INTO fixes (vehicle_key, time_us, lat, lon, mode, quality, view_glonass, datum, flags,
                        source, segment_m)
                    VALUES (1, 1000000, 55.75, 37.61, 3, 1, 7, 3, 2, 'import:a.nmea', NULL),
                        (1, 2000000, 55.76, 37.62, 3, 1, 8, 0, 0, 'import:b.nmea', 1113.5);
                    """)
        }
        try queue.close()
        let store = try SQLiteTrackStore(path: path)
        #expect(try store.appliedMigrations().contains("v2-fix-sources"))
        let track = try store.track(vehicleID: "bus-1", from: nil, to: nil)
        #expect(track.map(\.source) == ["import:a.nmea", "import:b.nmea"])
        #expect(track.map(\.satellitesInView[.glonass]) == [7, 8])
        #expect(track.map(\.datum) == [.pz90, .wgs84])
        #expect(track.map(\.segmentMeters) == [nil, 1113.5])
        // New fixes from a known and a new source land beside the migrated ones.
        #expect(
            try store.insert([
                point("bus-1", 10).withSource("import:a.nmea"), point("bus-1", 11).withSource("udp:10.0.0.7"),
            ]).inserted == 2)
        #expect(
            try store.track(vehicleID: "bus-1", from: nil, to: nil).map(\.source).suffix(2) == [
                "import:a.nmea", "udp:10.0.0.7",
            ])
        #expect(try store.integrityCheck() == ["ok"])
    }

    @Test func aFullDiskFailsTheBatchAndKeepsWhatWasCommitted() throws {
        let path = temporaryPath("small.sqlite")
        let store = try SQLiteTrackStore(path: path, maximumSizeBytes: 1024 * 1024)
        var committed = 0
        var fullAt: Int? = nil
        for batch in 0..<200 {
            let points = (0..<100).map { point("bus-1", Int64(batch * 100 + $0)) }
            do {
                committed += try store.insert(points).inserted
            } catch {
                #expect(error == .diskFull(error.detail))
                fullAt = batch
                break
            }
        }
        #expect(fullAt != nil)
        #expect(committed > 0)
        let reopened = try SQLiteTrackStore(path: path)
        #expect(try reopened.integrityCheck() == ["ok"])
        #expect(try reopened.track(vehicleID: "bus-1", from: nil, to: nil).count == committed)
    }

    @Test func aDatabaseLockedByAnotherProcessIsAClearErrorAndLosesNothing() throws {
        let path = temporaryPath("locked.sqlite")
        let store = try SQLiteTrackStore(path: path, busyTimeoutSeconds: 0.2)
        _ = try store.insert([point("bus-1", 0)])
        let other = try DatabaseQueue(path: path)  // another writer, as another process would be
        try other.inTransaction(.exclusive) { db in
            try db.execute(sql: "UPDATE vehicles SET name = 'held' WHERE id = 'bus-1'")
            do throws(StoreError) {
                _ = try store.insert([point("bus-1", 1)])
                Issue.record("inserted while another connection held the write lock")
            } catch {
                guard case .locked = error else {
                    Issue.record("\(error)")
                    return .rollback
                }
                #expect(error.description.hasPrefix("the database is locked by another process"))
            }
            return .rollback
        }
        #expect(try store.insert([point("bus-1", 1)]).inserted == 1)
        #expect(try store.track(vehicleID: "bus-1", from: nil, to: nil).count == 2)
    }

    @Test func aReaderDoesNotBlockTheWriter() throws {
        let path = temporaryPath("wal.sqlite")
        let writer = try SQLiteTrackStore(path: path)
        let reader = try SQLiteTrackStore(path: path)
        _ = try writer.insert([point("bus-1", 0)])
        for second in 1...50 {
            _ = try writer.insert([point("bus-1", Int64(second))])
            #expect(try reader.track(vehicleID: "bus-1", from: nil, to: nil).count == second + 1)
        }
    }
}

func instant(_ second: Int64) -> UTCInstant {
    UTCInstant(microsecondsSinceEpoch: 1_700_000_000_000_000 + second * 1_000_000)
}

extension StoreError {
    var detail: String {
        switch self {
        case .corrupt(let detail), .locked(let detail), .diskFull(let detail), .constraint(let detail), .io(let detail):
            detail
        }
    }
}
