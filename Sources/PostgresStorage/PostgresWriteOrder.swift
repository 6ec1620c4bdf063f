import Cluster
import OrbitaModel
import PostgresNIO

/// How several writers share one PostgreSQL database (cluster nodes, or a server and an import): their commits are
/// taken one at a time in the order of the numbers they give fixes and events, each commit tells the other
/// processes what it stored (`NOTIFY`), and a cluster node's commit keeps only the vehicles it still owns.
extension PostgresTrackStore {
    /// The advisory lock every write transaction takes first (a constant: "orbita" in ASCII). Held until the commit,
    /// so that a number is never committed after a higher one: the live feed's cursor, which moves past the highest
    /// number it has seen, can then never pass a number another writer still holds uncommitted.
    static let commitOrderLock: Int64 = 0x6f72_6269_7461

    /// The channel a commit notifies with its cursor (`FIX:EVENT`, the highest numbers it stored).
    public static let liveChannel = "orbita_live"

    /// Sends the commit's cursor to `liveChannel` (delivered when the transaction commits, in commit order).
    func notifyCommitted(_ outcome: InsertOutcome) throws(StoreError) {
        let fix = outcome.fixIDs.max() ?? 0
        let event = outcome.eventIDs.compactMap { $0 }.max() ?? 0
        guard fix > 0 || event > 0 else { return }
        try session.query("SELECT pg_notify(\(Self.liveChannel), \("\(fix):\(event)"))")
    }

    /// Stores the fixes and events of the vehicles whose shards the fence's node still holds under the same epochs
    /// (the lease rows locked `FOR SHARE` until the commit, so no other node can claim them meanwhile); the others are
    /// skipped and named in `fencedIndices`.
    func insertFenced(_ points: [TrackPoint], _ events: [VehicleEvent], fence: WriteFence) throws(StoreError)
        -> InsertOutcome
    {
        let leases = fence.leases()
        var shards: [String: Int] = [:]
        for id in points.lazy.map(\.vehicleID) + events.map(\.vehicleID) where shards[id] == nil {
            shards[id] = shard(ofVehicle: id, shardCount: fence.shardCount)
        }
        let wanted = Set(shards.values).compactMap { shard in leases[shard].map { (shard, $0) } }
        var held: Set<Int> = []
        if !wanted.isEmpty {
            for row in try session.query(
                """
                SELECT s.shard FROM cluster_shards s
                JOIN unnest(\(wanted.map { Int32($0.0) }), \(wanted.map(\.1))) AS w(shard, epoch)
                    ON s.shard = w.shard AND s.epoch = w.epoch
                WHERE s.owner = \(fence.node) AND s.lease_until > now()
                FOR SHARE OF s
                """)
            {
                if let shard = try? row.decode(Int32.self) { held.insert(Int(shard)) }
            }
        }
        func owned(_ vehicle: String) -> Bool { held.contains(shards[vehicle] ?? -1) }
        let keptPoints = points.indices.filter { owned(points[$0].vehicleID) }
        let keptEvents = events.indices.filter { owned(events[$0].vehicleID) }
        if keptPoints.count == points.count && keptEvents.count == events.count {
            return try insertAll(points, events)
        }
        let inner = try insertAll(keptPoints.map { points[$0] }, keptEvents.map { events[$0] })
        // Back to the batch's positions: skipped = skipped among the kept, plus every one left out.
        var outcome = inner
        let skippedKept = Set(inner.skippedIndices.map { keptPoints[$0] })
        let keptSet = Set(keptPoints)
        outcome.fencedIndices = points.indices.filter { !keptSet.contains($0) }
        outcome.skippedIndices = points.indices.filter { skippedKept.contains($0) || !keptSet.contains($0) }
        var eventIDs = [Int64?](repeating: nil, count: events.count)
        for (position, index) in keptEvents.enumerated() where position < inner.eventIDs.count {
            eventIDs[index] = inner.eventIDs[position]
        }
        outcome.eventIDs = eventIDs
        return outcome
    }
}
