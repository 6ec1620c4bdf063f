import OrbitaModel
import PostgresNIO

/// The PostgreSQL schema as numbered, append-only migrations, applied at start under an advisory lock (several
/// servers starting at once apply each migration once). Times are microseconds since the epoch in `bigint` columns,
/// as in SQLite (exact, and the same numbers in both backends); the view `fixes_readable` shows them as `timestamptz`
/// for people querying with SQL.
///
/// Fixes live in `fixes`, partitioned by day on `time_us` (native declarative partitioning): `fixes_YYYYMMDD`, made
/// ahead of time and on demand, dropped whole by retention. (vehicle, time) is unique (the partition key is part of
/// it, as PostgreSQL requires). Fix rows carry no foreign keys (vehicles and sources are never deleted, and a foreign
/// key check per row would cost as much as the row).
enum PostgresSchema {
    /// `pg_advisory_xact_lock` keys: migrations, and making partitions.
    static let migrationLock: Int64 = 0x4F52_4249_5441_0001
    static let partitionLock: Int64 = 0x4F52_4249_5441_0002

    /// The migrations, in order; never edit one that has shipped, add the next.
    static let migrations: [(version: Int, name: String, sql: String)] = [
        (1, "tracks, zones, events and tokens", v1),
        (2, "cluster nodes and shard leases", v2),
        (3, "cluster inbox", v3),
        (4, "report rows", v4),
    ]

    /// Applies the migrations the database lacks, in one transaction under the migration lock.
    static func migrate(_ session: PostgresSession) throws(StoreError) {
        try session.transaction { () throws(StoreError) in
            try session.query("SELECT pg_advisory_xact_lock(\(migrationLock))")
            try session.execute(
                """
                CREATE TABLE IF NOT EXISTS orbita_schema (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            var applied = Set<Int>()
            for row in try session.query("SELECT version FROM orbita_schema") {
                if let version = try? row.decode(Int.self) { applied.insert(version) }
            }
            if applied.isEmpty {
                // A database with tables of its own but no record of ours is another program's: refuse it.
                let foreign = try session.query(
                    """
                    SELECT count(*)::bigint FROM pg_tables WHERE schemaname = current_schema()
                    AND tablename IN ('vehicles', 'fixes', 'events', 'geofences', 'routes')
                    """
                ).first.flatMap { try? $0.decode(Int64.self) }
                if let foreign, foreign > 0 {
                    throw StoreError.corrupt(
                        "\(session.endpoint) has tables named as Orbita's but no orbita_schema record")
                }
            }
            for migration in migrations where !applied.contains(migration.version) {
                try session.executeScript(migration.sql)
                try session.query(
                    "INSERT INTO orbita_schema (version, name) VALUES (\(migration.version), \(migration.name))")
            }
            try addGeometryWherePostGISIs(session)
        }
    }

    /// When PostGIS is installed on the server, geofences and routes also get a `geom` column (EPSG:4326) that
    /// triggers keep equal to their GeoJSON — circles and corridors buffered on the ellipsoid — so that operators can
    /// query zones with SQL. Orbita's own checks stay in memory. Done at every start (idempotent), so a server that
    /// gains PostGIS later gets the columns then; without PostGIS (or without the right to create the extension)
    /// nothing changes.
    static func addGeometryWherePostGISIs(_ session: PostgresSession) throws(StoreError) {
        let available = try session.query(
            "SELECT count(*)::bigint FROM pg_available_extensions WHERE name = 'postgis'"
        ).first.flatMap { try? $0.decode(Int64.self) }
        guard available == 1 else { return }
        try session.execute("SAVEPOINT postgis")
        do {
            try session.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        } catch {
            try session.execute("ROLLBACK TO SAVEPOINT postgis")  // no right to create it: stay without
            return
        }
        try session.executeScript(geometrySQL)
    }

    static let geometrySQL = """
        ALTER TABLE geofences ADD COLUMN IF NOT EXISTS geom geometry(Geometry, 4326);
        ALTER TABLE routes ADD COLUMN IF NOT EXISTS geom geometry(Geometry, 4326);
        CREATE OR REPLACE FUNCTION orbita_geofence_geometry() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE feature jsonb := NEW.geometry::jsonb; shape geometry; metres float8; BEGIN
            shape := ST_SetSRID(ST_GeomFromGeoJSON((feature -> 'geometry')::text), 4326);
            metres := coalesce((feature -> 'properties' ->> 'radius_m')::float8,
                (feature -> 'properties' ->> 'corridor_m')::float8);
            IF metres IS NOT NULL THEN shape := ST_Buffer(shape::geography, metres)::geometry; END IF;
            NEW.geom := shape; RETURN NEW; END $$;
        CREATE OR REPLACE FUNCTION orbita_route_geometry() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.geom := ST_SetSRID(ST_GeomFromGeoJSON(NEW.geometry), 4326); RETURN NEW; END $$;
        DROP TRIGGER IF EXISTS geofences_geometry ON geofences;
        CREATE TRIGGER geofences_geometry BEFORE INSERT OR UPDATE OF geometry ON geofences
            FOR EACH ROW EXECUTE FUNCTION orbita_geofence_geometry();
        DROP TRIGGER IF EXISTS routes_geometry ON routes;
        CREATE TRIGGER routes_geometry BEFORE INSERT OR UPDATE OF geometry ON routes
            FOR EACH ROW EXECUTE FUNCTION orbita_route_geometry();
        CREATE INDEX IF NOT EXISTS geofences_by_geometry ON geofences USING gist (geom);
        UPDATE geofences SET geometry = geometry WHERE geom IS NULL;
        UPDATE routes SET geometry = geometry WHERE geom IS NULL;
        """

    /// The names of the migrations applied, in order.
    static func applied(_ session: PostgresSession) throws(StoreError) -> [String] {
        var names: [String] = []
        for row in try session.query("SELECT name FROM orbita_schema ORDER BY version") {
            if let name = try? row.decode(String.self) { names.append(name) }
        }
        return names
    }

    static let kinds = VehicleKind.allCases.map { "'\($0.rawValue)'" }.joined(separator: ",")
    static let eventKinds = EventKind.allCases.map { "'\($0.rawValue)'" }.joined(separator: ",")

    /// Several nodes on one database (`orbita serve --node`): who is alive, and which node holds which shard of the
    /// vehicles until when (the database's clock), with an epoch raised at every claim.
    static let v2 = """
        CREATE TABLE cluster_nodes (
            name text PRIMARY KEY,
            incarnation text NOT NULL,
            endpoints text NOT NULL DEFAULT '',
            joined_at timestamptz NOT NULL DEFAULT now(),
            heartbeat_at timestamptz NOT NULL DEFAULT now(),
            stopped boolean NOT NULL DEFAULT false,
            claims bigint NOT NULL DEFAULT 0
        );
        CREATE TABLE cluster_shards (
            shard integer PRIMARY KEY CHECK (shard >= 0),
            owner text REFERENCES cluster_nodes(name),
            lease_until timestamptz,
            epoch bigint NOT NULL DEFAULT 0,
            CHECK ((owner IS NULL) = (lease_until IS NULL))
        );
        """

    /// Fixes received by any node, waiting for the node that owns their vehicle's shard (`InboxCodec` bytes).
    /// Report rows kept up to date as fixes are stored (issue 18), as in SQLite: trips, stops and parkings (a parking
    /// carries the restart a derivation can go on from), and each trip's metres per UTC quarter hour.
    static let v4 = """
        CREATE TABLE report_trips (
            vehicle_key bigint NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
            start_us bigint NOT NULL,
            end_us bigint NOT NULL,
            start_lat double precision NOT NULL,
            start_lon double precision NOT NULL,
            end_lat double precision NOT NULL,
            end_lon double precision NOT NULL,
            distance_m double precision NOT NULL CHECK (distance_m >= 0),
            max_speed_mps double precision NOT NULL,
            stopped_s double precision NOT NULL,
            open boolean NOT NULL,
            PRIMARY KEY (vehicle_key, start_us),
            CHECK (end_us >= start_us)
        );
        CREATE INDEX report_trips_end ON report_trips (vehicle_key, end_us);
        CREATE TABLE report_halts (
            vehicle_key bigint NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
            start_us bigint NOT NULL,
            end_us bigint NOT NULL,
            kind text NOT NULL CHECK (kind IN ('stop', 'parking')),
            lat double precision NOT NULL,
            lon double precision NOT NULL,
            open boolean NOT NULL,
            restart_after_us bigint,
            restart_state text,
            PRIMARY KEY (vehicle_key, start_us),
            CHECK (end_us >= start_us)
        );
        CREATE INDEX report_halts_end ON report_halts (vehicle_key, end_us);
        CREATE TABLE report_mileage (
            vehicle_key bigint NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
            quarter bigint NOT NULL,
            trip_start_us bigint NOT NULL,
            meters double precision NOT NULL,
            PRIMARY KEY (vehicle_key, quarter, trip_start_us)
        );
        """

    static let v3 = """
        CREATE TABLE cluster_inbox (
            id bigserial PRIMARY KEY,
            shard integer NOT NULL,
            received_by text NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            source text NOT NULL,
            fix bytea NOT NULL
        );
        CREATE INDEX cluster_inbox_by_shard ON cluster_inbox (shard, id);
        """

    static let v1 = """
        CREATE TABLE vehicles (
            key bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            id text NOT NULL UNIQUE,
            name text NOT NULL,
            kind text NOT NULL CHECK (kind IN (\(kinds))),
            registration text
        );
        CREATE TABLE sources (
            key bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name text NOT NULL UNIQUE CHECK (length(name) <= 8192)
        );
        CREATE SEQUENCE fix_numbers AS bigint;
        CREATE TABLE fixes (
            id bigint NOT NULL DEFAULT nextval('fix_numbers'),
            vehicle_key bigint NOT NULL,
            time_us bigint NOT NULL,
            lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
            lon double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
            altitude_m double precision CHECK (altitude_m BETWEEN -1000 AND 100000),
            speed_mps double precision CHECK (speed_mps >= 0),
            course_deg double precision CHECK (course_deg >= 0 AND course_deg <= 360),
            mode integer NOT NULL CHECK (mode BETWEEN 1 AND 3),
            quality integer NOT NULL CHECK (quality BETWEEN 0 AND 8),
            hdop double precision CHECK (hdop >= 0),
            sats_used integer CHECK (sats_used >= 0),
            view_gps integer NOT NULL DEFAULT 0,
            view_glonass integer NOT NULL DEFAULT 0,
            view_galileo integer NOT NULL DEFAULT 0,
            view_beidou integer NOT NULL DEFAULT 0,
            view_qzss integer NOT NULL DEFAULT 0,
            view_navic integer NOT NULL DEFAULT 0,
            view_sbas integer NOT NULL DEFAULT 0,
            datum integer NOT NULL DEFAULT 0 CHECK (datum BETWEEN 0 AND 5),
            flags integer NOT NULL DEFAULT 0,
            source_key bigint NOT NULL,
            segment_m double precision CHECK (segment_m >= 0),
            UNIQUE (vehicle_key, time_us)
        ) PARTITION BY RANGE (time_us);
        CREATE INDEX fixes_by_number ON fixes (id);
        CREATE TABLE vehicle_days (
            vehicle_key bigint NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
            day_us bigint NOT NULL,
            fixes bigint NOT NULL,
            first_us bigint NOT NULL,
            last_us bigint NOT NULL,
            distance_m double precision NOT NULL,
            PRIMARY KEY (vehicle_key, day_us)
        );
        CREATE INDEX vehicle_days_by_day ON vehicle_days (day_us);
        CREATE TABLE vehicle_positions (
            vehicle_key bigint PRIMARY KEY REFERENCES vehicles(key) ON DELETE CASCADE,
            time_us bigint NOT NULL
        );
        CREATE TABLE geofences (
            key bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
            geometry text NOT NULL,
            vehicles text NOT NULL DEFAULT '[]',
            kinds text NOT NULL DEFAULT '[]',
            speed_limit_kmh double precision CHECK (speed_limit_kmh > 0),
            dwell_s double precision CHECK (dwell_s > 0)
        );
        CREATE TABLE routes (
            key bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
            geometry text NOT NULL,
            corridor_m double precision NOT NULL DEFAULT 50 CHECK (corridor_m > 0 AND corridor_m <= 10000),
            checkpoints text NOT NULL DEFAULT '[]'
        );
        CREATE TABLE route_assignments (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            vehicle_key bigint NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
            route_key bigint NOT NULL REFERENCES routes(key) ON DELETE CASCADE,
            from_us bigint,
            to_us bigint,
            CHECK (from_us IS NULL OR to_us IS NULL OR from_us <= to_us)
        );
        CREATE INDEX route_assignments_by_vehicle ON route_assignments (vehicle_key, from_us);
        CREATE TABLE route_exemptions (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            vehicle_key bigint NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
            from_us bigint NOT NULL,
            to_us bigint NOT NULL CHECK (from_us <= to_us),
            reason text NOT NULL DEFAULT ''
        );
        CREATE TABLE events (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            vehicle_key bigint NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
            kind text NOT NULL CHECK (kind IN (\(eventKinds))),
            time_us bigint NOT NULL,
            lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
            lon double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
            fix_time_us bigint NOT NULL,
            subject text NOT NULL DEFAULT '',
            details jsonb NOT NULL DEFAULT '{}',
            acknowledged_us bigint,
            UNIQUE (vehicle_key, kind, subject, time_us)
        );
        CREATE INDEX events_by_time ON events (time_us);
        CREATE TABLE zone_revision (id integer PRIMARY KEY CHECK (id = 1), value bigint NOT NULL);
        INSERT INTO zone_revision (id, value) VALUES (1, 0);
        CREATE FUNCTION orbita_zone_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN UPDATE zone_revision SET value = value + 1; RETURN NULL; END $$;
        CREATE TRIGGER geofences_revision AFTER INSERT OR UPDATE OR DELETE ON geofences
            FOR EACH ROW EXECUTE FUNCTION orbita_zone_changed();
        CREATE TRIGGER routes_revision AFTER INSERT OR UPDATE OR DELETE ON routes
            FOR EACH ROW EXECUTE FUNCTION orbita_zone_changed();
        CREATE TRIGGER route_assignments_revision AFTER INSERT OR UPDATE OR DELETE ON route_assignments
            FOR EACH ROW EXECUTE FUNCTION orbita_zone_changed();
        CREATE TRIGGER route_exemptions_revision AFTER INSERT OR UPDATE OR DELETE ON route_exemptions
            FOR EACH ROW EXECUTE FUNCTION orbita_zone_changed();
        CREATE TABLE api_tokens (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            role text NOT NULL CHECK (role IN ('viewer', 'dispatcher', 'admin')),
            secret_sha256 text NOT NULL UNIQUE CHECK (length(secret_sha256) = 64),
            created_us bigint NOT NULL,
            revoked_us bigint
        );
        CREATE VIEW fixes_readable AS
            SELECT f.id, v.id AS vehicle, to_timestamp(f.time_us / 1e6) AS time, f.lat, f.lon, f.altitude_m,
                f.speed_mps, f.course_deg, f.mode, f.quality, f.hdop, f.sats_used, f.flags, s.name AS source,
                f.segment_m
            FROM fixes f JOIN vehicles v ON v.key = f.vehicle_key JOIN sources s ON s.key = f.source_key;
        """
}
