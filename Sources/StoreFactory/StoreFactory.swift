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

        /// Creates options.
        public init(cacheMegabytes: Int = 64, busyTimeoutSeconds: Double = 5) {
            self.cacheMegabytes = cacheMegabytes
            self.busyTimeoutSeconds = busyTimeoutSeconds
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
            return try PostgresTrackStore(endpoint(address, options))
        }
    }

    /// A new connection to the cluster's shard leases and inbox at `location`: PostgreSQL only (several nodes share
    /// one database; a SQLite file has one writer and so one node).
    public static func openCluster(
        _ location: DatabaseLocation, settings: ClusterSettings, options: Options = Options()
    ) throws(StoreError) -> any ClusterStore {
        switch location {
        case .sqlite(let path):
            throw .io("\(path): several nodes need PostgreSQL (--db postgres://USER@HOST/DATABASE); SQLite has one")
        case .postgres(let address):
            return try PostgresClusterStore(endpoint(address, options), shardCount: settings.shardCount)
        }
    }

    /// Where a PostgreSQL connection goes, with the options' lock timeout.
    private static func endpoint(_ address: PostgresAddress, _ options: Options) -> PostgresEndpoint {
        PostgresEndpoint(
            host: address.host, port: address.port, user: address.user, password: address.password,
            database: address.database, lockTimeoutSeconds: options.busyTimeoutSeconds)
    }
}
