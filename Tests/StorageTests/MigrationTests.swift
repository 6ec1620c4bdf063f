import GRDB
import OrbitaModel
import Testing

@testable import Storage

/// Databases left at every version, holding what that version could hold, opened by the current store.
@Suite("Migrations from every earlier version")
struct MigrationTests {
    /// Rows written in one version's own SQL, and what the current store must read of them.
    struct Seed: Sendable {
        /// Inserted right after the migration of that version, before any later one runs.
        let sql: String
        /// Expectations on a store opened (and migrated to the latest version) after the seed.
        let check: @Sendable (SQLiteTrackStore) throws -> Void
    }

    /// The migrations, from the migrator itself: a new one is covered (and needs a seed) without editing this list.
    static let migrations = Schema.migrator.migrations

    /// A seed for every migration, by its identifier. A new migration adds one: rows of what it adds.
    static let seeds: [String: Seed] = [
        "v1-vehicles-and-fixes": Seed(
            sql: """
                INSERT INTO vehicles (key, id, name, kind, registration) VALUES (1, 'bus-1', 'Bus 1', 'bus', 'A123BC77');
                INSERT INTO fixes (vehicle_key, time_us, lat, lon, altitude_m, speed_mps, course_deg, mode, quality,
                    hdop, sats_used, view_gps, view_glonass, datum, flags, source, segment_m)
                VALUES (1, 1700000000000000, 55.75, 37.61, 150.5, 5, 90, 3, 1, 0.9, 9, 10, 7, 3, 5, 'import:a.nmea', NULL),
                    (1, 1700000001000000, 55.76, 37.62, NULL, NULL, NULL, 2, 2, NULL, NULL, 0, 0, 0, 0, 'udp', 12.5);
                """,
            check: { (store: SQLiteTrackStore) throws in
                #expect(
                    try store.vehicle(id: "bus-1")
                        == Vehicle(id: "bus-1", name: "Bus 1", kind: .bus, registration: "A123BC77"))
                var first = TrackPoint(
                    vehicleID: "bus-1", time: instant(0), coordinate: Coordinate(latitude: 55.75, longitude: 37.61),
                    altitudeMSL: 150.5, speedMetersPerSecond: 5, courseDegrees: 90, mode: .threeDimensional,
                    quality: .autonomous, hdop: 0.9, satellitesUsed: 9, datum: .pz90, flags: [.late, .datumConverted],
                    source: "import:a.nmea")
                first.satellitesInView[.gps] = 10
                first.satellitesInView[.glonass] = 7
                let second = TrackPoint(
                    vehicleID: "bus-1", time: instant(1), coordinate: Coordinate(latitude: 55.76, longitude: 37.62),
                    mode: .twoDimensional, quality: .differential, source: "udp", segmentMeters: 12.5)
                #expect(try store.track(vehicleID: "bus-1", from: instant(0), to: instant(1)) == [first, second])
            }),
        "v2-fix-sources": Seed(
            sql: """
                INSERT INTO vehicles (id, name, kind) VALUES ('tram-2', 'Tram 2', 'tram');
                INSERT INTO sources (name) VALUES ('udp:10.0.0.7');
                INSERT INTO fixes (vehicle_key, time_us, lat, lon, mode, quality, source_key, segment_m)
                    SELECT v.key, 1700000002000000, 59.93, 30.31, 3, 1, s.key, 0 FROM vehicles v, sources s
                    WHERE v.id = 'tram-2' AND s.name = 'udp:10.0.0.7';
                """,
            check: { (store: SQLiteTrackStore) throws in
                #expect(
                    try store.track(vehicleID: "tram-2", from: nil, to: instant(2)) == [
                        TrackPoint(
                            vehicleID: "tram-2", time: instant(2),
                            coordinate: Coordinate(latitude: 59.93, longitude: 30.31), mode: .threeDimensional,
                            source: "udp:10.0.0.7", segmentMeters: 0)
                    ])
            }),
        "v3-zones-and-events": Seed(
            sql: """
                INSERT INTO vehicles (id, name, kind) VALUES ('amb-1', 'amb-1', 'ambulance');
                INSERT INTO geofences (name, geometry, vehicles, kinds, speed_limit_kmh, dwell_s) VALUES ('depot',
                    '{"type":"Feature","geometry":{"type":"Point","coordinates":[37.6173,55.7558]},"properties":{"radius_m":250}}',
                    '["amb-1"]', '["bus","tram"]', 40, NULL);
                INSERT INTO routes (name, geometry, corridor_m, checkpoints) VALUES ('T7',
                    '{"type":"LineString","coordinates":[[37.6173,55.7558],[37.63,55.76]]}', 40,
                    '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[37.6173,55.7558]},"properties":{"name":"Lubyanka","radius_m":25}}]}');
                INSERT INTO route_assignments (vehicle_key, route_key, from_us, to_us)
                    SELECT v.key, r.key, 1700000000000000, NULL FROM vehicles v, routes r
                    WHERE v.id = 'tram-2' AND r.name = 'T7';
                INSERT INTO route_exemptions (vehicle_key, from_us, to_us, reason)
                    SELECT key, 1700000000000000, 1700000003000000, 'road works' FROM vehicles WHERE id = 'tram-2';
                INSERT INTO events (vehicle_key, kind, time_us, lat, lon, fix_time_us, subject, details)
                    SELECT key, 'routeDeviation', 1700000002000000, 59.93, 30.31, 1700000002000000, 'T7',
                        '{"route":"T7","distanceM":312.5,"progressM":1450}' FROM vehicles WHERE id = 'tram-2';
                """,
            check: { (store: SQLiteTrackStore) throws in
                let moscow = Coordinate(latitude: 55.7558, longitude: 37.6173)
                let line = [moscow, Coordinate(latitude: 55.76, longitude: 37.63)]
                #expect(
                    try store.geofences().first
                        == Geofence(
                            name: "depot", shape: .circle(center: moscow, radiusMeters: 250), vehicleIDs: ["amb-1"],
                            kinds: [.bus, .tram], speedLimitKmh: 40))
                #expect(
                    try store.routes() == [
                        Route(
                            name: "T7", line: line, corridorMeters: 40,
                            checkpoints: [Checkpoint(name: "Lubyanka", coordinate: moscow, radiusMeters: 25)])
                    ])
                #expect(
                    try store.assignments() == [RouteAssignment(vehicleID: "tram-2", route: "T7", from: instant(0))])
                #expect(
                    try store.exemptions() == [
                        RouteExemption(vehicleID: "tram-2", from: instant(0), to: instant(3), reason: "road works")
                    ])
                var deviation = VehicleEvent(
                    kind: .routeDeviation, vehicleID: "tram-2", time: instant(2),
                    coordinate: Coordinate(latitude: 59.93, longitude: 30.31), fixTime: instant(2), route: "T7")
                deviation.distanceMeters = 312.5
                deviation.progressMeters = 1450
                #expect(try store.events(EventQuery(until: instant(2))) == [deviation])
            }),
        "v4-zone-revision": Seed(
            sql: """
                INSERT INTO geofences (name, geometry) VALUES ('yard',
                    '{"type":"Feature","geometry":{"type":"Point","coordinates":[30.31,59.93]},"properties":{"radius_m":80}}');
                """,
            check: { (store: SQLiteTrackStore) throws in
                #expect(
                    try store.geofences().last
                        == Geofence(
                            name: "yard",
                            shape: .circle(center: Coordinate(latitude: 59.93, longitude: 30.31), radiusMeters: 80)))
                #expect(try store.zoneRevision() == 1)  // the seed's insert, counted by the trigger
            }),
        "v5-api-tokens": Seed(
            sql: """
                INSERT INTO api_tokens (name, role, secret_sha256, created_us)
                    VALUES ('ops', 'dispatcher', '\(String(repeating: "ab", count: 32))', 1700000000000000);
                """,
            check: { (store: SQLiteTrackStore) throws in
                let token = APIToken(id: 1, name: "ops", role: .dispatcher, created: instant(0))
                #expect(try store.tokens() == [token])
                #expect(try store.token(secretSHA256: String(repeating: "ab", count: 32)) == token)
            }),
        // Two days after the fixes of v1 and v2 (which became the first partition): a partition of v6's own.
        "v6-fix-partitions": Seed(
            sql: """
                INSERT INTO vehicles (id, name, kind) VALUES ('truck-6', 'Truck 6', 'freight');
                INSERT INTO sources (name) VALUES ('tcp:10.0.0.9');
                CREATE TABLE fixes_20231116_7 (\(FixPartitions.columnsSQL)) STRICT;
                INSERT INTO fix_partitions (id, name, start_us, end_us, rows, max_id, last_us)
                    VALUES (7, 'fixes_20231116_7', 1700092800000000, 1700179200000000, 1, 50, 1700172800000000);
                INSERT INTO fixes_20231116_7 (id, vehicle_key, time_us, lat, lon, mode, quality, source_key, segment_m)
                    SELECT 50, v.key, 1700172800000000, 56.1, 38.2, 3, 1, s.key, 7.5 FROM vehicles v, sources s
                    WHERE v.id = 'truck-6' AND s.name = 'tcp:10.0.0.9';
                INSERT INTO partition_vehicles (partition_id, vehicle_key, fixes, first_us, last_us, distance_m)
                    SELECT 7, key, 1, 1700172800000000, 1700172800000000, 7.5 FROM vehicles WHERE id = 'truck-6';
                INSERT INTO vehicle_positions (vehicle_key, time_us, partition_id)
                    SELECT key, 1700172800000000, 7 FROM vehicles WHERE id = 'truck-6';
                UPDATE fix_sequence SET next_id = max(next_id, 51);
                """,
            check: { (store: SQLiteTrackStore) throws in
                let fix = TrackPoint(
                    vehicleID: "truck-6", time: instant(172_800),
                    coordinate: Coordinate(latitude: 56.1, longitude: 38.2),
                    mode: .threeDimensional, source: "tcp:10.0.0.9", segmentMeters: 7.5)
                #expect(try store.track(vehicleID: "truck-6", from: nil, to: nil) == [fix])
                #expect(try store.lastPositions().contains(fix))
                #expect(try store.lastPoint(vehicleID: "truck-6", atOrBefore: nil) == fix)
                let summary = try store.summaries().first { $0.vehicle.id == "truck-6" }
                #expect(summary?.fixCount == 1 && summary?.distanceMeters == 7.5)
                #expect(try store.latestNumbers().fix >= 50)
            }),
        "v7-report-rows": Seed(
            sql: """
                INSERT INTO vehicles (id, name, kind) VALUES ('bus-7', 'Bus 7', 'bus');
                INSERT INTO report_trips (vehicle_key, start_us, end_us, start_lat, start_lon, end_lat, end_lon,
                    distance_m, max_speed_mps, stopped_s, open)
                    SELECT key, 1700000000000000, 1700000600000000, 55.7, 37.6, 55.8, 37.7, 1200, 12, 30, 0
                    FROM vehicles WHERE id = 'bus-7';
                INSERT INTO report_mileage (vehicle_key, quarter, trip_start_us, meters)
                    SELECT key, 1888888, 1700000000000000, 1200 FROM vehicles WHERE id = 'bus-7';
                INSERT INTO report_halts (vehicle_key, start_us, end_us, kind, lat, lon, open)
                    SELECT key, 1700000600000000, 1700004200000000, 1, 55.8, 37.7, 1 FROM vehicles WHERE id = 'bus-7';
                """,
            check: { (store: SQLiteTrackStore) throws in
                let window = (
                    UTCInstant(microsecondsSinceEpoch: 1_699_999_000_000_000),
                    UTCInstant(microsecondsSinceEpoch: 1_700_005_000_000_000)
                )
                let trips = try store.reportTrips(vehicleIDs: ["bus-7"], from: window.0, to: window.1)
                #expect(trips.count == 1 && trips.first?.distanceMeters == 1200)
                #expect(trips.first?.mileage == [MileageSlice(quarterHour: 1_888_888, meters: 1200)])
                let halts = try store.reportHalts(vehicleIDs: ["bus-7"], from: window.0, to: window.1)
                #expect(halts.count == 1 && halts.first?.kind == .parking && halts.first?.open == true)
            }),
    ]

    @Test func everyMigrationHasASeed() {
        for migration in Self.migrations {
            #expect(Self.seeds[migration] != nil, "migration \(migration) has no seed: add one to MigrationTests.seeds")
        }
        #expect(Set(Self.seeds.keys).subtracting(Self.migrations).isEmpty, "a seed for no migration")
    }

    /// - Parameter version: how many migrations the database had (0: an empty file; all: the current version).
    @Test(arguments: 0...migrations.count)
    func aDatabaseAtAnEarlierVersionKeepsEveryRowAndTakesNewOnes(version: Int) throws {
        let applied = Self.migrations.prefix(version)
        let path = temporaryPath("version-\(version).sqlite")
        let queue = try DatabaseQueue(path: path)
        let migrator = Schema.migrator
        for migration in applied {
            try migrator.migrate(queue, upTo: migration)
            let seed = try #require(Self.seeds[migration], "migration \(migration) has no seed in MigrationTests.seeds")
            try queue.write { db in try db.execute(sql: seed.sql) }
        }
        try queue.close()

        let store = try SQLiteTrackStore(path: path)
        #expect(try store.appliedMigrations() == Self.migrations)
        // The single fix table of v1–v5, when it held fixes, is now the first partition, whole; no `fixes` is left.
        let stats = try store.historyStats()
        if version >= 1 {
            #expect(stats.partitions.first?.name == "fixes_20231114_1")
            #expect(stats.partitions.first?.fixes == (version >= 2 ? 3 : 2))
        }
        #expect(try DatabaseQueue(path: path).read { try $0.tableExists("fixes") } == false)
        for migration in applied { try Self.seeds[migration]?.check(store) }

        // New rows of every kind land beside the migrated ones.
        let fixes = try store.track(vehicleID: "bus-1", from: nil, to: nil).count
        let event = VehicleEvent(
            kind: .geofenceEnter, vehicleID: "bus-1", time: instant(10),
            coordinate: Coordinate(latitude: 55.7558, longitude: 37.6173), fixTime: instant(10), geofence: "depot")
        let outcome = try store.insert([point("bus-1", 10).withSource("udp")], events: [event])
        #expect(outcome == InsertOutcome(inserted: 1, eventsInserted: 1))
        #expect(try store.track(vehicleID: "bus-1", from: nil, to: nil).count == fixes + 1)
        #expect(try store.events(EventQuery(since: instant(10))) == [event])
        let revision = try store.zoneRevision()
        try store.save(Geofence(name: "new", shape: .circle(center: event.coordinate, radiusMeters: 10)))
        #expect(try store.zoneRevision() == revision + 1)
        let tokens = try store.tokens().count
        _ = try store.createToken(
            name: "new", role: .viewer, secretSHA256: String(repeating: "cd", count: 32), at: instant(10))
        #expect(try store.tokens().count == tokens + 1)
        #expect(try store.integrityCheck() == ["ok"])
    }
}
