public import Cluster
public import OrbitaModel
import PostgresStorage
import Storage

/// Opens the store a `DatabaseLocation` names, whichever backend it is: what every command and the server use, so
/// that nothing above storage names a backend's type.
public enum StoreFactory {
    /// How a connection is opened.
    public struct Options: Sendable {
        /// SQLite's page cache for this connection, MiB (a server's writer gives it more; see `orbita serve`).
        public var cacheMegabytes = 64
        /// How long to wait for another process's lock before `StoreError.locked`, seconds (SQLite's busy timeout,
        /// PostgreSQL's `lock_timeout`).
        public var busyTimeoutSeconds = 5.0
        /// PostgreSQL: how long a call waits for the server before it fails (nil: no limit; see `PostgresEndpoint`).
        public var callTimeoutSeconds: Double?
        /// PostgreSQL: a cluster node's leases, which every write of this connection is checked against.
        public var writeFence: WriteFence?

        /// Creates options.
        public init(
            cacheMegabytes: Int = 64, busyTimeoutSeconds: Double = 5, callTimeoutSeconds: Double? = nil,
            writeFence: WriteFence? = nil
        ) {
            self.cacheMegabytes = cacheMegabytes
            self.busyTimeoutSeconds = busyTimeoutSeconds
            self.callTimeoutSeconds = callTimeoutSeconds
            self.writeFence = writeFence
        }
    }

    /// A new connection to the store at `location` (its schema brought up to date first).
    public static func open(_ location: DatabaseLocation, options: Options = Options()) throws(StoreError)
        -> any OrbitaStore
    {
        switch location {
        case .sqlite(let path):
            return try SQLiteTrackStore(
                path: path, busyTimeoutSeconds: options.busyTimeoutSeconds, cacheMegabytes: options.cacheMegabytes)
        case .postgres(let address):
            return try PostgresTrackStore(endpoint(address, options), writeFence: options.writeFence)
        }
    }

    /// A new connection to the cluster's shard leases and inbox at `location`: PostgreSQL only (several nodes share
    /// one database; a SQLite file has one writer and so one node). Its calls fail after half a lease time without
    /// an answer (unless `options` sets another limit).
    public static func openCluster(
        _ location: DatabaseLocation, settings: ClusterSettings, options: Options = Options()
    ) throws(StoreError) -> any ClusterStore {
        var options = options
        if options.callTimeoutSeconds == nil { options.callTimeoutSeconds = max(1, settings.leaseSeconds / 2) }
        switch location {
        case .sqlite(let path):
            throw .io("\(path): several nodes need PostgreSQL (--db postgres://USER@HOST/DATABASE); SQLite has one")
        case .postgres(let address):
            return try PostgresClusterStore(endpoint(address, options), shardCount: settings.shardCount)
        }
    }

    /// Follows the commits of every process on the database at `location`: `onCommit` hears each one's cursor (the
    /// highest fix and event numbers it stored), and when commits may have gone unheard (a lost connection came back).
    /// Nil for SQLite, whose only writer is the server itself.
    public static func listenForCommits(
        _ location: DatabaseLocation, onCommit: @escaping @Sendable (CommitNotice) -> Void
    ) -> (any CommitListener)? {
        switch location {
        case .sqlite: return nil
        case .postgres(let address):
            return PostgresCommitListener(endpoint(address, Options()), onCommit: onCommit)
        }
    }

    /// Where a PostgreSQL connection goes, with the options' lock timeout.
    private static func endpoint(_ address: PostgresAddress, _ options: Options) -> PostgresEndpoint {
        PostgresEndpoint(
            host: address.host, port: address.port, user: address.user, password: address.password,
            database: address.database, lockTimeoutSeconds: options.busyTimeoutSeconds,
            callTimeoutSeconds: options.callTimeoutSeconds)
    }
}
