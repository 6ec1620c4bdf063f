public import OrbitaModel

/// How vehicles are shared among the nodes of a cluster: every vehicle belongs to one of `shardCount` shards (a
/// stable hash of its ID), and every shard is leased to at most one node at a time, in the database.
public struct ClusterSettings: Sendable, Equatable {
    /// Shards vehicles are hashed into (a few per node of the largest cluster foreseen; 256 by default).
    public var shardCount: Int
    /// How long a lease lasts without renewal, seconds: a node that dies loses its shards after this (15 s).
    public var leaseSeconds: Double
    /// How often a node renews its leases and rebalances, seconds: a third of the lease (a renewal may fail twice
    /// before the lease runs out).
    public var renewSeconds: Double { leaseSeconds / 3 }

    /// Creates settings (defaults: 256 shards, 15 s leases renewed every 5 s).
    public init(shardCount: Int = 256, leaseSeconds: Double = 15) {
        self.shardCount = shardCount
        self.leaseSeconds = leaseSeconds
    }

    /// A node's name: letters, digits, `.`, `-`, `_`, 1–63 characters (a host name fits).
    public static func isValidNodeName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 63
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }
}

/// The shard of a vehicle: FNV-1a of its ID's UTF-8 bytes, modulo the shard count. Stable across processes,
/// machines and versions (Swift's `Hasher` is seeded per process and would not be).
public func shard(ofVehicle id: String, shardCount: Int) -> Int {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in id.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01b3
    }
    return Int(hash % UInt64(shardCount))
}

/// A shard held by a node: its number and the lease's epoch (raised at every claim, so that a write made under an
/// older lease can be told apart and refused).
public struct ShardLease: Sendable, Hashable, Comparable {
    /// The shard.
    public var shard: Int
    /// The lease's epoch.
    public var epoch: Int64

    /// Creates a lease.
    public init(shard: Int, epoch: Int64) {
        self.shard = shard
        self.epoch = epoch
    }

    /// By shard.
    public static func < (left: ShardLease, right: ShardLease) -> Bool { left.shard < right.shard }
}

/// A node as the database knows it.
public struct ClusterNode: Sendable, Equatable {
    /// Its name (`--node`).
    public var name: String
    /// Seconds since its last heartbeat, by the database's clock.
    public var secondsSinceHeartbeat: Double
    /// Whether it left cleanly (and has not come back).
    public var stopped: Bool
    /// What it listens on, as it said (`udp=… tcp=… http=…`).
    public var endpoints: String

    /// Creates a record.
    public init(name: String, secondsSinceHeartbeat: Double, stopped: Bool, endpoints: String) {
        self.name = name
        self.secondsSinceHeartbeat = secondsSinceHeartbeat
        self.stopped = stopped
        self.endpoints = endpoints
    }
}

/// The whole cluster at one moment, for `orbita cluster status`.
public struct ClusterStatus: Sendable, Equatable {
    /// Every node that ever joined, by name.
    public var nodes: [ClusterNode]
    /// Shards held by each node with a live lease.
    public var shardsByNode: [String: Int]
    /// Shards nobody holds (free, or their holder's lease ran out).
    public var unownedShards: Int
    /// Claims made so far (each a handover or a first claim), per node that made them.
    public var claimsByNode: [String: Int64]

    /// Creates a status.
    public init(nodes: [ClusterNode], shardsByNode: [String: Int], unownedShards: Int, claimsByNode: [String: Int64]) {
        self.nodes = nodes
        self.shardsByNode = shardsByNode
        self.unownedShards = unownedShards
        self.claimsByNode = claimsByNode
    }
}

/// What the coordinator needs of the database: node heartbeats and shard leases, judged by the database's clock (so
/// that nodes' clocks need not agree). PostgreSQL implements it (`PostgresClusterStore`); SQLite does not (one node).
/// Used by one thread at a time.
public protocol ShardLeaseStore: AnyObject {
    /// Records `node` alive and returns the nodes whose heartbeat is younger than `liveWithin` seconds and that did
    /// not leave, by name. `incarnation` tells this process from an earlier one of the same name: a new incarnation
    /// takes the name over (freeing the shards the earlier one held, which resumes from the store) only when the
    /// earlier one left or its heartbeat is older than `liveWithin`; while it looks alive, `StoreError.locked` (two
    /// processes must never share a name).
    func heartbeat(node: String, incarnation: String, endpoints: String, liveWithin: Double) throws(StoreError)
        -> [String]
    /// Extends the leases `node` holds by `leaseSeconds`; returns them (shards it lost meanwhile are not among them).
    func renew(node: String, leaseSeconds: Double) throws(StoreError) -> [ShardLease]
    /// Claims up to `count` shards that nobody holds or whose lease ran out, lowest first; returns those won, each
    /// with its new epoch. Shards another node claims at the same moment are skipped, not waited for.
    func claim(node: String, count: Int, leaseSeconds: Double) throws(StoreError) -> [ShardLease]
    /// Gives up `shards` (a rebalance or a clean stop): free at once for the others.
    func release(node: String, shards: [Int]) throws(StoreError)
    /// Marks `node` as gone cleanly and frees every shard it holds.
    func leave(node: String) throws(StoreError)
    /// The cluster as the database sees it now.
    func status() throws(StoreError) -> ClusterStatus
}

/// How many shards each live node should hold: the shards shared as evenly as possible, the larger shares to the
/// first nodes by name — so that every node computes the same split from the same list of live nodes.
public func fairShare(of node: String, among liveNodes: [String], shardCount: Int) -> Int {
    let nodes = Array(Set(liveNodes + [node])).sorted()
    guard let rank = nodes.firstIndex(of: node) else { return 0 }
    return shardCount / nodes.count + (rank < shardCount % nodes.count ? 1 : 0)
}

/// Which vehicles a cluster node may still write: the shards it holds, with their leases' epochs. A store checks
/// them inside each write's transaction (holding the lease rows against a claim until the commit) and skips the
/// fixes and events of vehicles whose shard the node no longer holds under that epoch, so that a node cut off from
/// the database can never commit work for vehicles another node has taken over.
public struct WriteFence: Sendable {
    /// The node's name.
    public var node: String
    /// Shards vehicles are hashed into.
    public var shardCount: Int
    /// The leases the node trusts now, shard → epoch.
    public var leases: @Sendable () -> [Int: Int64]

    /// Creates a fence.
    public init(node: String, shardCount: Int, leases: @escaping @Sendable () -> [Int: Int64]) {
        self.node = node
        self.shardCount = shardCount
        self.leases = leases
    }
}
