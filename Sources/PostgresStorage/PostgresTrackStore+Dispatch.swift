public import OrbitaModel
import PostgresNIO

/// What the dispatch API reads and writes beside tracks and zones, and the history kept by time.
extension PostgresTrackStore: DispatchRepository, HistoryStore {
    /// The latest `limit` fixes of a vehicle in a time range, in time order, and whether older ones were left out.
    public func track(
        vehicleID: String, from: UTCInstant?, to: UTCInstant?, latest limit: Int
    ) throws(StoreError) -> (points: [TrackPoint], truncated: Bool) {
        let low = from?.microsecondsSinceEpoch ?? Int64.min
        let high = to?.microsecondsSinceEpoch ?? Int64.max
        let rows = try session.query(
            PostgresQuery(
                unsafeSQL: """
                    \(Self.selectPoints) WHERE v.id = $1 AND f.time_us BETWEEN $2 AND $3
                    ORDER BY f.time_us DESC LIMIT $4
                    """, binds: Self.binds(vehicleID, low, high, Int64(max(0, limit) + 1)))
        ).map(Self.trackPoint)
        return (Array(rows.prefix(max(0, limit)).reversed()), rows.count > max(0, limit))
    }

    /// The numbers of the newest fix and the newest event (0 when none).
    public func latestNumbers() throws(StoreError) -> (fix: Int64, event: Int64) {
        let row = try session.query(
            "SELECT (SELECT coalesce(max(id), 0) FROM fixes)::bigint, (SELECT coalesce(max(id), 0) FROM events)::bigint"
        ).first
        let numbers = row.flatMap { try? $0.decode((Int64, Int64).self) }
        return (numbers?.0 ?? 0, numbers?.1 ?? 0)
    }

    /// Fixes numbered after `afterID`, in number order, at most `limit`.
    public func fixes(afterID: Int64, limit: Int) throws(StoreError) -> [(id: Int64, point: TrackPoint)] {
        try session.query(
            PostgresQuery(
                unsafeSQL: "\(Self.selectPoints) WHERE f.id > $1 ORDER BY f.id LIMIT $2",
                binds: Self.binds(afterID, Int64(max(0, limit))))
        ).map { (Self.fixID($0), Self.trackPoint($0)) }
    }

    /// Events matching `query` with their numbers, in `order`.
    public func storedEvents(
        _ query: EventQuery, order: EventOrder, afterID: Int64?, beforeID: Int64?, unacknowledgedOnly: Bool
    ) throws(StoreError) -> [StoredEvent] {
        try eventRows(
            query, orderBy: order == .newestFirst ? "e.id DESC" : "e.id", afterID: afterID, beforeID: beforeID,
            unacknowledgedOnly: unacknowledgedOnly)
    }

    /// The vehicles whose latest route deviation or return event is a deviation.
    public func offRouteVehicles() throws(StoreError) -> Set<String> {
        Set(
            try session.query(
                """
                SELECT v.id FROM vehicles v
                WHERE (SELECT e.kind FROM events e
                       WHERE e.vehicle_key = v.key AND e.kind IN ('routeDeviation', 'routeReturn')
                       ORDER BY e.time_us DESC, e.id DESC LIMIT 1) = 'routeDeviation'
                """
            ).compactMap { try? $0.decode(String.self) })
    }

    /// Acknowledges an event (the first acknowledgement's time is kept); nil when there is no such event.
    public func acknowledgeEvent(id: Int64, at time: UTCInstant) throws(StoreError) -> StoredEvent? {
        try session.query(
            """
            UPDATE events SET acknowledged_us = coalesce(acknowledged_us, \(time.microsecondsSinceEpoch))
            WHERE id = \(id)
            """)
        return try eventRows(EventQuery(), orderBy: "e.id", afterID: id - 1, beforeID: id + 1).first
    }

    /// Stores a new API token (its secret's SHA-256 only).
    public func createToken(name: String, role: AccessRole, secretSHA256: String, at time: UTCInstant)
        throws(StoreError) -> APIToken
    {
        let row = try session.query(
            """
            INSERT INTO api_tokens (name, role, secret_sha256, created_us)
            VALUES (\(name), \(role.rawValue), \(secretSHA256), \(time.microsecondsSinceEpoch)) RETURNING id
            """
        ).first
        guard let id = row.flatMap({ try? $0.decode(Int64.self) }) else {
            throw .io("\(session.endpoint): the new token has no number")
        }
        return APIToken(id: id, name: name, role: role, created: time)
    }

    /// Every token, by number.
    public func tokens() throws(StoreError) -> [APIToken] {
        try session.query("SELECT id, name, role, created_us, revoked_us FROM api_tokens ORDER BY id")
            .compactMap(Self.token)
    }

    /// The token with this secret hash, revoked or not.
    public func token(secretSHA256: String) throws(StoreError) -> APIToken? {
        try session.query(
            "SELECT id, name, role, created_us, revoked_us FROM api_tokens WHERE secret_sha256 = \(secretSHA256)"
        ).first.flatMap(Self.token)
    }

    /// Revokes a token; false when there is none or it was revoked before.
    public func revokeToken(id: Int64, at time: UTCInstant) throws(StoreError) -> Bool {
        try session.query(
            """
            UPDATE api_tokens SET revoked_us = \(time.microsecondsSinceEpoch)
            WHERE id = \(id) AND revoked_us IS NULL
            """
        ).metadata.rows ?? 0 > 0
    }

    static func token(_ row: PostgresRow) -> APIToken? {
        guard let (id, name, role, created, revoked) = try? row.decode((Int64, String, String, Int64, Int64?).self),
            let role = AccessRole(rawValue: role)
        else { return nil }
        return APIToken(
            id: id, name: name, role: role, created: UTCInstant(microsecondsSinceEpoch: created),
            revoked: revoked.map { UTCInstant(microsecondsSinceEpoch: $0) })
    }

    // MARK: - HistoryStore

    /// Partitions with their exact rows (from the per-day summaries) and sizes on disk, the oldest fix and event.
    public func historyStats() throws(StoreError) -> HistoryStats {
        var rowsByDay: [Int64: Int] = [:]
        for row in try session.query("SELECT day_us, sum(fixes)::bigint FROM vehicle_days GROUP BY day_us") {
            if let (day, fixes) = try? row.decode((Int64, Int64).self) { rowsByDay[day] = Int(fixes) }
        }
        var partitions: [HistoryPartition] = []
        for (day, name) in try PostgresPartitions.existing(session) {
            let bytes = try session.query("SELECT pg_total_relation_size(\(name)::regclass)").first
                .flatMap { try? $0.decode(Int64.self) }
            partitions.append(
                HistoryPartition(
                    name: name, from: UTCInstant(microsecondsSinceEpoch: day),
                    to: UTCInstant(microsecondsSinceEpoch: day + PostgresPartitions.day), fixes: rowsByDay[day] ?? 0,
                    bytes: bytes.map(Int.init)))
        }
        let spans = try session.query(
            """
            SELECT (SELECT min(first_us) FROM vehicle_days), (SELECT max(last_us) FROM vehicle_days),
                (SELECT count(*) FROM events)::bigint, (SELECT min(time_us) FROM events),
                pg_database_size(current_database())
            """
        ).first.flatMap { try? $0.decode((Int64?, Int64?, Int64, Int64?, Int64).self) }
        return HistoryStats(
            partitions: partitions, fixes: partitions.reduce(0) { $0 + $1.fixes },
            oldestFix: spans?.0.map { UTCInstant(microsecondsSinceEpoch: $0) },
            newestFix: spans?.1.map { UTCInstant(microsecondsSinceEpoch: $0) }, events: Int(spans?.2 ?? 0),
            oldestEvent: spans?.3.map { UTCInstant(microsecondsSinceEpoch: $0) },
            databaseBytes: spans.map { Int($0.4) },
            freeBytes: nil, bytesEstimated: false)
    }

    /// Drops the day partitions that end at or before `fixesBefore` (detached, then dropped: never row by row), with
    /// their summaries and the latest positions that lay in them; deletes events older than `eventsBefore`.
    public func prune(fixesBefore: UTCInstant?, eventsBefore: UTCInstant?) throws(StoreError) -> PruneOutcome {
        var outcome = PruneOutcome()
        if let fixesBefore {
            let cut = fixesBefore.microsecondsSinceEpoch
            for (day, name) in try PostgresPartitions.existing(session) where day + PostgresPartitions.day <= cut {
                try session.transaction { () throws(StoreError) in
                    let fixes = try session.query(
                        "SELECT coalesce(sum(fixes), 0)::bigint FROM vehicle_days WHERE day_us = \(day)"
                    ).first.flatMap { try? $0.decode(Int64.self) }
                    try session.execute("ALTER TABLE fixes DETACH PARTITION \(name)")
                    try session.execute("DROP TABLE \(name)")
                    try session.query("DELETE FROM vehicle_days WHERE day_us = \(day)")
                    try session.query(
                        """
                        DELETE FROM vehicle_positions
                        WHERE time_us >= \(day) AND time_us < \(day + PostgresPartitions.day)
                        """)
                    outcome.droppedPartitions.append(name)
                    outcome.droppedFixes += Int(fixes ?? 0)
                }
                partitionDays.remove(day)
            }
        }
        if let eventsBefore {
            let result = try session.query("DELETE FROM events WHERE time_us < \(eventsBefore.microsecondsSinceEpoch)")
            outcome.deletedEvents = result.metadata.rows ?? 0
        }
        return outcome
    }
}
