public import OrbitaModel

/// A fix received by some node, on its way to the node that owns its vehicle.
public struct InboxRecord: Sendable, Equatable {
    /// The vehicle's shard.
    public var shard: Int
    /// Where it came from (the tracker's address, as the listeners name it).
    public var source: String
    /// The fix, with its device.
    public var fix: Fix

    /// Creates a record.
    public init(shard: Int, source: String, fix: Fix) {
        self.shard = shard
        self.source = source
        self.fix = fix
    }
}

/// A record waiting in the inbox, with its number there.
public struct InboxEntry: Sendable, Equatable {
    /// Its number (removal names it).
    public var id: Int64
    /// The record.
    public var record: InboxRecord

    /// Creates an entry.
    public init(id: Int64, record: InboxRecord) {
        self.id = id
        self.record = record
    }
}

/// The inbox through which every node hands the fixes it receives to the owners of their vehicles: a table in the
/// shared database. A record is removed only after its owner committed what it made of it, so a node that dies
/// between the two leaves it for the next owner, whose pipeline and the store's unique keys see it as the duplicate
/// it is. Used by one thread at a time.
public protocol ClusterInbox: AnyObject {
    /// Adds records received by `node`, in one transaction.
    func append(_ records: [InboxRecord], receivedBy node: String) throws(StoreError)
    /// Up to `limit` records of `shards` that arrived at least `holdBack` seconds ago (by the database's clock), in
    /// the order they arrived.
    func take(shards: [Int], holdBack: Double, limit: Int) throws(StoreError) -> [InboxEntry]
    /// Removes records whose fixes were committed.
    func remove(_ ids: [Int64]) throws(StoreError)
    /// Records waiting, all shards.
    func backlog() throws(StoreError) -> Int
}

/// What a node's database does for the cluster: leases and the inbox (PostgreSQL).
public typealias ClusterStore = ClusterInbox & ShardLeaseStore
