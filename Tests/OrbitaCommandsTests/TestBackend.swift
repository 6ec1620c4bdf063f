import Foundation
import OrbitaModel
import OrbitaTesting
import StoreFactory
import Testing

/// The storage backends the end-to-end tests run the binary on: SQLite always, PostgreSQL when `make test` started
/// a test server (`scripts/with-postgres.sh`).
enum TestBackend: String, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    /// The backends available here.
    static var available: [TestBackend] { PostgresTestServer.isAvailable ? [.sqlite, .postgres] : [.sqlite] }

    var testDescription: String { rawValue }

    /// A new, empty database named `name`: a file in `folder`, or a database of its own on the test server.
    func database(_ folder: URL, _ name: String) throws -> String {
        switch self {
        case .sqlite: folder.appendingPathComponent(name + ".sqlite").path
        case .postgres: try PostgresTestServer.createDatabase(name)
        }
    }

    /// A connection to a database `database(_:_:)` made (or any `--db` text).
    static func open(_ db: String) throws -> any OrbitaStore {
        try StoreFactory.open(try DatabaseLocation(parsing: db))
    }
}
