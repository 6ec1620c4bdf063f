import GRDB
import OrbitaModel

/// The schema as named, append-only migrations of plain SQL (never app types). Constraints live in SQLite.
///
/// CHECK constraints are ranges, never `IN (…)` lists: SQLite evaluates an `IN` list per row at a cost that, on the fix
/// table, cut inserts from ≈ 315k to ≈ 190k rows/s (measured with SQLite's C API on this schema); closed sets are
/// therefore stored as integer codes with a `BETWEEN` check. `datum`: 0 WGS 84, 1 WGS 72, 2 SGS 85, 3 PZ-90,
/// 4 user-defined, 5 other.
///
/// Fixes are appended to a rowid table (sequential pages) with a narrow unique index on (vehicle key, time) that
/// serves uniqueness and track queries; the vehicle's text ID is stored once, in `vehicles`. (A WITHOUT ROWID
/// table keyed by vehicle and time was measured slower: fleet-interleaved inserts dirty a wide leaf page per
/// vehicle per batch.)
enum Schema {
    /// Every migration, under the identifier `grdb_migrations` records (never rename one: existing files know it).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-vehicles-and-fixes", migrate: v1VehiclesAndFixes)
        migrator.registerMigration("v2-fix-sources", migrate: v2FixSources)
        migrator.registerMigration("v3-zones-and-events", migrate: v3ZonesAndEvents)
        migrator.registerMigration("v4-zone-revision", migrate: v4ZoneRevision)
        migrator.registerMigration("v5-api-tokens", migrate: v5APITokens)
        migrator.registerMigration("v6-fix-partitions", migrate: v6FixPartitions)
        migrator.registerMigration("v7-report-rows", migrate: v7ReportRows)
        return migrator
    }

    /// The first release: vehicles, and fixes unique per (vehicle, time) naming their source as text.
    static func v1VehiclesAndFixes(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE vehicles (
                    key INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE CHECK (length(id) BETWEEN 1 AND 64),
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL DEFAULT 'other'
                        CHECK (kind IN ('bus','tram','trolleybus','ambulance','municipal','freight','other')),
                    registration TEXT
                ) STRICT;
                CREATE TABLE fixes (
                    id INTEGER PRIMARY KEY,
                    vehicle_key INTEGER NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
                    time_us INTEGER NOT NULL,
                    lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
                    lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
                    altitude_m REAL CHECK (altitude_m IS NULL OR altitude_m BETWEEN -1000 AND 100000),
                    speed_mps REAL CHECK (speed_mps IS NULL OR speed_mps >= 0),
                    course_deg REAL CHECK (course_deg IS NULL OR (course_deg >= 0 AND course_deg <= 360)),
                    mode INTEGER NOT NULL CHECK (mode BETWEEN 1 AND 3),
                    quality INTEGER NOT NULL CHECK (quality BETWEEN 0 AND 8),
                    hdop REAL CHECK (hdop IS NULL OR hdop >= 0),
                    sats_used INTEGER CHECK (sats_used IS NULL OR sats_used >= 0),
                    view_gps INTEGER NOT NULL DEFAULT 0,
                    view_glonass INTEGER NOT NULL DEFAULT 0,
                    view_galileo INTEGER NOT NULL DEFAULT 0,
                    view_beidou INTEGER NOT NULL DEFAULT 0,
                    view_qzss INTEGER NOT NULL DEFAULT 0,
                    view_navic INTEGER NOT NULL DEFAULT 0,
                    view_sbas INTEGER NOT NULL DEFAULT 0,
                    datum INTEGER NOT NULL DEFAULT 0 CHECK (datum BETWEEN 0 AND 5),
                    flags INTEGER NOT NULL DEFAULT 0,
                    source TEXT NOT NULL DEFAULT '',
                    segment_m REAL CHECK (segment_m IS NULL OR segment_m >= 0),
                    UNIQUE (vehicle_key, time_us)
                ) STRICT;
                """)
    }

    /// Each fix named its source (`import:/path/of/file`, later a device's address) as text, some 45 bytes of
    /// ≈ 150 per row; a key into `sources` stores it once and made inserts ≈ 10% faster (C API, this schema).
    static func v2FixSources(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE sources (
                    key INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE CHECK (length(name) <= 8192)
                ) STRICT;
                INSERT INTO sources (name) SELECT DISTINCT source FROM fixes ORDER BY source;
                CREATE TABLE fixes_v2 (
                    id INTEGER PRIMARY KEY,
                    vehicle_key INTEGER NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
                    time_us INTEGER NOT NULL,
                    lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
                    lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
                    altitude_m REAL CHECK (altitude_m IS NULL OR altitude_m BETWEEN -1000 AND 100000),
                    speed_mps REAL CHECK (speed_mps IS NULL OR speed_mps >= 0),
                    course_deg REAL CHECK (course_deg IS NULL OR (course_deg >= 0 AND course_deg <= 360)),
                    mode INTEGER NOT NULL CHECK (mode BETWEEN 1 AND 3),
                    quality INTEGER NOT NULL CHECK (quality BETWEEN 0 AND 8),
                    hdop REAL CHECK (hdop IS NULL OR hdop >= 0),
                    sats_used INTEGER CHECK (sats_used IS NULL OR sats_used >= 0),
                    view_gps INTEGER NOT NULL DEFAULT 0,
                    view_glonass INTEGER NOT NULL DEFAULT 0,
                    view_galileo INTEGER NOT NULL DEFAULT 0,
                    view_beidou INTEGER NOT NULL DEFAULT 0,
                    view_qzss INTEGER NOT NULL DEFAULT 0,
                    view_navic INTEGER NOT NULL DEFAULT 0,
                    view_sbas INTEGER NOT NULL DEFAULT 0,
                    datum INTEGER NOT NULL DEFAULT 0 CHECK (datum BETWEEN 0 AND 5),
                    flags INTEGER NOT NULL DEFAULT 0,
                    source_key INTEGER NOT NULL REFERENCES sources(key),
                    segment_m REAL CHECK (segment_m IS NULL OR segment_m >= 0),
                    UNIQUE (vehicle_key, time_us)
                ) STRICT;
                INSERT INTO fixes_v2
                    SELECT f.id, f.vehicle_key, f.time_us, f.lat, f.lon, f.altitude_m, f.speed_mps, f.course_deg,
                        f.mode, f.quality, f.hdop, f.sats_used, f.view_gps, f.view_glonass, f.view_galileo,
                        f.view_beidou, f.view_qzss, f.view_navic, f.view_sbas, f.datum, f.flags, s.key, f.segment_m
                    FROM fixes f JOIN sources s ON s.name = f.source ORDER BY f.id;
                DROP TABLE fixes;
                ALTER TABLE fixes_v2 RENAME TO fixes;
                """)
    }

    /// Geofences, routes and their assignments hold GeoJSON text (lon/lat, as the CLI takes and gives it); events
    /// are unique per (vehicle, kind, subject, time) so that importing the same data twice stores them once.
    static func v3ZonesAndEvents(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE geofences (
                    key INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
                    geometry TEXT NOT NULL CHECK (json_valid(geometry)),
                    vehicles TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(vehicles)),
                    kinds TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(kinds)),
                    speed_limit_kmh REAL CHECK (speed_limit_kmh IS NULL OR speed_limit_kmh > 0),
                    dwell_s REAL CHECK (dwell_s IS NULL OR dwell_s > 0)
                ) STRICT;
                CREATE TABLE routes (
                    key INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
                    geometry TEXT NOT NULL CHECK (json_valid(geometry)),
                    corridor_m REAL NOT NULL DEFAULT 50 CHECK (corridor_m > 0 AND corridor_m <= 10000),
                    checkpoints TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(checkpoints))
                ) STRICT;
                CREATE TABLE route_assignments (
                    id INTEGER PRIMARY KEY,
                    vehicle_key INTEGER NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
                    route_key INTEGER NOT NULL REFERENCES routes(key) ON DELETE CASCADE,
                    from_us INTEGER,
                    to_us INTEGER,
                    CHECK (from_us IS NULL OR to_us IS NULL OR from_us <= to_us)
                ) STRICT;
                CREATE INDEX route_assignments_by_vehicle ON route_assignments(vehicle_key, from_us);
                CREATE TABLE route_exemptions (
                    id INTEGER PRIMARY KEY,
                    vehicle_key INTEGER NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
                    from_us INTEGER NOT NULL,
                    to_us INTEGER NOT NULL CHECK (from_us <= to_us),
                    reason TEXT NOT NULL DEFAULT ''
                ) STRICT;
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY,
                    vehicle_key INTEGER NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('geofenceEnter','geofenceExit','geofenceCross',
                        'geofenceDwell','overspeed','routeDeviation','routeReturn','wrongDirection',
                        'checkpointArrive','checkpointMissed')),
                    time_us INTEGER NOT NULL,
                    lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
                    lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
                    fix_time_us INTEGER NOT NULL,
                    subject TEXT NOT NULL DEFAULT '',
                    details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
                    acknowledged_us INTEGER,
                    UNIQUE (vehicle_key, kind, subject, time_us)
                ) STRICT;
                CREATE INDEX events_by_time ON events(time_us);
                """)
    }

    /// A counter every change to the zones bumps (triggers, so that any writer counts: the CLI, another
    /// process, a future API): a running server polls it and reloads its zones when it moves.
    static func v4ZoneRevision(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE zone_revision (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL) STRICT;
                INSERT INTO zone_revision (id, value) VALUES (1, 0);
                """)
        for table in ["geofences", "routes", "route_assignments", "route_exemptions"] {
            for operation in ["INSERT", "UPDATE", "DELETE"] {
                try db.execute(
                    sql: """
                        CREATE TRIGGER \(table)_\(operation.lowercased())_revision AFTER \(operation) ON \(table)
                        BEGIN UPDATE zone_revision SET value = value + 1; END;
                        """)
            }
        }
    }

    /// API tokens: the SHA-256 of the secret, never the secret.
    static func v5APITokens(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE api_tokens (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                    role TEXT NOT NULL CHECK (role IN ('viewer', 'dispatcher', 'admin')),
                    secret_sha256 TEXT NOT NULL UNIQUE CHECK (length(secret_sha256) = 64),
                    created_us INTEGER NOT NULL,
                    revoked_us INTEGER
                ) STRICT;
                """)
    }

    /// Fixes split by time (`FixPartitions`): a catalogue of partition tables, one sequence numbering fixes across
    /// them, per partition and vehicle the span and distance held (track reads skip partitions without the vehicle,
    /// summaries need no scan), and each vehicle's latest position. The single `fixes` table becomes the first
    /// partition as it is (its span: the UTC days of its first and last fix), so that migrating costs one pass to
    /// count, not a copy; an empty one is dropped.
    static func v6FixPartitions(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE fix_partitions (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    start_us INTEGER NOT NULL UNIQUE,
                    end_us INTEGER NOT NULL,
                    rows INTEGER NOT NULL DEFAULT 0,
                    max_id INTEGER NOT NULL DEFAULT 0,
                    last_us INTEGER,
                    CHECK (start_us < end_us)
                ) STRICT;
                CREATE TABLE fix_sequence (id INTEGER PRIMARY KEY CHECK (id = 1), next_id INTEGER NOT NULL) STRICT;
                CREATE TABLE partition_vehicles (
                    partition_id INTEGER NOT NULL REFERENCES fix_partitions(id) ON DELETE CASCADE,
                    vehicle_key INTEGER NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
                    fixes INTEGER NOT NULL,
                    first_us INTEGER NOT NULL,
                    last_us INTEGER NOT NULL,
                    distance_m REAL NOT NULL,
                    PRIMARY KEY (partition_id, vehicle_key)
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE vehicle_positions (
                    vehicle_key INTEGER PRIMARY KEY REFERENCES vehicles(key) ON DELETE CASCADE,
                    time_us INTEGER NOT NULL,
                    partition_id INTEGER NOT NULL REFERENCES fix_partitions(id) ON DELETE CASCADE
                ) STRICT;
                """)
        let span = try Row.fetchOne(
            db, sql: "SELECT min(time_us) AS first, max(time_us) AS last, max(id) AS top, count(*) AS n FROM fixes")
        guard let first: Int64 = span?["first"], let last: Int64 = span?["last"], let top: Int64 = span?["top"],
            let count: Int64 = span?["n"]
        else {
            try db.execute(sql: "DROP TABLE fixes; INSERT INTO fix_sequence (id, next_id) VALUES (1, 1)")
            return
        }
        let start = FixPartitions.floorDiv(first, FixPartitions.day) * FixPartitions.day
        let end = FixPartitions.floorDiv(last, FixPartitions.day) * FixPartitions.day + FixPartitions.day
        let name = "fixes_\(FixPartitions.dayName(start))_1"
        try db.execute(
            sql: """
                ALTER TABLE fixes RENAME TO \(name);
                INSERT INTO fix_partitions (id, name, start_us, end_us, rows, max_id, last_us)
                    VALUES (1, ?, ?, ?, ?, ?, ?);
                INSERT INTO partition_vehicles (partition_id, vehicle_key, fixes, first_us, last_us, distance_m)
                    SELECT 1, vehicle_key, count(*), min(time_us), max(time_us), coalesce(sum(segment_m), 0)
                    FROM \(name) GROUP BY vehicle_key;
                INSERT INTO vehicle_positions (vehicle_key, time_us, partition_id)
                    SELECT vehicle_key, max(time_us), 1 FROM \(name) WHERE (flags & ?) = 0 GROUP BY vehicle_key;
                INSERT INTO fix_sequence (id, next_id) VALUES (1, ?);
                """,
            arguments: [name, start, end, count, top, last, FixFlags.ahead.rawValue, top + 1])
    }

    /// Checks that the tables have the columns this version reads, so that a database whose schema differs (another
    /// program's, or one written by a pre-release build) is refused with a clear error instead of failing later.
    static func validate(_ db: Database) throws {
        let applied = try migrator.appliedIdentifiers(db)
        // Tables by the migration that creates them: only those of migrations the database says it has are checked
        // (before migrating, a database of another program that claims our migrations is refused before ours run).
        let expected: [(migration: String, table: String, columns: Set<String>)] = [
            ("v1-vehicles-and-fixes", "vehicles", ["key", "id", "name", "kind", "registration"]),
            (
                "v2-fix-sources", "fixes",
                [
                    "vehicle_key", "time_us", "lat", "lon", "mode", "quality", "datum", "flags", "source_key",
                    "segment_m",
                ]
            ),
            ("v6-fix-partitions", "fix_partitions", ["id", "name", "start_us", "end_us", "rows", "max_id", "last_us"]),
            ("v6-fix-partitions", "fix_sequence", ["id", "next_id"]),
            (
                "v6-fix-partitions", "partition_vehicles",
                ["partition_id", "vehicle_key", "fixes", "first_us", "last_us", "distance_m"]
            ),
            ("v6-fix-partitions", "vehicle_positions", ["vehicle_key", "time_us", "partition_id"]),
            ("v2-fix-sources", "sources", ["key", "name"]),
            (
                "v3-zones-and-events", "geofences",
                ["name", "geometry", "vehicles", "kinds", "speed_limit_kmh", "dwell_s"]
            ),
            ("v3-zones-and-events", "routes", ["name", "geometry", "corridor_m", "checkpoints"]),
            ("v3-zones-and-events", "route_assignments", ["vehicle_key", "route_key", "from_us", "to_us"]),
            ("v3-zones-and-events", "route_exemptions", ["vehicle_key", "from_us", "to_us", "reason"]),
            (
                "v3-zones-and-events", "events",
                ["vehicle_key", "kind", "time_us", "lat", "lon", "fix_time_us", "subject", "details"]
            ),
            ("v4-zone-revision", "zone_revision", ["id", "value"]),
            ("v5-api-tokens", "api_tokens", ["id", "name", "role", "secret_sha256", "created_us", "revoked_us"]),
            (
                "v7-report-rows", "report_trips",
                [
                    "vehicle_key", "start_us", "end_us", "start_lat", "start_lon", "end_lat", "end_lon", "distance_m",
                    "max_speed_mps", "stopped_s", "open",
                ]
            ),
            (
                "v7-report-rows", "report_halts",
                [
                    "vehicle_key", "start_us", "end_us", "kind", "lat", "lon", "open", "restart_after_us",
                    "restart_state",
                ]
            ),
            ("v7-report-rows", "report_mileage", ["vehicle_key", "quarter", "trip_start_us", "meters"]),
        ]
        // The single fix table of v2–v5 is a partition since v6.
        let superseded: Set<String> = applied.contains("v6-fix-partitions") ? ["fixes"] : []
        for (migration, table, columns) in expected where applied.contains(migration) && !superseded.contains(table) {
            guard try db.tableExists(table) else { throw SchemaMismatch(table: table, missing: ["the table itself"]) }
            let present = Set(try db.columns(in: table).map(\.name))
            let missing = columns.subtracting(present)
            guard missing.isEmpty else {
                throw SchemaMismatch(table: table, missing: missing.sorted())
            }
        }
    }

    /// Report rows kept up to date as fixes are stored (issue 18): trips, stops and parkings (a parking carries the
    /// restart a derivation can go on from), and each trip's metres per UTC quarter hour. Keyed by vehicle and start:
    /// a derivation replaces a vehicle's rows from an instant on.
    static func v7ReportRows(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE report_trips (
                    vehicle_key INTEGER NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
                    start_us INTEGER NOT NULL,
                    end_us INTEGER NOT NULL,
                    start_lat REAL NOT NULL,
                    start_lon REAL NOT NULL,
                    end_lat REAL NOT NULL,
                    end_lon REAL NOT NULL,
                    distance_m REAL NOT NULL CHECK (distance_m >= 0),
                    max_speed_mps REAL NOT NULL,
                    stopped_s REAL NOT NULL,
                    open INTEGER NOT NULL CHECK (open BETWEEN 0 AND 1),
                    PRIMARY KEY (vehicle_key, start_us),
                    CHECK (end_us >= start_us)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX report_trips_end ON report_trips (vehicle_key, end_us);
                CREATE TABLE report_halts (
                    vehicle_key INTEGER NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
                    start_us INTEGER NOT NULL,
                    end_us INTEGER NOT NULL,
                    kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 1),
                    lat REAL NOT NULL,
                    lon REAL NOT NULL,
                    open INTEGER NOT NULL CHECK (open BETWEEN 0 AND 1),
                    restart_after_us INTEGER,
                    restart_state TEXT,
                    PRIMARY KEY (vehicle_key, start_us),
                    CHECK (end_us >= start_us)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX report_halts_end ON report_halts (vehicle_key, end_us);
                CREATE TABLE report_mileage (
                    vehicle_key INTEGER NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
                    quarter INTEGER NOT NULL,
                    trip_start_us INTEGER NOT NULL,
                    meters REAL NOT NULL,
                    PRIMARY KEY (vehicle_key, quarter, trip_start_us)
                ) STRICT, WITHOUT ROWID;
                """)
    }
}

/// A table lacks columns this version of Orbita reads.
struct SchemaMismatch: Error, CustomStringConvertible {
    let table: String
    let missing: [String]
    var description: String { "table \(table) lacks \(missing.joined(separator: ", ")): not this Orbita's schema" }
}
