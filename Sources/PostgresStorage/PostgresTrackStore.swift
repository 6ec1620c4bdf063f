public import Cluster
public import OrbitaModel
import OrbitaWire
import PostgresNIO

/// The PostgreSQL store: one connection, used by one thread at a time (as every `TrackStore`); a server opens a few
/// (writer, API pool, retention). A batch is one transaction: its new vehicles and sources, its fixes (`COPY` straight
/// into the partitioned table; `INSERT … ON CONFLICT` from column arrays when the batch holds a fix already stored),
/// its events, and the per-day summaries and latest positions it moves — all committed together or not at all.
public final class PostgresTrackStore: TrackStore, @unchecked Sendable {
    // @unchecked: one thread at a time (the store protocols' contract); the caches are that thread's.
    let session: PostgresSession
    /// Vehicle keys by ID, learned by inserts; cleared when a batch fails (its new vehicles were rolled back).
    var vehicleKeys: [String: Int64] = [:]
    /// Source keys by name, learned the same way.
    var sourceKeys: [String: Int64] = [:]
    /// Days (start, µs) that have a partition, as far as this connection knows.
    var partitionDays: Set<Int64> = []
    /// How fixes are written (the benchmark compares the two).
    public var fixWriteMethod = FixWriteMethod.copy
    /// Batches still to write with `ON CONFLICT` after one whose `COPY` met a fix already stored (a re-import sends
    /// many such batches in a row; each failed `COPY` costs a round trip and the rows it parsed).
    var arrayBatchesAfterConflict = 0
    /// A cluster node's leases: each write keeps only the fixes and events of vehicles whose shard the node still
    /// holds (nil: a single server, which writes everything).
    public let writeFence: WriteFence?
    /// Batches written by `COPY`, and batches that fell back to `ON CONFLICT` because a fix was already stored.
    public private(set) var fixWrites = (copied: 0, conflicted: 0)

    /// Connects to `endpoint` and brings the schema up to date (under an advisory lock: several starting servers
    /// apply each migration once); today's and the next two days' partitions are made ahead.
    public init(_ endpoint: PostgresEndpoint, writeFence: WriteFence? = nil) throws(StoreError) {
        session = try PostgresSession(endpoint)
        self.writeFence = writeFence
        try PostgresSchema.migrate(session)
        try prepareHistory(until: UTCInstant.now.adding(seconds: 2 * 86_400))
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() throws(StoreError) -> [String] { try PostgresSchema.applied(session) }

    // MARK: - TrackStore

    /// Adds or updates a vehicle.
    public func save(_ vehicle: Vehicle) throws(StoreError) {
        try session.query(
            """
            INSERT INTO vehicles (id, name, kind, registration) VALUES (\(vehicle.id), \(vehicle.name), \
            \(vehicle.kind.rawValue), \(vehicle.registration))
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                registration = excluded.registration
            """)
    }

    /// One vehicle.
    public func vehicle(id: String) throws(StoreError) -> Vehicle? {
        try session.query("SELECT id, name, kind, registration FROM vehicles WHERE id = \(id)").first.map(Self.vehicle)
    }

    /// Every registered vehicle, by ID.
    public func vehicles() throws(StoreError) -> [Vehicle] {
        try session.query("SELECT id, name, kind, registration FROM vehicles ORDER BY id").map(Self.vehicle)
    }

    /// Inserts fixes and events in one transaction; existing fixes and events are skipped and counted.
    public func insert(_ points: [TrackPoint], events: [VehicleEvent]) throws(StoreError) -> InsertOutcome {
        guard !points.isEmpty || !events.isEmpty else { return InsertOutcome() }
        try ensurePartitions(for: points)
        do {
            return try session.transaction { () throws(StoreError) in try insertInTransaction(points, events) }
        } catch {
            vehicleKeys = [:]
            sourceKeys = [:]
            throw error
        }
    }

    private func insertInTransaction(_ points: [TrackPoint], _ events: [VehicleEvent]) throws(StoreError)
        -> InsertOutcome
    {
        try session.execute("SELECT pg_advisory_xact_lock(\(Self.commitOrderLock))")
        let outcome: InsertOutcome
        if let writeFence {
            outcome = try insertFenced(points, events, fence: writeFence)
        } else {
            outcome = try insertAll(points, events)
        }
        try notifyCommitted(outcome)
        return outcome
    }

    /// Stores every fix and event of the batch (inside the transaction).
    func insertAll(_ points: [TrackPoint], _ events: [VehicleEvent]) throws(StoreError) -> InsertOutcome {
        var outcome = InsertOutcome()
        let keys = try vehicleKeys(for: points.map(\.vehicleID) + events.map(\.vehicleID))
        if !points.isEmpty {
            let sources = try sourceKeys(for: points.map(\.source))
            try insertFixes(points, keys: keys, sources: sources, into: &outcome)
        }
        if !events.isEmpty { try insertEvents(events, keys: keys, into: &outcome) }
        return outcome
    }

    private func insertFixes(
        _ points: [TrackPoint], keys: [String: Int64], sources: [String: Int64], into outcome: inout InsertOutcome
    ) throws(StoreError) {
        let vehicleKeys = points.map { keys[$0.vehicleID] ?? 0 }
        if fixWriteMethod == .copy && arrayBatchesAfterConflict == 0 {
            if try copyFixes(points, vehicleKeys: vehicleKeys, sources: sources, into: &outcome) { return }
            arrayBatchesAfterConflict = Self.arrayBatchesAfterConflict
        } else if arrayBatchesAfterConflict > 0 {
            arrayBatchesAfterConflict -= 1
        }
        let rows = try insertFixArrays(points, vehicleKeys: vehicleKeys, sources: sources)
        try record(rows, of: points, vehicleKeys: vehicleKeys, into: &outcome)
    }

    /// Batches written with `ON CONFLICT` after a conflict before `COPY` is tried again.
    static let arrayBatchesAfterConflict = 16

    /// Writes the batch with `COPY … FROM STDIN` straight into `fixes` (PostgreSQL routes each row to its day's
    /// partition), numbered from the fix sequence first: about twice the rate of `INSERT … ON CONFLICT … RETURNING`
    /// (README: PostgreSQL). Under a savepoint: when a fix of the batch is already stored (the unique key refuses it),
    /// the copy is rolled back and false returned, for the caller to write the batch with `ON CONFLICT`.
    private func copyFixes(
        _ points: [TrackPoint], vehicleKeys: [Int64], sources: [String: Int64], into outcome: inout InsertOutcome
    ) throws(StoreError) -> Bool {
        var ids: [Int64] = []
        ids.reserveCapacity(points.count)
        for row in try session.query(
            "SELECT nextval('fix_numbers') FROM generate_series(1, \(points.count))")
        {
            guard let id = try? row.decode(Int64.self) else {
                throw StoreError.io("\(session.endpoint): the fix sequence returned no number")
            }
            ids.append(id)
        }
        guard ids.count == points.count else {
            throw StoreError.io(
                "\(session.endpoint): the fix sequence returned \(ids.count) of \(points.count) numbers")
        }
        let text = FixCopyText.rows(points, ids: ids, vehicleKeys: vehicleKeys, sources: sources)
        try session.execute("SAVEPOINT fix_copy")
        do {
            try session.copy(text, into: "fixes", columns: ["id"] + Self.fixColumnList)
        } catch .constraint(let detail) where detail.contains("23505") {
            try session.execute("ROLLBACK TO SAVEPOINT fix_copy")
            fixWrites.conflicted += 1
            return false
        }
        try session.execute("RELEASE SAVEPOINT fix_copy")
        fixWrites.copied += 1
        outcome.inserted = points.count
        outcome.fixIDs = ids
        outcome.duplicates = 0
        outcome.skippedIndices = []
        try recordSummaries(points, added: Array(points.indices), vehicleKeys: vehicleKeys)
        return true
    }

    private func insertFixArrays(_ points: [TrackPoint], vehicleKeys: [Int64], sources: [String: Int64])
        throws(StoreError) -> PostgresQueryResult
    {
        var bindings = PostgresBindings(capacity: 23)
        bindings.append(PostgresColumn(vehicleKeys))
        bindings.append(PostgresColumn(points.map { $0.time.microsecondsSinceEpoch }))
        bindings.append(PostgresColumn(points.map { $0.coordinate.latitude }))
        bindings.append(PostgresColumn(points.map { $0.coordinate.longitude }))
        bindings.append(PostgresColumn(points.map(\.altitudeMSL)))
        bindings.append(PostgresColumn(points.map(\.speedMetersPerSecond)))
        bindings.append(PostgresColumn(points.map(\.courseDegrees)))
        bindings.append(PostgresColumn(points.map { Int32($0.mode.rawValue) }))
        bindings.append(PostgresColumn(points.map { Int32($0.quality.rawValue) }))
        bindings.append(PostgresColumn(points.map(\.hdop)))
        bindings.append(PostgresColumn(points.map { $0.satellitesUsed.map { Int32(clamping: $0) } }))
        for constellation in Self.viewColumns {
            bindings.append(PostgresColumn(points.map { Int32(clamping: $0.satellitesInView[constellation]) }))
        }
        bindings.append(PostgresColumn(points.map { Int32($0.datum.storageCode) }))
        bindings.append(PostgresColumn(points.map { Int32(truncatingIfNeeded: $0.flags.rawValue) }))
        bindings.append(PostgresColumn(points.map { sources[$0.source] ?? 0 }))
        bindings.append(PostgresColumn(points.map(\.segmentMeters)))
        return try session.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO fixes (\(Self.fixColumns))
                    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::float8[], $5::float8[],
                        $6::float8[], $7::float8[], $8::int[], $9::int[], $10::float8[], $11::int[], $12::int[],
                        $13::int[], $14::int[], $15::int[], $16::int[], $17::int[], $18::int[], $19::int[],
                        $20::int[], $21::bigint[], $22::float8[])
                    ON CONFLICT (vehicle_key, time_us) DO NOTHING
                    RETURNING id, vehicle_key, time_us
                    """, binds: bindings))
    }

    /// The columns a batch writes, in order, one by one.
    static let fixColumnList = fixColumns.split(separator: ",").map { String($0.filter { !$0.isWhitespace }) }

    /// The columns a batch writes, in order.
    static let fixColumns = """
        vehicle_key, time_us, lat, lon, altitude_m, speed_mps, course_deg, mode, quality, hdop, sats_used, view_gps,
        view_glonass, view_galileo, view_beidou, view_qzss, view_navic, view_sbas, datum, flags, source_key, segment_m
        """

    /// What the database returned of a batch: which positions were added, with their numbers.
    private func record(
        _ rows: PostgresQueryResult, of points: [TrackPoint], vehicleKeys: [Int64], into outcome: inout InsertOutcome
    ) throws(StoreError) {
        // Which positions of the batch were added: the first of each (vehicle, time), when the database returned it.
        var firstIndex: [FixKey: Int] = [:]
        for (index, point) in points.enumerated() {
            let key = FixKey(vehicle: vehicleKeys[index], time: point.time.microsecondsSinceEpoch)
            if firstIndex[key] == nil { firstIndex[key] = index }
        }
        var added: [(index: Int, id: Int64)] = []
        added.reserveCapacity(rows.count)
        for row in rows {
            guard let (id, vehicle, time) = try? row.decode((Int64, Int64, Int64).self),
                let index = firstIndex[FixKey(vehicle: vehicle, time: time)]
            else { throw StoreError.io("\(session.endpoint): an inserted fix the batch does not hold") }
            added.append((index, id))
        }
        added.sort { $0.index < $1.index }
        var isAdded = [Bool](repeating: false, count: points.count)
        for entry in added { isAdded[entry.index] = true }
        outcome.inserted = added.count
        outcome.fixIDs = added.map(\.id)
        outcome.duplicates = points.count - added.count
        outcome.skippedIndices = isAdded.indices.filter { !isAdded[$0] }
        try recordSummaries(points, added: added.map(\.index), vehicleKeys: vehicleKeys)
    }

    /// The per-day summaries and latest positions the added fixes move.
    private func recordSummaries(_ points: [TrackPoint], added: [Int], vehicleKeys: [Int64]) throws(StoreError) {
        guard !added.isEmpty else { return }
        var days: [DayKey: (fixes: Int64, first: Int64, last: Int64, distance: Double)] = [:]
        var positions: [Int64: Int64] = [:]
        for index in added {
            let point = points[index]
            let time = point.time.microsecondsSinceEpoch
            let key = DayKey(vehicle: vehicleKeys[index], day: PostgresPartitions.dayStart(time))
            var day = days[key] ?? (0, time, time, 0)
            day.fixes += 1
            day.first = min(day.first, time)
            day.last = max(day.last, time)
            day.distance += point.segmentMeters ?? 0
            days[key] = day
            if !point.flags.contains(.ahead), time > (positions[key.vehicle] ?? .min) { positions[key.vehicle] = time }
        }
        let sortedDays = days.sorted { ($0.key.vehicle, $0.key.day) < ($1.key.vehicle, $1.key.day) }
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(PostgresColumn(sortedDays.map { $0.key.vehicle }))
        bindings.append(PostgresColumn(sortedDays.map { $0.key.day }))
        bindings.append(PostgresColumn(sortedDays.map { $0.value.fixes }))
        bindings.append(PostgresColumn(sortedDays.map { $0.value.first }))
        bindings.append(PostgresColumn(sortedDays.map { $0.value.last }))
        bindings.append(PostgresColumn(sortedDays.map { $0.value.distance }))
        try session.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO vehicle_days (vehicle_key, day_us, fixes, first_us, last_us, distance_m)
                    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[],
                        $6::float8[])
                    ON CONFLICT (vehicle_key, day_us) DO UPDATE SET fixes = vehicle_days.fixes + excluded.fixes,
                        first_us = least(vehicle_days.first_us, excluded.first_us),
                        last_us = greatest(vehicle_days.last_us, excluded.last_us),
                        distance_m = vehicle_days.distance_m + excluded.distance_m
                    """, binds: bindings))
        guard !positions.isEmpty else { return }
        let sortedPositions = positions.sorted { $0.key < $1.key }
        var latest = PostgresBindings(capacity: 2)
        latest.append(PostgresColumn(sortedPositions.map(\.key)))
        latest.append(PostgresColumn(sortedPositions.map(\.value)))
        try session.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO vehicle_positions (vehicle_key, time_us)
                    SELECT * FROM unnest($1::bigint[], $2::bigint[])
                    ON CONFLICT (vehicle_key) DO UPDATE SET time_us = excluded.time_us
                    WHERE excluded.time_us > vehicle_positions.time_us
                    """, binds: latest))
    }

    private func insertEvents(_ events: [VehicleEvent], keys: [String: Int64], into outcome: inout InsertOutcome)
        throws(StoreError)
    {
        let vehicleKeys = events.map { keys[$0.vehicleID] ?? 0 }
        var bindings = PostgresBindings(capacity: 8)
        bindings.append(PostgresColumn(vehicleKeys))
        bindings.append(PostgresColumn(events.map(\.kind.rawValue)))
        bindings.append(PostgresColumn(events.map { $0.time.microsecondsSinceEpoch }))
        bindings.append(PostgresColumn(events.map { $0.coordinate.latitude }))
        bindings.append(PostgresColumn(events.map { $0.coordinate.longitude }))
        bindings.append(PostgresColumn(events.map { $0.fixTime.microsecondsSinceEpoch }))
        bindings.append(PostgresColumn(events.map(\.subject)))
        bindings.append(PostgresColumn(events.map { StoredEventDetails($0).text }))
        let rows = try session.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO events (vehicle_key, kind, time_us, lat, lon, fix_time_us, subject, details)
                    SELECT k, kind, t, lat, lon, ft, subject, details::jsonb
                    FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::float8[], $5::float8[], $6::bigint[],
                        $7::text[], $8::text[]) AS e(k, kind, t, lat, lon, ft, subject, details)
                    ON CONFLICT (vehicle_key, kind, subject, time_us) DO NOTHING
                    RETURNING id, vehicle_key, kind, subject, time_us
                    """, binds: bindings))
        var firstIndex: [EventKey: Int] = [:]
        for (index, event) in events.enumerated() {
            let key = EventKey(
                vehicle: vehicleKeys[index], kind: event.kind.rawValue, subject: event.subject,
                time: event.time.microsecondsSinceEpoch)
            if firstIndex[key] == nil { firstIndex[key] = index }
        }
        var ids = [Int64?](repeating: nil, count: events.count)
        for row in rows {
            guard let (id, vehicle, kind, subject, time) = try? row.decode((Int64, Int64, String, String, Int64).self),
                let index = firstIndex[EventKey(vehicle: vehicle, kind: kind, subject: subject, time: time)]
            else { throw StoreError.io("\(session.endpoint): an inserted event the batch does not hold") }
            ids[index] = id
        }
        outcome.eventIDs = ids
        outcome.eventsInserted = ids.count(where: { $0 != nil })
    }

    /// Keys of vehicles, registering those first seen (name = ID, kind `other`) inside the batch's transaction.
    func vehicleKeys(for ids: [String]) throws(StoreError) -> [String: Int64] {
        let missing = Array(Set(ids).subtracting(vehicleKeys.keys)).sorted()
        if !missing.isEmpty {
            var bindings = PostgresBindings()
            bindings.append(missing)
            try session.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO vehicles (id, name, kind) SELECT i, i, 'other' FROM unnest($1::text[]) AS i
                        ON CONFLICT (id) DO NOTHING
                        """, binds: bindings))
            for row in try session.query(
                PostgresQuery(unsafeSQL: "SELECT id, key FROM vehicles WHERE id = ANY($1)", binds: bindings))
            {
                if let (id, key) = try? row.decode((String, Int64).self) { vehicleKeys[id] = key }
            }
        }
        return vehicleKeys
    }

    private func sourceKeys(for names: [String]) throws(StoreError) -> [String: Int64] {
        var missing = Set<String>()
        var last: String?
        for name in names where name != last {
            last = name
            if sourceKeys[name] == nil { missing.insert(name) }
        }
        if !missing.isEmpty {
            var bindings = PostgresBindings()
            bindings.append(missing.sorted())
            try session.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO sources (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING
                        """, binds: bindings))
            for row in try session.query(
                PostgresQuery(unsafeSQL: "SELECT name, key FROM sources WHERE name = ANY($1)", binds: bindings))
            {
                if let (name, key) = try? row.decode((String, Int64).self) { sourceKeys[name] = key }
            }
        }
        return sourceKeys
    }

    /// A vehicle's track between two instants (inclusive), in time order (the partitions of the span only).
    public func track(vehicleID: String, from: UTCInstant?, to: UTCInstant?) throws(StoreError) -> [TrackPoint] {
        let low = from?.microsecondsSinceEpoch ?? Int64.min
        let high = to?.microsecondsSinceEpoch ?? Int64.max
        return try session.query(
            PostgresQuery(
                unsafeSQL: """
                    \(Self.selectPoints) WHERE v.id = $1 AND f.time_us BETWEEN $2 AND $3 ORDER BY f.time_us
                    """, binds: Self.binds(vehicleID, low, high))
        ).map(Self.trackPoint)
    }

    /// The last stored fix of every vehicle that has one (fixes ahead of the clock are not positions yet).
    public func lastPositions() throws(StoreError) -> [TrackPoint] {
        try session.query(
            """
            SELECT \(unescaped: Self.pointColumns) FROM vehicle_positions p
            JOIN fixes f ON f.vehicle_key = p.vehicle_key AND f.time_us = p.time_us
            JOIN vehicles v ON v.key = f.vehicle_key JOIN sources s ON s.key = f.source_key
            ORDER BY v.id
            """
        ).map(Self.trackPoint)
    }

    /// The last stored fix of one vehicle at or before an instant (nil: the very last).
    public func lastPoint(vehicleID: String, atOrBefore: UTCInstant?) throws(StoreError) -> TrackPoint? {
        let high = atOrBefore?.microsecondsSinceEpoch ?? Int64.max
        return try session.query(
            PostgresQuery(
                unsafeSQL: """
                    \(Self.selectPoints) WHERE v.id = $1 AND f.time_us <= $2 ORDER BY f.time_us DESC LIMIT 1
                    """, binds: Self.binds(vehicleID, high))
        ).first.map(Self.trackPoint)
    }

    /// Several vehicles' kinds, recent fixes and the fix before them in three queries (not three per vehicle): the
    /// window's partitions only for the fixes, one index probe per vehicle (and partition) for the fix before.
    public func recentTracks(vehicleIDs: [String], from: UTCInstant) throws(StoreError) -> [String: RecentTrack] {
        let ids = Array(Set(vehicleIDs)).sorted()
        guard !ids.isEmpty else { return [:] }
        let low = from.microsecondsSinceEpoch
        var kinds: [String: VehicleKind] = [:]
        for row in try session.query("SELECT id, kind FROM vehicles WHERE id = ANY(\(ids))") {
            guard let (id, kind) = try? row.decode((String, String).self) else { continue }
            kinds[id] = VehicleKind(rawValue: kind) ?? .other
        }
        var recent: [String: RecentTrack] = [:]
        for (id, kind) in kinds { recent[id] = RecentTrack(kind: kind, before: nil, track: []) }
        let before = try session.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(Self.pointColumns) FROM vehicles v
                    CROSS JOIN LATERAL (
                        SELECT * FROM fixes WHERE vehicle_key = v.key AND time_us < $2 ORDER BY time_us DESC LIMIT 1
                    ) f
                    JOIN sources s ON s.key = f.source_key
                    WHERE v.id = ANY($1)
                    """, binds: Self.binds(ids, low)))
        for row in before {
            let point = Self.trackPoint(row)
            recent[point.vehicleID]?.before = point
        }
        let window = try session.query(
            PostgresQuery(
                unsafeSQL: """
                    \(Self.selectPoints) WHERE v.id = ANY($1) AND f.time_us >= $2 ORDER BY v.id, f.time_us
                    """, binds: Self.binds(ids, low)))
        for row in window {
            let point = Self.trackPoint(row)
            recent[point.vehicleID]?.track.append(point)
        }
        return recent
    }

    /// Removes the vehicle's unacknowledged events of `kinds` from `from` on that `keeping` does not hold.
    public func retractEvents(
        vehicleID: String, kinds: Set<EventKind>, from: UTCInstant, keeping: [VehicleEvent]
    ) throws(StoreError) -> Int {
        let kept = Set(keeping.map(\.storedIdentity))
        var doomed: [Int64] = []
        for row in try session.query(
            """
            SELECT e.id, e.kind, e.subject, e.time_us FROM events e JOIN vehicles v ON v.key = e.vehicle_key
            WHERE v.id = \(vehicleID) AND e.time_us >= \(from.microsecondsSinceEpoch) AND e.acknowledged_us IS NULL
            """)
        {
            guard let (id, kind, subject, time) = try? row.decode((Int64, String, String, Int64).self),
                let parsed = EventKind(rawValue: kind), kinds.contains(parsed),
                !kept.contains("\(kind)|\(subject)|\(time)")
            else { continue }
            doomed.append(id)
        }
        guard !doomed.isEmpty else { return 0 }
        try session.query("DELETE FROM events WHERE id = ANY(\(doomed)) AND acknowledged_us IS NULL")
        return doomed.count
    }

    /// Every vehicle with its track summary, by ID: sums of the per-day summaries (no scan of fixes).
    public func summaries() throws(StoreError) -> [VehicleSummary] {
        try session.query(
            """
            SELECT v.id, v.name, v.kind, v.registration, coalesce(sum(d.fixes), 0)::bigint, min(d.first_us),
                max(d.last_us), coalesce(sum(d.distance_m), 0)::float8
            FROM vehicles v LEFT JOIN vehicle_days d ON d.vehicle_key = v.key
            GROUP BY v.key ORDER BY v.id
            """
        ).map { row in
            let cells = row.makeRandomAccess()
            return VehicleSummary(
                vehicle: Self.vehicle(row), fixCount: Int((try? cells[4].decode(Int64.self)) ?? 0),
                firstTime: ((try? cells[5].decode(Int64?.self)) ?? nil).map { UTCInstant(microsecondsSinceEpoch: $0) },
                lastTime: ((try? cells[6].decode(Int64?.self)) ?? nil).map { UTCInstant(microsecondsSinceEpoch: $0) },
                distanceMeters: (try? cells[7].decode(Double.self)) ?? 0)
        }
    }

    // MARK: - Rows

    static let viewColumns: [Constellation] = [.gps, .glonass, .galileo, .beidou, .qzss, .navic, .sbas]

    /// The columns `trackPoint` reads, by position, then the fix's number.
    static let pointColumns = """
        f.time_us, f.lat, f.lon, f.altitude_m, f.speed_mps, f.course_deg, f.mode, f.quality, f.hdop, f.sats_used,
        f.view_gps, f.view_glonass, f.view_galileo, f.view_beidou, f.view_qzss, f.view_navic, f.view_sbas, f.datum,
        f.flags, f.segment_m, v.id, s.name, f.id
        """

    static let selectPoints = """
        SELECT \(pointColumns) FROM fixes f
            JOIN vehicles v ON v.key = f.vehicle_key JOIN sources s ON s.key = f.source_key
        """

    static func trackPoint(_ row: PostgresRow) -> TrackPoint {
        let cells = row.makeRandomAccess()
        func double(_ index: Int) -> Double? { (try? cells[index].decode(Double?.self)) ?? nil }
        func integer(_ index: Int) -> Int? { ((try? cells[index].decode(Int32?.self)) ?? nil).map(Int.init) }
        var view = SatelliteCounts()
        for (offset, constellation) in viewColumns.enumerated() { view[constellation] = integer(10 + offset) ?? 0 }
        return TrackPoint(
            vehicleID: (try? cells[20].decode(String.self)) ?? "",
            time: UTCInstant(microsecondsSinceEpoch: (try? cells[0].decode(Int64.self)) ?? 0),
            coordinate: Coordinate(latitude: double(1) ?? 0, longitude: double(2) ?? 0), altitudeMSL: double(3),
            speedMetersPerSecond: double(4), courseDegrees: double(5),
            mode: FixMode(rawValue: integer(6) ?? 2) ?? .twoDimensional,
            quality: FixQuality(rawValue: integer(7) ?? 1) ?? .autonomous, hdop: double(8), satellitesUsed: integer(9),
            satellitesInView: view, datum: Datum(storageCode: integer(17) ?? 0),
            flags: FixFlags(rawValue: integer(18) ?? 0),
            source: (try? cells[21].decode(String.self)) ?? "", segmentMeters: double(19))
    }

    /// The number of a row of `pointColumns`.
    static func fixID(_ row: PostgresRow) -> Int64 { (try? row.makeRandomAccess()[22].decode(Int64.self)) ?? 0 }

    static func vehicle(_ row: PostgresRow) -> Vehicle {
        let cells = row.makeRandomAccess()
        return Vehicle(
            id: (try? cells[0].decode(String.self)) ?? "", name: (try? cells[1].decode(String.self)) ?? "",
            kind: VehicleKind(rawValue: (try? cells[2].decode(String.self)) ?? "") ?? .other,
            registration: (try? cells[3].decode(String?.self)) ?? nil)
    }

    /// Bindings of plain values.
    static func binds(_ values: any PostgresDynamicTypeEncodable...) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { bindings.append(value) }
        return bindings
    }
}

/// A fix's identity in a batch.
struct FixKey: Hashable {
    let vehicle: Int64
    let time: Int64
}

/// An event's identity in a batch.
struct EventKey: Hashable {
    let vehicle: Int64
    let kind: String
    let subject: String
    let time: Int64
}

/// A vehicle's day.
struct DayKey: Hashable {
    let vehicle: Int64
    let day: Int64
}

/// How a batch's fixes reach PostgreSQL. `copy` (the default): `COPY` (text) straight into `fixes`, falling back to
/// `arrays` for a batch that holds a fix already stored. `arrays`: always one `INSERT … SELECT FROM unnest(…)` of 22
/// column arrays `ON CONFLICT DO NOTHING RETURNING` — kept for `orbita bench store --pg-write arrays`, which compares
/// the two (README: PostgreSQL).
public enum FixWriteMethod: String, Sendable, CaseIterable {
    /// COPY into the partitioned table.
    case copy
    /// Column arrays through `unnest`, `ON CONFLICT`.
    case arrays
}
