public import Cluster
import NIOCore
public import OrbitaModel
import PostgresNIO

/// Node heartbeats and shard leases in PostgreSQL (tables `cluster_nodes` and `cluster_shards`), judged by the
/// database's clock. A claim takes free or lapsed shards with `FOR UPDATE SKIP LOCKED`, so that nodes claiming at once
/// never wait for each other nor win the same shard; every claim raises the shard's epoch. One connection, used by one
/// thread at a time (a node opens one for its coordinator and one for each side of its inbox).
public final class PostgresClusterStore: ShardLeaseStore, ClusterInbox, @unchecked Sendable {
    // @unchecked: one thread at a time, as every store.
    let session: PostgresSession
    private let shardCount: Int

    /// Connects, brings the schema up to date and makes the cluster's shards when it has none; refuses a shard count
    /// other than the cluster's.
    public init(_ endpoint: PostgresEndpoint, shardCount: Int) throws(StoreError) {
        session = try PostgresSession(endpoint)
        self.shardCount = shardCount
        try PostgresSchema.migrate(session)
        try session.query(
            """
            INSERT INTO cluster_shards (shard) SELECT generate_series(0, \(shardCount) - 1)
            WHERE NOT EXISTS (SELECT 1 FROM cluster_shards) ON CONFLICT DO NOTHING
            """)
        let existing = try session.query("SELECT count(*)::bigint FROM cluster_shards").first.flatMap {
            try? $0.decode(Int64.self)
        }
        guard existing == Int64(shardCount) else {
            throw .constraint(
                "\(endpoint): the cluster has \(existing ?? 0) shards, this node was started with \(shardCount)")
        }
    }

    /// Records the node alive (see `ShardLeaseStore`); a new incarnation frees its name's earlier shards.
    public func heartbeat(node: String, incarnation: String, endpoints: String, liveWithin: Double) throws(StoreError)
        -> [String]
    {
        try session.transaction { () throws(StoreError) in
            let previous = try session.query(
                """
                SELECT incarnation, stopped, extract(epoch FROM now() - heartbeat_at)::float8
                FROM cluster_nodes WHERE name = \(node) FOR UPDATE
                """
            ).first.flatMap { try? $0.decode((String, Bool, Double).self) }
            if let (earlier, stopped, age) = previous, earlier != incarnation {
                guard stopped || age >= liveWithin else {
                    throw StoreError.locked(
                        "node \(node) is in use by another process (heartbeat \(Int(age.rounded())) s ago); give each "
                            + "node its own --node, or wait \(Int((liveWithin - age).rounded(.up))) s after stopping one"
                    )
                }
                // The name's earlier life is gone: what it held is free for anyone (this node included) to claim.
                try session.query(
                    "UPDATE cluster_shards SET owner = NULL, lease_until = NULL WHERE owner = \(node)")
            }
            try session.query(
                """
                INSERT INTO cluster_nodes (name, incarnation, endpoints) VALUES (\(node), \(incarnation), \(endpoints))
                ON CONFLICT (name) DO UPDATE SET incarnation = excluded.incarnation, endpoints = excluded.endpoints,
                    heartbeat_at = now(), stopped = false
                """)
            var live: [String] = []
            for row in try session.query(
                """
                SELECT name FROM cluster_nodes
                WHERE NOT stopped AND heartbeat_at > now() - make_interval(secs => \(liveWithin)) ORDER BY name
                """)
            {
                if let name = try? row.decode(String.self) { live.append(name) }
            }
            return live
        }
    }

    /// Extends the node's unexpired leases.
    public func renew(node: String, leaseSeconds: Double) throws(StoreError) -> [ShardLease] {
        try leases(
            session.query(
                """
                UPDATE cluster_shards SET lease_until = now() + make_interval(secs => \(leaseSeconds))
                WHERE owner = \(node) AND lease_until > now() RETURNING shard, epoch
                """))
    }

    /// Claims free or lapsed shards, lowest first, skipping those another node is claiming.
    public func claim(node: String, count: Int, leaseSeconds: Double) throws(StoreError) -> [ShardLease] {
        guard count > 0 else { return [] }
        return try session.transaction { () throws(StoreError) in
            let won = try leases(
                session.query(
                    """
                    WITH free AS (
                        SELECT shard FROM cluster_shards WHERE owner IS NULL OR lease_until <= now()
                        ORDER BY shard LIMIT \(count) FOR UPDATE SKIP LOCKED)
                    UPDATE cluster_shards s SET owner = \(node),
                        lease_until = now() + make_interval(secs => \(leaseSeconds)), epoch = s.epoch + 1
                    FROM free WHERE s.shard = free.shard RETURNING s.shard, s.epoch
                    """))
            if !won.isEmpty {
                try session.query("UPDATE cluster_nodes SET claims = claims + \(won.count) WHERE name = \(node)")
            }
            return won
        }
    }

    /// Frees the node's `shards`.
    public func release(node: String, shards: [Int]) throws(StoreError) {
        guard !shards.isEmpty else { return }
        try session.query(
            """
            UPDATE cluster_shards SET owner = NULL, lease_until = NULL
            WHERE owner = \(node) AND shard = ANY(\(shards.map { Int64($0) }))
            """)
    }

    /// Frees all the node's shards and marks it stopped.
    public func leave(node: String) throws(StoreError) {
        try session.transaction { () throws(StoreError) in
            try session.query("UPDATE cluster_shards SET owner = NULL, lease_until = NULL WHERE owner = \(node)")
            try session.query("UPDATE cluster_nodes SET stopped = true WHERE name = \(node)")
        }
    }

    /// Nodes, shards held per node, unowned shards and claims.
    public func status() throws(StoreError) -> ClusterStatus {
        var nodes: [ClusterNode] = []
        var claims: [String: Int64] = [:]
        for row in try session.query(
            """
            SELECT name, extract(epoch FROM now() - heartbeat_at)::float8, stopped, endpoints, claims
            FROM cluster_nodes ORDER BY name
            """)
        {
            guard
                let (name, age, stopped, endpoints, claimed) = try? row.decode(
                    (String, Double, Bool, String, Int64).self)
            else { continue }
            nodes.append(ClusterNode(name: name, secondsSinceHeartbeat: age, stopped: stopped, endpoints: endpoints))
            claims[name] = claimed
        }
        var shardsByNode: [String: Int] = [:]
        var unowned = 0
        for row in try session.query(
            """
            SELECT coalesce(CASE WHEN lease_until > now() THEN owner END, ''), count(*)::bigint
            FROM cluster_shards GROUP BY 1
            """)
        {
            guard let (owner, count) = try? row.decode((String, Int64).self) else { continue }
            if owner.isEmpty { unowned = Int(count) } else { shardsByNode[owner] = Int(count) }
        }
        return ClusterStatus(nodes: nodes, shardsByNode: shardsByNode, unownedShards: unowned, claimsByNode: claims)
    }

    private func leases(_ rows: PostgresQueryResult) -> [ShardLease] {
        rows.compactMap { row in
            (try? row.decode((Int32, Int64).self)).map { ShardLease(shard: Int($0.0), epoch: $0.1) }
        }.sorted()
    }

    // MARK: - ClusterInbox

    /// Adds records as column arrays (one statement).
    public func append(_ records: [InboxRecord], receivedBy node: String) throws(StoreError) {
        guard !records.isEmpty else { return }
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(PostgresColumn(records.map { Int32($0.shard) }))
        bindings.append(PostgresColumn(records.map(\.source)))
        bindings.append(PostgresColumn(records.map { ByteBuffer(bytes: InboxCodec.encode($0.fix)) }))
        bindings.append(node)
        try session.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO cluster_inbox (shard, source, fix, received_by)
                    SELECT s, src, f, $4 FROM unnest($1::int[], $2::text[], $3::bytea[]) AS u(s, src, f)
                    """, binds: bindings))
    }

    /// Records of `shards` older than `holdBack`, by number.
    public func take(shards: [Int], holdBack: Double, limit: Int) throws(StoreError) -> [InboxEntry] {
        guard !shards.isEmpty, limit > 0 else { return [] }
        var entries: [InboxEntry] = []
        for row in try session.query(
            """
            SELECT id, shard, source, fix FROM cluster_inbox
            WHERE shard = ANY(\(shards.map { Int32($0) })) AND received_at <= now() - make_interval(secs => \(holdBack))
            ORDER BY id LIMIT \(limit)
            """)
        {
            guard let (id, shard, source, bytes) = try? row.decode((Int64, Int32, String, ByteBuffer).self) else {
                throw StoreError.corrupt("\(session.endpoint): an inbox row that cannot be read")
            }
            let fix: Fix
            do throws(InboxCodec.Malformed) {
                fix = try InboxCodec.decode(bytes.readableBytesView)
            } catch {
                throw StoreError.corrupt("\(session.endpoint): inbox record \(id): \(error)")
            }
            entries.append(InboxEntry(id: id, record: InboxRecord(shard: Int(shard), source: source, fix: fix)))
        }
        return entries
    }

    /// Deletes records by number.
    public func remove(_ ids: [Int64]) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try session.query("DELETE FROM cluster_inbox WHERE id = ANY(\(ids))")
    }

    /// Rows in the inbox.
    public func backlog() throws(StoreError) -> Int {
        Int(
            try session.query("SELECT count(*)::bigint FROM cluster_inbox").first.flatMap {
                try? $0.decode(Int64.self)
            } ?? 0)
    }
}
