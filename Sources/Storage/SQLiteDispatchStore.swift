import Foundation
import GRDB
public import OrbitaModel

/// What the dispatch API reads and writes beside tracks and zones: events by number, acknowledgements, API tokens.
extension SQLiteTrackStore: DispatchRepository {
    /// Events matching `query` with their numbers, in `order`, after `afterID` and before `beforeID` when given.
    public func storedEvents(
        _ query: EventQuery, order: EventOrder, afterID: Int64?, beforeID: Int64?, unacknowledgedOnly: Bool
    ) throws(StoreError) -> [StoredEvent] {
        let rows = try eventRows(
            query, orderBy: order == .newestFirst ? "e.id DESC" : "e.id", afterID: afterID, beforeID: beforeID,
            unacknowledgedOnly: unacknowledgedOnly)
        return rows.map { StoredEvent(id: $0["id"], event: Self.event($0)) }
    }

    /// The vehicles off their route now: those whose latest route deviation or return event is a deviation (one
    /// indexed lookup per vehicle, whatever the length of the event history).
    public func offRouteVehicles() throws(StoreError) -> Set<String> {
        try read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT v.id FROM vehicles v
                        WHERE (SELECT e.kind FROM events e
                               WHERE e.vehicle_key = v.key AND e.kind IN ('routeDeviation', 'routeReturn')
                               ORDER BY e.time_us DESC, e.id DESC LIMIT 1) = 'routeDeviation'
                        """))
        }
    }

    /// Marks an event acknowledged (the first acknowledgement's time is kept).
    /// - Returns: the event, or nil when there is no event with that number.
    public func acknowledgeEvent(id: Int64, at time: UTCInstant) throws(StoreError) -> StoredEvent? {
        try write { db in
            try db.execute(
                sql: "UPDATE events SET acknowledged_us = coalesce(acknowledged_us, ?) WHERE id = ?",
                arguments: [time.microsecondsSinceEpoch, id])
            guard
                let row = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT e.*, v.id AS vehicle FROM events e JOIN vehicles v ON v.key = e.vehicle_key WHERE e.id = ?",
                    arguments: [id])
            else { return nil }
            return StoredEvent(id: id, event: Self.event(row))
        }
    }

    // MARK: - Live feed

    /// The numbers of the newest fix and the newest event (0 when none): a live feed starts after them.
    public func latestNumbers() throws(StoreError) -> (fix: Int64, event: Int64) {
        try read { db in
            (
                try FixPartitions.nextID(db) - 1,
                try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM events") ?? 0
            )
        }
    }

    /// Fixes stored after number `afterID`, in the order they were stored, with their numbers (at most `limit`): the
    /// partitions holding higher numbers (usually the newest, and one that took late data) read by number and
    /// merged.
    public func fixes(afterID: Int64, limit: Int) throws(StoreError) -> [(id: Int64, point: TrackPoint)] {
        try read { db in
            var rows: [(id: Int64, point: TrackPoint)] = []
            let partitions = try FixPartitions.holding(numbersAbove: afterID, db)
            for partition in partitions {
                let cursor = try Row.fetchCursor(
                    db.cachedStatement(
                        sql: "\(Self.selectPoints(partition.name)) WHERE f.id > ? ORDER BY f.id LIMIT ?"),
                    arguments: [afterID, limit])
                while let row = try cursor.next() { rows.append((Self.fixID(row), Self.trackPoint(row))) }
            }
            if partitions.count > 1 { rows.sort { $0.id < $1.id } }
            return Array(rows.prefix(max(0, limit)))
        }
    }

    // MARK: - API tokens

    /// Stores a new token's hash (the SHA-256 of its secret, hex).
    public func createToken(name: String, role: AccessRole, secretSHA256: String, at time: UTCInstant)
        throws(StoreError) -> APIToken
    {
        try write { db in
            try db.execute(
                sql: "INSERT INTO api_tokens (name, role, secret_sha256, created_us) VALUES (?, ?, ?, ?)",
                arguments: [name, role.rawValue, secretSHA256, time.microsecondsSinceEpoch])
            return APIToken(id: db.lastInsertedRowID, name: name, role: role, created: time)
        }
    }

    /// Every token, oldest first.
    public func tokens() throws(StoreError) -> [APIToken] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM api_tokens ORDER BY id").compactMap(Self.token) }
    }

    /// The token whose secret hashes to `secretSHA256` (revoked ones too: the caller refuses them).
    public func token(secretSHA256: String) throws(StoreError) -> APIToken? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_tokens WHERE secret_sha256 = ?", arguments: [secretSHA256])
                .flatMap(Self.token)
        }
    }

    /// Revokes a token; false when there is none with that number or it was revoked already.
    public func revokeToken(id: Int64, at time: UTCInstant) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(
                sql: "UPDATE api_tokens SET revoked_us = ? WHERE id = ? AND revoked_us IS NULL",
                arguments: [time.microsecondsSinceEpoch, id])
            return db.changesCount > 0
        }
    }

    private static func token(_ row: Row) -> APIToken? {
        guard let role = AccessRole(rawValue: row["role"]) else { return nil }
        return APIToken(
            id: row["id"], name: row["name"], role: role,
            created: UTCInstant(microsecondsSinceEpoch: row["created_us"]),
            revoked: (row["revoked_us"] as Int64?).map(UTCInstant.init(microsecondsSinceEpoch:)))
    }
}
