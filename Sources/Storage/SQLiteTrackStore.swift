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
    var vehicleKeys: [String: Int64] = [:]
    /// Source keys by name, learned the same way.
    private var sourceKeys: [String: Int64] = [:]
    /// Source names by key, for reading tracks (read again when a key is missing).
    private var sourceNames: [Int64: String] = [:]
    /// The database file, or `:memory:`.
    public let path: String
    /// Rows after which a fix partition is closed and the next fixes open another (`FixPartitions`).
    public let partitionRowLimit: Int64
    /// The default partition size: a day's partition of a big fleet would otherwise outgrow the page cache as the
    /// single table did (measured with `orbita bench history`).
    public static let defaultPartitionRowLimit: Int64 = 4_000_000

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
    ///   - partitionRowLimit: rows after which a fix partition is closed (`SQLiteTrackStore.defaultPartitionRowLimit`).
    public init(
        path: String, maximumSizeBytes: Int? = nil, busyTimeoutSeconds: Double = 5, cacheMegabytes: Int = 64,
        partitionRowLimit: Int64 = SQLiteTrackStore.defaultPartitionRowLimit
    ) throws(StoreError) {
        self.path = path
        self.partitionRowLimit = max(1, partitionRowLimit)
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
    public init(partitionRowLimit: Int64 = SQLiteTrackStore.defaultPartitionRowLimit) throws(StoreError) {
        path = ":memory:"
        self.partitionRowLimit = max(1, partitionRowLimit)
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
            var partitions = try FixPartitions.all(db)
            var nextID = try FixPartitions.nextID(db)
            var touched = Set<Int64>()  // partition IDs (indices move as partitions are created)
            var spans: [PartitionVehicle: VehicleSpan] = [:]
            var positions: [Int64: (time: Int64, partition: Int64)] = [:]
            var current = partitions.count - 1
            // One prepared statement a partition; `ON CONFLICT … DO NOTHING`, not `INSERT OR IGNORE`: OR IGNORE
            // would also swallow CHECK violations.
            // Held here, not only in GRDB's cache: creating a partition changes the schema, and the cache lets go of
            // its statements then (a binder on a finalized statement would crash).
            var statements: [Int64: (statement: Statement, binder: RowBinder)] = [:]
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
                let time = point.time.microsecondsSinceEpoch
                if current < 0 || !partitions[current].covers(time) {
                    current = try Self.partitionIndex(for: time, in: &partitions, db)
                }
                // The last partition of a day, when full, is closed at a fix later than all it holds: the next fixes
                // go to a new one (late fixes for an earlier, full partition still go into it).
                if partitions[current].rows >= partitionRowLimit, partitions[current].isLastOfItsDay,
                    time > (partitions[current].lastTime ?? .min)
                {
                    current = try FixPartitions.split(current, at: time, in: &partitions, db)
                }
                let partition = partitions[current]
                let row: RowBinder
                if let prepared = statements[partition.id] {
                    row = prepared.binder
                } else {
                    let statement = try db.makeStatement(
                        sql: """
                            INSERT INTO \(partition.name) (id, vehicle_key, time_us, lat, lon, altitude_m, speed_mps,
                                course_deg, mode, quality, hdop, sats_used, view_gps, view_glonass, view_galileo,
                                view_beidou, view_qzss, view_navic, view_sbas, datum, flags, source_key, segment_m)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            ON CONFLICT (vehicle_key, time_us) DO NOTHING
                            """)
                    row = RowBinder(statement.sqliteStatement)
                    statements[partition.id] = (statement, row)
                }
                // Bound directly with SQLite's C API: this loop is the import's hot path.
                row.reset()
                row.bind(1, nextID)
                row.bind(2, key)
                row.bind(3, time)
                row.bind(4, point.coordinate.latitude)
                row.bind(5, point.coordinate.longitude)
                row.bind(6, point.altitudeMSL)
                row.bind(7, point.speedMetersPerSecond)
                row.bind(8, point.courseDegrees)
                row.bind(9, Int64(point.mode.rawValue))
                row.bind(10, Int64(point.quality.rawValue))
                row.bind(11, point.hdop)
                row.bind(12, point.satellitesUsed.map(Int64.init))
                let view = point.satellitesInView
                row.bind(13, Int64(view[.gps]))
                row.bind(14, Int64(view[.glonass]))
                row.bind(15, Int64(view[.galileo]))
                row.bind(16, Int64(view[.beidou]))
                row.bind(17, Int64(view[.qzss]))
                row.bind(18, Int64(view[.navic]))
                row.bind(19, Int64(view[.sbas]))
                row.bind(20, Int64(point.datum.storageCode))
                row.bind(21, Int64(point.flags.rawValue))
                row.bind(22, sourceKey)
                row.bind(23, point.segmentMeters)
                let code = row.step()
                row.reset()
                guard code == SQLITE_DONE else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage)
                }
                guard db.changesCount == 1 else {
                    outcome.duplicates += 1
                    outcome.skippedIndices.append(index)
                    continue
                }
                outcome.inserted += 1
                outcome.fixIDs.append(nextID)
                partitions[current].rows += 1
                partitions[current].maxID = nextID
                partitions[current].lastTime = max(partitions[current].lastTime ?? .min, time)
                touched.insert(partition.id)
                nextID += 1
                spans[PartitionVehicle(partition: partition.id, vehicle: key), default: VehicleSpan(time)]
                    .add(time, point.segmentMeters)
                if !point.flags.contains(.ahead), time > (positions[key]?.time ?? .min) {
                    positions[key] = (time, partition.id)
                }
            }
            if outcome.inserted > 0 {
                try Self.record(
                    partitions: partitions.filter { touched.contains($0.id) }, spans: spans, positions: positions,
                    nextID: nextID, db)
            }
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

    /// A vehicle's track between two instants (inclusive), in time order: the partitions that hold the vehicle in
    /// that span, oldest first, each read through its (vehicle, time) index.
    public func track(vehicleID: String, from: UTCInstant?, to: UTCInstant?) throws(StoreError) -> [TrackPoint] {
        try read { db in try readTrack(vehicleID, from: from, to: to, newestFirst: false, limit: nil, db) }
    }

    /// The latest `limit` fixes of a vehicle in a time range, in time order, and whether older ones in the range were
    /// left out: the limit is in the query (newest first on the (vehicle, time) key, newest partition first), so
    /// memory and time grow with the limit, not with the track.
    public func track(
        vehicleID: String, from: UTCInstant?, to: UTCInstant?, latest limit: Int
    ) throws(StoreError) -> (points: [TrackPoint], truncated: Bool) {
        let rows = try read { db in
            try readTrack(vehicleID, from: from, to: to, newestFirst: true, limit: max(0, limit) + 1, db)
        }
        return (Array(rows.prefix(max(0, limit)).reversed()), rows.count > max(0, limit))
    }

    /// A vehicle's fixes in `[from, to]` from the partitions that hold it there, in time order (or newest first, at
    /// most `limit`), read straight off SQLite's statements: one key range a partition, no join a row.
    private func readTrack(
        _ vehicleID: String, from: UTCInstant?, to: UTCInstant?, newestFirst: Bool, limit: Int?, _ db: Database
    ) throws -> [TrackPoint] {
        let low = from?.microsecondsSinceEpoch ?? Int64.min
        let high = to?.microsecondsSinceEpoch ?? Int64.max
        guard let key = try Self.vehicleKey(vehicleID, db) else { return [] }
        var points: [TrackPoint] = []
        let order = newestFirst ? "DESC" : ""
        for partition in try FixPartitions.holding(
            vehicleKey: key, from: low, to: high, newestFirst: newestFirst, db)
        {
            let wanted = limit.map { $0 - points.count } ?? -1
            if wanted == 0 { break }
            let statement = try db.cachedStatement(
                sql: """
                    SELECT \(FixRowReader.columns) FROM \(partition.name)
                    WHERE vehicle_key = ? AND time_us BETWEEN ? AND ? ORDER BY time_us \(order) LIMIT ?
                    """)
            try FixRowReader.read(
                statement, vehicleKey: key, low: low, high: high, limit: Int64(wanted), vehicleID: vehicleID,
                into: &points
            ) { sourceKey in try sourceName(sourceKey, db) }
        }
        return points
    }

    /// A source's name by key (the table is read again when a key is new to this connection).
    private func sourceName(_ key: Int64, _ db: Database) throws -> String {
        if let name = sourceNames[key] { return name }
        for row in try Row.fetchAll(db, sql: "SELECT key, name FROM sources") { sourceNames[row[0]] = row[1] }
        return sourceNames[key] ?? ""
    }

    /// The last stored fix of every vehicle that has one (fixes flagged `ahead` of the clock are not positions yet):
    /// each vehicle's latest position is kept by the inserts (`vehicle_positions`), so this reads one row a vehicle.
    public func lastPositions() throws(StoreError) -> [TrackPoint] {
        try read { db in
            let latest = try Row.fetchAll(
                db,
                sql: """
                    SELECT vp.vehicle_key, vp.time_us, p.name FROM vehicle_positions vp
                    JOIN fix_partitions p ON p.id = vp.partition_id ORDER BY p.name
                    """)
            var points: [TrackPoint] = []
            points.reserveCapacity(latest.count)
            for row in latest {
                let name: String = row[2]
                let statement = try db.cachedStatement(
                    sql: "\(Self.selectPoints(name)) WHERE f.vehicle_key = ? AND f.time_us = ?")
                if let found = try Row.fetchOne(statement, arguments: [row[0], row[1]]) {
                    points.append(Self.trackPoint(found))
                }
            }
            return points.sorted { $0.vehicleID < $1.vehicleID }
        }
    }

    /// Removes the vehicle's unacknowledged events of `kinds` from `from` on that `keeping` does not hold.
    public func retractEvents(
        vehicleID: String, kinds: Set<EventKind>, from: UTCInstant, keeping: [VehicleEvent]
    ) throws(StoreError) -> Int {
        let kept = Set(keeping.map(\.storedIdentity))
        return try write { db in
            guard let key = try Self.vehicleKey(vehicleID, db) else { return 0 }
            var doomed: [Int64] = []
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT id, kind, subject, time_us FROM events
                    WHERE vehicle_key = ? AND time_us >= ? AND acknowledged_us IS NULL
                    """, arguments: [key, from.microsecondsSinceEpoch])
            {
                let kind: String = row["kind"]
                let subject: String = row["subject"]
                let time: Int64 = row["time_us"]
                guard let parsed = EventKind(rawValue: kind), kinds.contains(parsed),
                    !kept.contains("\(kind)|\(subject)|\(time)")
                else { continue }
                doomed.append(row["id"])
            }
            for id in doomed { try db.execute(sql: "DELETE FROM events WHERE id = ?", arguments: [id]) }
            return doomed.count
        }
    }

    /// The last stored fix of one vehicle at or before an instant (nil: the very last).
    public func lastPoint(vehicleID: String, atOrBefore: UTCInstant?) throws(StoreError) -> TrackPoint? {
        let high = atOrBefore?.microsecondsSinceEpoch ?? Int64.max
        return try read { db in
            guard let key = try Self.vehicleKey(vehicleID, db) else { return nil }
            for partition in try FixPartitions.holding(
                vehicleKey: key, from: Int64.min, to: high, newestFirst: true, db)
            {
                let statement = try db.cachedStatement(
                    sql: """
                        \(Self.selectPoints(partition.name))
                        WHERE f.vehicle_key = ? AND f.time_us <= ? ORDER BY f.time_us DESC LIMIT 1
                        """)
                if let row = try Row.fetchOne(statement, arguments: [key, high]) { return Self.trackPoint(row) }
            }
            return nil
        }
    }

    /// Every vehicle with its track summary, by ID: sums of what each partition holds of it (no scan of fixes).
    public func summaries() throws(StoreError) -> [VehicleSummary] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT v.*, coalesce(s.fixes, 0) AS fix_count, s.first_us, s.last_us,
                        coalesce(s.distance_m, 0) AS distance_m
                    FROM vehicles v LEFT JOIN (
                        SELECT vehicle_key, sum(fixes) AS fixes, min(first_us) AS first_us, max(last_us) AS last_us,
                            sum(distance_m) AS distance_m
                        FROM partition_vehicles GROUP BY vehicle_key) s ON s.vehicle_key = v.key
                    ORDER BY v.id
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

    // MARK: - Partitions

    /// A vehicle's key, nil when it is not registered.
    static func vehicleKey(_ id: String, _ db: Database) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT key FROM vehicles WHERE id = ?"), arguments: [id])
    }

    /// The index of the partition covering `time`, created when there is none.
    static func partitionIndex(for time: Int64, in partitions: inout [FixPartition], _ db: Database) throws -> Int {
        var low = 0
        var high = partitions.count
        while low < high {
            let middle = (low + high) / 2
            if partitions[middle].end <= time { low = middle + 1 } else { high = middle }
        }
        if low < partitions.count, partitions[low].covers(time) { return low }
        return try FixPartitions.create(covering: time, in: &partitions, db)
    }

    /// After a batch: the partitions' counts, each (partition, vehicle) span, the vehicles' latest positions and the
    /// next fix number, in the batch's transaction.
    static func record(
        partitions: [FixPartition], spans: [PartitionVehicle: VehicleSpan],
        positions: [Int64: (time: Int64, partition: Int64)], nextID: Int64, _ db: Database
    ) throws {
        let catalogue = try db.cachedStatement(
            sql: "UPDATE fix_partitions SET rows = ?, max_id = ?, last_us = ? WHERE id = ?")
        for partition in partitions {
            try catalogue.execute(arguments: [partition.rows, partition.maxID, partition.lastTime, partition.id])
        }
        let span = try db.cachedStatement(
            sql: """
                INSERT INTO partition_vehicles (partition_id, vehicle_key, fixes, first_us, last_us, distance_m)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (partition_id, vehicle_key) DO UPDATE SET fixes = fixes + excluded.fixes,
                    first_us = min(first_us, excluded.first_us), last_us = max(last_us, excluded.last_us),
                    distance_m = distance_m + excluded.distance_m
                """)
        for (key, value) in spans {
            try span.execute(
                arguments: [key.partition, key.vehicle, value.fixes, value.first, value.last, value.distance])
        }
        let position = try db.cachedStatement(
            sql: """
                INSERT INTO vehicle_positions (vehicle_key, time_us, partition_id) VALUES (?, ?, ?)
                ON CONFLICT (vehicle_key) DO UPDATE SET time_us = excluded.time_us,
                    partition_id = excluded.partition_id
                WHERE excluded.time_us > vehicle_positions.time_us
                """)
        for (vehicle, latest) in positions {
            try position.execute(arguments: [vehicle, latest.time, latest.partition])
        }
        try db.execute(sql: "UPDATE fix_sequence SET next_id = ? WHERE id = 1", arguments: [nextID])
    }

    // MARK: - Rows

    /// The columns `trackPoint` reads, by position (a name lookup per column cost more than the rest of the row):
    /// the fix's, its vehicle's ID, its source's name and its number (`fixID`).
    static let pointColumns = """
        f.time_us, f.lat, f.lon, f.altitude_m, f.speed_mps, f.course_deg, f.mode, f.quality, f.hdop, f.sats_used,
        f.view_gps, f.view_glonass, f.view_galileo, f.view_beidou, f.view_qzss, f.view_navic, f.view_sbas, f.datum,
        f.flags, f.segment_m, v.id, s.name, f.id
        """

    /// Fix rows of one partition with their vehicle's ID and their source's name, as `trackPoint` reads them.
    static func selectPoints(_ partition: String) -> String {
        """
        SELECT \(pointColumns) FROM \(partition) f
            JOIN vehicles v ON v.key = f.vehicle_key JOIN sources s ON s.key = f.source_key
        """
    }

    /// Registers a vehicle by ID (name = ID, kind `other`) unless it exists.
    static func registerVehicle(_ id: String, _ db: Database) throws {
        try db.cachedStatement(
            sql: "INSERT INTO vehicles (id, name, kind) VALUES (?, ?, 'other') ON CONFLICT (id) DO NOTHING"
        ).execute(arguments: [id, id])
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
            satellitesInView: view, datum: Datum(storageCode: row[17]), flags: FixFlags(rawValue: row[18]),
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
struct RowBinder {
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

/// A vehicle in a partition: the key of what a batch adds to `partition_vehicles`.
struct PartitionVehicle: Hashable {
    let partition: Int64
    let vehicle: Int64
}

/// What a batch adds to a vehicle's span in a partition.
struct VehicleSpan {
    var fixes: Int64 = 0
    var first: Int64
    var last: Int64
    var distance = 0.0

    init(_ time: Int64) {
        first = time
        last = time
    }

    mutating func add(_ time: Int64, _ segment: Double?) {
        fixes += 1
        first = min(first, time)
        last = max(last, time)
        distance += segment ?? 0
    }
}

/// Reads fix rows straight off a prepared statement with SQLite's C API (no GRDB row and no join a row): the track
/// queries' hot path. The statement selects `columns` of one partition.
enum FixRowReader {
    /// The columns read, by position.
    static let columns = """
        time_us, lat, lon, altitude_m, speed_mps, course_deg, mode, quality, hdop, sats_used, view_gps, view_glonass,
        view_galileo, view_beidou, view_qzss, view_navic, view_sbas, datum, flags, segment_m, source_key
        """

    /// Binds (vehicle key, low, high, limit), steps the statement and appends a point per row.
    static func read(
        _ statement: Statement, vehicleKey: Int64, low: Int64, high: Int64, limit: Int64, vehicleID: String,
        into points: inout [TrackPoint], source: (Int64) throws -> String
    ) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_bind_int64(handle, 1, vehicleKey)
        sqlite3_bind_int64(handle, 2, low)
        sqlite3_bind_int64(handle, 3, high)
        sqlite3_bind_int64(handle, 4, limit)
        defer { sqlite3_reset(handle) }
        func double(_ column: Int32) -> Double? {
            sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_double(handle, column)
        }
        func integer(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
        var lastSource: (key: Int64, name: String)?
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code),
                    message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))))
            }
            var view = SatelliteCounts()
            view[.gps] = integer(10)
            view[.glonass] = integer(11)
            view[.galileo] = integer(12)
            view[.beidou] = integer(13)
            view[.qzss] = integer(14)
            view[.navic] = integer(15)
            view[.sbas] = integer(16)
            let sourceKey = sqlite3_column_int64(handle, 20)
            let sourceName: String
            if let lastSource, lastSource.key == sourceKey {
                sourceName = lastSource.name
            } else {
                sourceName = try source(sourceKey)
                lastSource = (sourceKey, sourceName)
            }
            points.append(
                TrackPoint(
                    vehicleID: vehicleID, time: UTCInstant(microsecondsSinceEpoch: sqlite3_column_int64(handle, 0)),
                    coordinate: Coordinate(
                        latitude: sqlite3_column_double(handle, 1), longitude: sqlite3_column_double(handle, 2)),
                    altitudeMSL: double(3), speedMetersPerSecond: double(4), courseDegrees: double(5),
                    mode: FixMode(rawValue: integer(6)) ?? .twoDimensional,
                    quality: FixQuality(rawValue: integer(7)) ?? .autonomous, hdop: double(8),
                    satellitesUsed: sqlite3_column_type(handle, 9) == SQLITE_NULL ? nil : integer(9),
                    satellitesInView: view, datum: Datum(storageCode: integer(17)),
                    flags: FixFlags(rawValue: integer(18)), source: sourceName, segmentMeters: double(19)))
        }
    }
}
