import GRDB
public import OrbitaModel

/// The history kept by time: statistics of the partitions, and retention by dropping whole partitions.
extension SQLiteTrackStore: HistoryStore {
    /// Partitions (sizes estimated: the file's used bytes shared out by rows, since SQLite can only count a table's
    /// pages by reading them all), counts, the oldest fix and event.
    public func historyStats() throws(StoreError) -> HistoryStats {
        try read { db in
            let partitions = try FixPartitions.all(db)
            let fixes = partitions.reduce(0) { $0 + Int($1.rows) }
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            let used = (pages - free) * pageSize
            let perFix = fixes > 0 ? Double(used) / Double(fixes) : 0
            let events = try Row.fetchOne(db, sql: "SELECT count(*), min(time_us) FROM events")
            return HistoryStats(
                partitions: partitions.map { partition in
                    HistoryPartition(
                        name: partition.name, from: UTCInstant(microsecondsSinceEpoch: partition.start),
                        to: UTCInstant(microsecondsSinceEpoch: partition.end), fixes: Int(partition.rows),
                        bytes: Int(Double(partition.rows) * perFix))
                },
                fixes: fixes,
                oldestFix: try Int64.fetchOne(db, sql: "SELECT min(first_us) FROM partition_vehicles")
                    .map(UTCInstant.init(microsecondsSinceEpoch:)),
                newestFix: try Int64.fetchOne(db, sql: "SELECT max(last_us) FROM fix_partitions")
                    .map(UTCInstant.init(microsecondsSinceEpoch:)),
                events: events?[0] ?? 0,
                oldestEvent: (events?[1] as Int64?).map(UTCInstant.init(microsecondsSinceEpoch:)),
                databaseBytes: pages * pageSize, freeBytes: free * pageSize, bytesEstimated: true)
        }
    }

    /// Drops the fix partitions that end at or before `fixesBefore` (their tables, in one transaction; the pages go
    /// to SQLite's free list and are reused by new partitions) and deletes events older than `eventsBefore`.
    public func prune(fixesBefore: UTCInstant?, eventsBefore: UTCInstant?) throws(StoreError) -> PruneOutcome {
        try write { db in
            var outcome = PruneOutcome()
            if let fixesBefore {
                let expired = try Row.fetchAll(
                    db, sql: "SELECT * FROM fix_partitions WHERE end_us <= ? ORDER BY start_us",
                    arguments: [fixesBefore.microsecondsSinceEpoch]
                ).map(FixPartitions.partition)
                for partition in expired {
                    try db.execute(sql: "DROP TABLE \(partition.name)")
                    // Cascades to the partition's vehicle spans and to latest positions that lay in it.
                    try db.execute(sql: "DELETE FROM fix_partitions WHERE id = ?", arguments: [partition.id])
                    outcome.droppedPartitions.append(partition.name)
                    outcome.droppedFixes += Int(partition.rows)
                }
            }
            if let eventsBefore {
                try db.execute(
                    sql: "DELETE FROM events WHERE time_us < ?", arguments: [eventsBefore.microsecondsSinceEpoch])
                outcome.deletedEvents = db.changesCount
            }
            return outcome
        }
    }

    /// Nothing: SQLite's partitions are made by the insert that needs one (a table in the same file, at once).
    public func prepareHistory(until: UTCInstant) throws(StoreError) {}
}
