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

@Suite("SQLite track store: files, migrations, WAL (the TrackStore contract is in StoreContractTests)")
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
