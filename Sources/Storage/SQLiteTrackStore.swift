import GRDB
public import OrbitaModel

/// The embedded store: SQLite through GRDB, in WAL mode with one writer; readers never block the writer.
///
/// Batches are single transactions, so a crash, a kill or a full disk loses at most the batch in flight, never
/// committed data. Not shared across processes for writing: one Orbita process writes a database at a time.
public final class SQLiteTrackStore: TrackStore {
    private let writer: any DatabaseWriter
    /// The database file, or `:memory:`.
    public let path: String

    /// Opens (creating if needed) a database file and brings its schema up to date.
    /// - Parameters:
    ///   - path: the database file.
    ///   - maximumSizeBytes: a cap on the file's size (SQLite `max_page_count`); writes past it fail with
    ///     `StoreError.diskFull` as a full disk would.
    /// - Throws: `StoreError` when the file cannot be opened, is not a database, or is locked.
    public init(path: String, maximumSizeBytes: Int? = nil) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            if let maximumSizeBytes {
                let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                try db.execute(sql: "PRAGMA max_page_count = \(max(1, maximumSizeBytes / pageSize))")
            }
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try Schema.migrator.migrate(pool)
            writer = pool
        } catch {
            throw Self.storeError(error)
        }
    }

    /// An in-memory database (tests, benchmarks of the pipeline alone).
    public init() throws(StoreError) {
        path = ":memory:"
        do {
            let queue = try DatabaseQueue()
            try Schema.migrator.migrate(queue)
            writer = queue
        } catch {
            throw Self.storeError(error)
        }
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read { db in try Schema.migrator.appliedMigrations(db) }
    }

    /// `PRAGMA integrity_check`: `["ok"]` for a sound database.
    public func integrityCheck() throws(StoreError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    // MARK: - TrackStore

    /// Adds or updates a vehicle.
    public func save(_ vehicle: Vehicle) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO vehicles (id, name, kind, registration) VALUES (?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                        registration = excluded.registration
                    """,
                arguments: [vehicle.id, vehicle.name, vehicle.kind.rawValue, vehicle.registration])
        }
    }

    /// One vehicle.
    public func vehicle(id: String) throws(StoreError) -> Vehicle? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM vehicles WHERE id = ?", arguments: [id]).map(Self.vehicle)
        }
    }

    /// Inserts fixes in one transaction; existing (vehicle, time) pairs are skipped and counted.
    public func insert(_ points: [TrackPoint]) throws(StoreError) -> InsertOutcome {
        guard !points.isEmpty else { return InsertOutcome() }
        return try write { db in
            var outcome = InsertOutcome()
            var known: Set<String> = []
            let addVehicle = try db.cachedStatement(
                sql: "INSERT INTO vehicles (id, name, kind) VALUES (?, ?, 'other') ON CONFLICT (id) DO NOTHING")
            let addFix = try db.cachedStatement(
                sql: """
                    INSERT INTO fixes (vehicle_id, time_us, lat, lon, altitude_m, speed_mps, course_deg,
                        mode, quality, hdop, sats_used, view_gps, view_glonass, view_galileo, view_beidou,
                        view_qzss, view_navic, view_sbas, datum, flags, source, segment_m)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (vehicle_id, time_us) DO NOTHING
                    """)
            // `ON CONFLICT … DO NOTHING`, not `INSERT OR IGNORE`: OR IGNORE would also swallow CHECK violations.
            for (index, point) in points.enumerated() {
                if !known.contains(point.vehicleID) {
                    try addVehicle.execute(arguments: [point.vehicleID, point.vehicleID])
                    known.insert(point.vehicleID)
                }
                let view = point.satellitesInView
                try addFix.execute(arguments: [
                    point.vehicleID, point.time.microsecondsSinceEpoch, point.coordinate.latitude,
                    point.coordinate.longitude, point.altitudeMSL, point.speedMetersPerSecond, point.courseDegrees,
                    point.mode.rawValue, point.quality.rawValue, point.hdop, point.satellitesUsed, view[.gps],
                    view[.glonass], view[.galileo], view[.beidou], view[.qzss], view[.navic], view[.sbas],
                    point.datum.name, point.flags.rawValue, point.source, point.segmentMeters,
                ])
                if db.changesCount == 1 {
                    outcome.inserted += 1
                } else {
                    outcome.duplicates += 1
                    outcome.skippedIndices.append(index)
                }
            }
            return outcome
        }
    }

    /// A vehicle's track between two instants (inclusive), in time order.
    public func track(vehicleID: String, from: UTCInstant?, to: UTCInstant?) throws(StoreError) -> [TrackPoint] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM fixes WHERE vehicle_id = ? AND time_us BETWEEN ? AND ? ORDER BY time_us",
                arguments: [
                    vehicleID, from?.microsecondsSinceEpoch ?? Int64.min, to?.microsecondsSinceEpoch ?? Int64.max,
                ]
            ).map(Self.trackPoint)
        }
    }

    /// The last stored fix of every vehicle that has one.
    public func lastPositions() throws(StoreError) -> [TrackPoint] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT f.* FROM vehicles v JOIN fixes f ON f.id = (
                        SELECT id FROM fixes WHERE vehicle_id = v.id ORDER BY time_us DESC LIMIT 1)
                    ORDER BY v.id
                    """
            ).map(Self.trackPoint)
        }
    }

    /// The last stored fix of one vehicle at or before an instant (nil: the very last).
    public func lastPoint(vehicleID: String, atOrBefore: UTCInstant?) throws(StoreError) -> TrackPoint? {
        try read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM fixes WHERE vehicle_id = ? AND time_us <= ? ORDER BY time_us DESC LIMIT 1",
                arguments: [vehicleID, atOrBefore?.microsecondsSinceEpoch ?? Int64.max]
            ).map(Self.trackPoint)
        }
    }

    /// Every vehicle with its track summary, by ID.
    public func summaries() throws(StoreError) -> [VehicleSummary] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT v.*, count(f.id) AS fix_count, min(f.time_us) AS first_us, max(f.time_us) AS last_us,
                        coalesce(sum(f.segment_m), 0) AS distance_m
                    FROM vehicles v LEFT JOIN fixes f ON f.vehicle_id = v.id
                    GROUP BY v.id ORDER BY v.id
                    """
            ).map { row in
                VehicleSummary(
                    vehicle: Self.vehicle(row), fixCount: row["fix_count"],
                    firstTime: (row["first_us"] as Int64?).map(UTCInstant.init(microsecondsSinceEpoch:)),
                    lastTime: (row["last_us"] as Int64?).map(UTCInstant.init(microsecondsSinceEpoch:)),
                    distanceMeters: row["distance_m"])
            }
        }
    }

    // MARK: - Rows

    private static func vehicle(_ row: Row) -> Vehicle {
        Vehicle(
            id: row["id"], name: row["name"], kind: VehicleKind(rawValue: row["kind"]) ?? .other,
            registration: row["registration"])
    }

    private static func trackPoint(_ row: Row) -> TrackPoint {
        var view = SatelliteCounts()
        view[.gps] = row["view_gps"]
        view[.glonass] = row["view_glonass"]
        view[.galileo] = row["view_galileo"]
        view[.beidou] = row["view_beidou"]
        view[.qzss] = row["view_qzss"]
        view[.navic] = row["view_navic"]
        view[.sbas] = row["view_sbas"]
        return TrackPoint(
            vehicleID: row["vehicle_id"], time: UTCInstant(microsecondsSinceEpoch: row["time_us"]),
            coordinate: Coordinate(latitude: row["lat"], longitude: row["lon"]), altitudeMSL: row["altitude_m"],
            speedMetersPerSecond: row["speed_mps"], courseDegrees: row["course_deg"],
            mode: FixMode(rawValue: row["mode"]) ?? .twoDimensional,
            quality: FixQuality(rawValue: row["quality"]) ?? .autonomous, hdop: row["hdop"],
            satellitesUsed: row["sats_used"], satellitesInView: view, datum: Datum(name: row["datum"]) ?? .other,
            flags: FixFlags(rawValue: row["flags"]), source: row["source"], segmentMeters: row["segment_m"])
    }

    // MARK: - Access and errors

    private func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.read(body)
        } catch {
            throw Self.storeError(error)
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.write(body)
        } catch {
            throw Self.storeError(error)
        }
    }

    static func storeError(_ error: any Error) -> StoreError {
        guard let error = error as? DatabaseError else { return .io(String(describing: error)) }
        let detail = "\(error.resultCode): \(error.message ?? "")"
        switch error.resultCode.primaryResultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return .corrupt(detail)
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .locked(detail)
        case .SQLITE_FULL: return .diskFull(detail)
        case .SQLITE_CONSTRAINT: return .constraint(detail)
        default: return .io(detail)
        }
    }
}
