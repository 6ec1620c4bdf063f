import Foundation
public import Storage

/// The database as the HTTP handlers use it: its own connection pool, one request at a time (the API is for a few
/// dispatchers, not for trackers; GRDB's pool is thread-safe, the store's small caches are not).
public final class DispatchStore: @unchecked Sendable {
    // @unchecked: `store` is used only under `lock`.
    private let lock = NSLock()
    private let store: SQLiteTrackStore

    /// Wraps a store opened for the API.
    public init(_ store: SQLiteTrackStore) { self.store = store }

    /// Runs `body` with the store, alone.
    func use<T>(_ body: (SQLiteTrackStore) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(store)
    }
}
