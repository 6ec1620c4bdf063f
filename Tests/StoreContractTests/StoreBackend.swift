import OrbitaModel
import Testing

/// A storage backend as the contract tests see it: how to make a fresh, empty database and, where it can, how to make
/// it fail. Every test runs once per backend in `all`; adding a backend (PostgreSQL) is adding one value there.
struct StoreBackend: Sendable, CustomTestStringConvertible {
    /// The name in test reports.
    let name: String
    /// Creates a fresh, empty database.
    let makeDatabase: @Sendable () throws -> TestDatabase
    /// Runs `body` while another client holds the database's write lock (nil: the backend has no such lock).
    var holdingWriteLock: (@Sendable (_ database: TestDatabase, _ body: () throws -> Void) throws -> Void)?
    /// Creates a fresh, empty database that can hold about this many bytes, no more (nil: the backend cannot).
    var makeSmallDatabase: (@Sendable (_ maximumBytes: Int) throws -> TestDatabase)?
    /// Opens a store on a damaged database; expected to throw `StoreError.corrupt` (nil: the backend cannot).
    var openDamaged: (@Sendable () throws -> any OrbitaStore)?
    /// What the backend's own consistency check finds wrong with a database, empty when sound (nil: it has none).
    var integrityProblems: (@Sendable (_ database: TestDatabase) throws -> [String])?

    var testDescription: String { name }

    /// Every backend the contract runs on.
    static let all: [StoreBackend] = [.sqliteFile, .sqliteInMemory] + [postgres].compactMap(\.self)
    /// Those whose write lock another client can hold.
    static let lockable = all.filter { $0.holdingWriteLock != nil }
    /// Those that can be given a size limit.
    static let fillable = all.filter { $0.makeSmallDatabase != nil }
    /// Those that can open a damaged database.
    static let damageable = all.filter { $0.openDamaged != nil }
}

/// One database of a backend.
struct TestDatabase {
    /// Where it is (a file's path, a connection string), for the backend's own fault injection.
    let location: String
    /// A new connection to it: a store of its own, as another process or the API's pool has (a backend that has
    /// only one connection to a database returns that one).
    let connect: () throws -> any OrbitaStore
}

extension StoreBackend {
    /// A fresh, empty store (the first connection to a fresh database).
    func makeStore() throws -> any OrbitaStore {
        try makeDatabase().connect()
    }
}
