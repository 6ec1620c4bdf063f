import Foundation
import GRDB
import OrbitaModel
import Storage

extension StoreBackend {
    /// SQLite in a file (WAL, a connection pool): what `orbita serve` and `orbita import` use.
    static let sqliteFile = StoreBackend(
        name: "SQLite file",
        makeDatabase: {
            let path = temporaryFile("contract.sqlite")
            return TestDatabase(location: path) { try SQLiteTrackStore(path: path, busyTimeoutSeconds: 0.2) }
        },
        holdingWriteLock: { database, body in
            // Another connection, as another process would have one, in a write transaction.
            let other = try DatabaseQueue(path: database.location)
            try other.inTransaction(.exclusive) { _ in
                try body()
                return .rollback
            }
            try other.close()
        },
        makeSmallDatabase: { maximumBytes in
            let path = temporaryFile("small.sqlite")
            return TestDatabase(location: path) {
                try SQLiteTrackStore(path: path, maximumSizeBytes: maximumBytes, busyTimeoutSeconds: 0.2)
            }
        },
        openDamaged: {
            let path = temporaryFile("garbage.sqlite")
            try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
            return try SQLiteTrackStore(path: path)
        },
        integrityProblems: { database in
            try SQLiteTrackStore(path: database.location).integrityCheck().filter { $0 != "ok" }
        })

    /// SQLite in memory (one connection): tests and benchmarks of the pipeline alone.
    static let sqliteInMemory = StoreBackend(
        name: "SQLite in memory",
        makeDatabase: {
            let store = try SQLiteTrackStore()
            return TestDatabase(location: ":memory:") { store }
        })
}

/// A path in a folder of its own under the temporary directory.
private func temporaryFile(_ name: String) -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("orbita-contract-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(name).path
}
