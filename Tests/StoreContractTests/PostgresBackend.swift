import Foundation
import OrbitaModel
import OrbitaTesting
import PostgresNIO
import StoreFactory

@testable import PostgresStorage

extension StoreBackend {
    /// PostgreSQL, a database of its own per test on the throwaway server `make test` starts; nil without one
    /// (`swift test` run directly: the contract then runs on SQLite alone).
    static let postgres: StoreBackend? =
        PostgresTestServer.isAvailable
        ? StoreBackend(
            name: "PostgreSQL",
            makeDatabase: {
                let url = try PostgresTestServer.createDatabase("contract")
                let location = try DatabaseLocation(parsing: url)
                return TestDatabase(location: url) {
                    try StoreFactory.open(location, options: .init(busyTimeoutSeconds: 0.2))
                }
            },
            holdingWriteLock: { database, body in
                // Another client in a transaction that holds the fix and vehicle tables exclusively (reads go on).
                guard case .postgres(let address) = try DatabaseLocation(parsing: database.location) else { return }
                let other = try PostgresSession(
                    PostgresEndpoint(
                        host: address.host, port: address.port, user: address.user, database: address.database))
                try other.execute("BEGIN")
                try other.execute("LOCK TABLE fixes, vehicles IN EXCLUSIVE MODE")
                defer { try? other.execute("ROLLBACK") }
                try body()
            },
            openDamaged: {
                // Another program's database: a table named as ours, without our schema record.
                let url = try PostgresTestServer.createDatabase("damaged")
                try PostgresTestServer.psql(url, "CREATE TABLE vehicles (x integer)")
                return try StoreFactory.open(try DatabaseLocation(parsing: url))
            })
        : nil
}
