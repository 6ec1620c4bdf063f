import GRDB
import GRDBSQLite
public import OrbitaModel

/// The embedded store: SQLite through GRDB, in WAL mode with one writer; readers never block the writer.
///
/// Batches are single transactions, so a crash, a kill or a full disk loses at most the batch in flight, never
/// committed data. Not shared across processes for writing: one Orbita process writes a database at a time.
public final class SQLiteTrackStore: TrackStore {
    private let writer: any DatabaseWriter
    /// Vehicle keys by ID, learned by inserts (vehicles are never deleted or re-keyed); cleared when a batch fails,
    /// since its new vehicles were rolled back with it.
    private var vehicleKeys: [String: Int64] = [:]
    /// Source keys by name, learned the same way.
    private var sourceKeys: [String: Int64] = [:]
    /// The database file, or `:memory:`.
    public let path: String

    /// Opens (creating if needed) a database file and brings its schema up to date.
    /// - Parameters:
    ///   - path: the database file.
    ///   - maximumSizeBytes: a cap on the file's size (SQLite `max_page_count`); writes past it fail with
    ///     `StoreError.diskFull` as a full disk would.
    ///   - busyTimeoutSeconds: how long to wait for another process's lock before `StoreError.locked`.
    ///   - cacheMegabytes: SQLite's page cache per connection. A fleet's interleaved inserts touch index pages all over
    ///     the (vehicle, time) index; once the index outgrows the cache, every commit reads pages back from the OS
    ///     and a live server's throughput falls (measured: at ≈ 5 M fixes with 64 MiB). A server gives it more.
    /// - Throws: `StoreError` when the file cannot be opened, is not a database, or is locked.
    public init(
        path: String, maximumSizeBytes: Int? = nil, busyTimeoutSeconds: Double = 5, cacheMegabytes: Int = 64
    ) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        configuration.prepareDatabase { db in
            // 16 KiB pages for new files (a no-op on existing ones): inserting a fleet's interleaved fixes ran
            // ≈ 20% faster than with 4 KiB pages (C API, this schema, 156k rows): fewer page splits and WAL frames.
            try db.execute(sql: "PRAGMA page_size = 16384")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -\(max(2, cacheMegabytes) * 1024)")
            if let maximumSizeBytes {
                let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                try db.execute(sql: "PRAGMA max_page_count = \(max(1, maximumSizeBytes / pageSize))")
            }
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try pool.read(Schema.validate)  // what the database claims to have, before adding to it
            try Schema.migrator.migrate(pool)
            try pool.read(Schema.validate)
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

    /// Every registered vehicle, by ID.
    public func vehicles() throws(StoreError) -> [Vehicle] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM vehicles ORDER BY id").map(Self.vehicle) }
    }

    /// Inserts fixes and events in one transaction; existing fixes and events are skipped and counted.
    public func insert(_ points: [TrackPoint], events: [VehicleEvent]) throws(StoreError) -> InsertOutcome {
        guard !points.isEmpty || !events.isEmpty else { return InsertOutcome() }
        var keys = vehicleKeys
        var sources = sourceKeys
        defer {
            vehicleKeys = keys
            sourceKeys = sources
        }
        do {
            return try insert(points, events: events, keys: &keys, sources: &sources)
        } catch {
            keys = [:]
            sources = [:]
            throw error
        }
    }

    private func insert(
        _ points: [TrackPoint], events: [VehicleEvent], keys: inout [String: Int64], sources: inout [String: Int64]
    ) throws(StoreError) -> InsertOutcome {
        try write { db in
            var outcome = InsertOutcome()
            let findVehicle = try db.cachedStatement(sql: "SELECT key FROM vehicles WHERE id = ?")
            /// Registers a vehicle first seen in this batch and remembers its key.
            func vehicleKey(_ id: String) throws -> Int64 {
                try Self.registerVehicle(id, db)
                guard let found = try Int64.fetchOne(findVehicle, arguments: [id]) else {
                    throw StoreError.io("vehicle \(id) vanished during insert")
                }
                keys[id] = found
                return found
            }
            let addSource = try db.cachedStatement(
                sql: "INSERT INTO sources (name) VALUES (?) ON CONFLICT (name) DO NOTHING")
            let findSource = try db.cachedStatement(sql: "SELECT key FROM sources WHERE name = ?")
            // Consecutive fixes nearly always share a source: remember the last one (one string comparison a fix).
            var lastSource: (name: String, key: Int64)?
            // `ON CONFLICT … DO NOTHING`, not `INSERT OR IGNORE`: OR IGNORE would also swallow CHECK violations.
            let addFix = try db.cachedStatement(
                sql: """
                    INSERT INTO fixes (vehicle_key, time_us, lat, lon, altitude_m, speed_mps, course_deg,
                        mode, quality, hdop, sats_used, view_gps, view_glonass, view_galileo, view_beidou,
                        view_qzss, view_navic, view_sbas, datum, flags, source_key, segment_m)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (vehicle_key, time_us) DO NOTHING
                    """)
            let row = RowBinder(addFix.sqliteStatement)
            for (index, point) in points.enumerated() {
                let key = try keys[point.vehicleID] ?? vehicleKey(point.vehicleID)
                let sourceKey: Int64
                if let lastSource, lastSource.name == point.source {
                    sourceKey = lastSource.key
                } else if let known = sources[point.source] {
                    sourceKey = known
                } else {
                    try addSource.execute(arguments: [point.source])
                    guard let found = try Int64.fetchOne(findSource, arguments: [point.source]) else {
                        throw StoreError.io("source \(point.source) vanished during insert")
                    }
                    sources[point.source] = found
                    sourceKey = found
                }
                lastSource = (point.source, sourceKey)
                // Bound directly with SQLite's C API: this loop is the import's hot path.
                row.reset()
                row.bind(1, key)
                row.bind(2, point.time.microsecondsSinceEpoch)
                row.bind(3, point.coordinate.latitude)
                row.bind(4, point.coordinate.longitude)
                row.bind(5, point.altitudeMSL)
                row.bind(6, point.speedMetersPerSecond)
                row.bind(7, point.courseDegrees)
                row.bind(8, Int64(point.mode.rawValue))
                row.bind(9, Int64(point.quality.rawValue))
                row.bind(10, point.hdop)
                row.bind(11, point.satellitesUsed.map(Int64.init))
                let view = point.satellitesInView
                row.bind(12, Int64(view[.gps]))
                row.bind(13, Int64(view[.glonass]))
                row.bind(14, Int64(view[.galileo]))
                row.bind(15, Int64(view[.beidou]))
                row.bind(16, Int64(view[.qzss]))
                row.bind(17, Int64(view[.navic]))
                row.bind(18, Int64(view[.sbas]))
                row.bind(19, Int64(Self.datumCode(point.datum)))
                row.bind(20, Int64(point.flags.rawValue))
                row.bind(21, sourceKey)
                row.bind(22, point.segmentMeters)
                let code = row.step()
                guard code == SQLITE_DONE else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage)
                }
                if db.changesCount == 1 {
                    outcome.inserted += 1
                    outcome.fixIDs.append(db.lastInsertedRowID)
                } else {
                    outcome.duplicates += 1
                    outcome.skippedIndices.append(index)
                }
            }
            row.reset()
            for event in events {
                let key = try keys[event.vehicleID] ?? vehicleKey(event.vehicleID)
                if try Self.insert(event, vehicleKey: key, db) {
                    outcome.eventsInserted += 1
                    outcome.eventIDs.append(db.lastInsertedRowID)
                } else {
                    outcome.eventIDs.append(nil)
                }
            }
            return outcome
        }
    }

    /// A vehicle's track between two instants (inclusive), in time order.
    public func track(vehicleID: String, from: UTCInstant?, to: UTCInstant?) throws(StoreError) -> [TrackPoint] {
        try read { db in
            // A cursor: one row at a time becomes a point (fetchAll held every row and every point at once).
            var points: [TrackPoint] = []
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    \(Self.selectPoints) WHERE v.id = ? AND f.time_us BETWEEN ? AND ? ORDER BY f.time_us
                    """,
                arguments: [
                    vehicleID, from?.microsecondsSinceEpoch ?? Int64.min, to?.microsecondsSinceEpoch ?? Int64.max,
                ])
            while let row = try cursor.next() { points.append(Self.trackPoint(row)) }
            return points
        }
    }

    /// The latest `limit` fixes of a vehicle in a time range, in time order, and whether older ones in the range were
    /// left out: the limit is in the query (newest first on the (vehicle, time) index), so memory and time grow with
    /// the limit, not with the track.
    public func track(
        vehicleID: String, from: UTCInstant?, to: UTCInstant?, latest limit: Int
    ) throws(StoreError) -> (points: [TrackPoint], truncated: Bool) {
        let rows = try read { db in
            // A cursor: one row at a time becomes a point (fetchAll held every row and every point at once).
            var points: [TrackPoint] = []
            points.reserveCapacity(min(limit + 1, 1 << 20))
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    \(Self.selectPoints) WHERE v.id = ? AND f.time_us BETWEEN ? AND ? ORDER BY f.time_us DESC LIMIT ?
                    """,
                arguments: [
                    vehicleID, from?.microsecondsSinceEpoch ?? Int64.min, to?.microsecondsSinceEpoch ?? Int64.max,
                    max(0, limit) + 1,
                ])
            while let row = try cursor.next() { points.append(Self.trackPoint(row)) }
            return points
        }
        return (Array(rows.prefix(max(0, limit)).reversed()), rows.count > max(0, limit))
    }

    /// The last stored fix of every vehicle that has one (fixes flagged `ahead` of the clock are not positions yet).
    public func lastPositions() throws(StoreError) -> [TrackPoint] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.pointColumns) FROM vehicles v JOIN fixes f
                        ON f.vehicle_key = v.key AND f.time_us = (
                            SELECT time_us FROM fixes WHERE vehicle_key = v.key AND (flags & ?) = 0
                            ORDER BY time_us DESC LIMIT 1)
                        JOIN sources s ON s.key = f.source_key
                    ORDER BY v.id
                    """, arguments: [FixFlags.ahead.rawValue]
            ).map(Self.trackPoint)
        }
    }

    /// The last stored fix of one vehicle at or before an instant (nil: the very last).
    public func lastPoint(vehicleID: String, atOrBefore: UTCInstant?) throws(StoreError) -> TrackPoint? {
        try read { db in
            try Row.fetchOne(
                db,
                sql: """
                    \(Self.selectPoints) WHERE v.id = ? AND f.time_us <= ? ORDER BY f.time_us DESC LIMIT 1
                    """,
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
                    SELECT v.*, count(f.time_us) AS fix_count, min(f.time_us) AS first_us,
                        max(f.time_us) AS last_us, coalesce(sum(f.segment_m), 0) AS distance_m
                    FROM vehicles v LEFT JOIN fixes f ON f.vehicle_key = v.key
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

    /// The columns `trackPoint` reads, by position (a name lookup per column cost more than the rest of the row):
    /// the fix's, its vehicle's ID, its source's name and its number (`fixID`).
    static let pointColumns = """
        f.time_us, f.lat, f.lon, f.altitude_m, f.speed_mps, f.course_deg, f.mode, f.quality, f.hdop, f.sats_used,
        f.view_gps, f.view_glonass, f.view_galileo, f.view_beidou, f.view_qzss, f.view_navic, f.view_sbas, f.datum,
        f.flags, f.segment_m, v.id, s.name, f.id
        """

    /// Fix rows with their vehicle's ID and their source's name, as `trackPoint` reads them (`lastPositions` starts
    /// from the vehicles instead, so that it reads one fix per vehicle through the unique index).
    static let selectPoints = """
        SELECT \(pointColumns) FROM fixes f
            JOIN vehicles v ON v.key = f.vehicle_key JOIN sources s ON s.key = f.source_key
        """

    /// Registers a vehicle by ID (name = ID, kind `other`) unless it exists.
    static func registerVehicle(_ id: String, _ db: Database) throws {
        try db.cachedStatement(
            sql: "INSERT INTO vehicles (id, name, kind) VALUES (?, ?, 'other') ON CONFLICT (id) DO NOTHING"
        ).execute(arguments: [id, id])
    }

    static func datumCode(_ datum: Datum) -> Int {
        switch datum {
        case .wgs84: 0
        case .wgs72: 1
        case .sgs85: 2
        case .pz90: 3
        case .userDefined: 4
        case .other: 5
        }
    }

    static func datum(code: Int) -> Datum {
        switch code {
        case 0: .wgs84
        case 1: .wgs72
        case 2: .sgs85
        case 3: .pz90
        case 4: .userDefined
        default: .other
        }
    }

    private static func vehicle(_ row: Row) -> Vehicle {
        Vehicle(
            id: row["id"], name: row["name"], kind: VehicleKind(rawValue: row["kind"]) ?? .other,
            registration: row["registration"])
    }

    /// A row of `pointColumns` as a point.
    static func trackPoint(_ row: Row) -> TrackPoint {
        var view = SatelliteCounts()
        view[.gps] = row[10]
        view[.glonass] = row[11]
        view[.galileo] = row[12]
        view[.beidou] = row[13]
        view[.qzss] = row[14]
        view[.navic] = row[15]
        view[.sbas] = row[16]
        return TrackPoint(
            vehicleID: row[20], time: UTCInstant(microsecondsSinceEpoch: row[0]),
            coordinate: Coordinate(latitude: row[1], longitude: row[2]), altitudeMSL: row[3],
            speedMetersPerSecond: row[4], courseDegrees: row[5], mode: FixMode(rawValue: row[6]) ?? .twoDimensional,
            quality: FixQuality(rawValue: row[7]) ?? .autonomous, hdop: row[8], satellitesUsed: row[9],
            satellitesInView: view, datum: Self.datum(code: row[17]), flags: FixFlags(rawValue: row[18]),
            source: row[21], segmentMeters: row[19])
    }

    /// The number of a row of `pointColumns`.
    static func fixID(_ row: Row) -> Int64 { row[22] }

    // MARK: - Access and errors

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.read(body)
        } catch {
            throw Self.storeError(error)
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.write(body)
        } catch {
            throw Self.storeError(error)
        }
    }

    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }  // thrown by our own code inside a transaction
        if let mismatch = error as? SchemaMismatch { return .corrupt(mismatch.description) }
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

/// Binds values to a prepared statement with SQLite's C API (no boxing of arguments).
private struct RowBinder {
    let statement: OpaquePointer
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ statement: OpaquePointer) { self.statement = statement }

    func reset() {
        sqlite3_reset(statement)
    }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(statement, index, value) }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    func bind(_ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    func bind(_ index: Int32, _ value: String) {
        var text = value
        text.withUTF8 { buffer in
            _ = sqlite3_bind_text(
                statement, index, UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self),
                Int32(buffer.count), Self.transient)
        }
    }

    func step() -> Int32 { sqlite3_step(statement) }
}
