import Foundation

/// The throwaway PostgreSQL server `make test` starts (`scripts/with-postgres.sh`), for tests of the PostgreSQL
/// backend: `ORBITA_TEST_POSTGRES` is its admin URL. Each test makes a database of its own with `createDatabase`.
/// Without the variable (`swift test` run directly) those tests skip with `skipReason`.
public enum PostgresTestServer {
    /// The admin URL (`postgres://orbita@127.0.0.1:PORT/postgres`), nil when no test server runs.
    public static let url: String? = ProcessInfo.processInfo.environment["ORBITA_TEST_POSTGRES"]

    /// Whether a test server runs.
    public static var isAvailable: Bool { url != nil }

    /// Why PostgreSQL tests skip.
    public static let skipReason =
        "ORBITA_TEST_POSTGRES unset: no test PostgreSQL (make test starts one with scripts/with-postgres.sh)"

    /// A new, empty database; returns its URL.
    public static func createDatabase(_ prefix: String = "orbita_test") throws -> String {
        guard let url else { throw Failure(description: "no test PostgreSQL (ORBITA_TEST_POSTGRES)") }
        let name = prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try psql(url, "CREATE DATABASE \(name)")
        return url.replacingOccurrences(of: "/postgres", with: "/" + name, options: [.backwards, .anchored])
    }

    /// Runs SQL through `psql` against `url`; returns its standard output.
    @discardableResult
    public static func psql(_ url: String, _ sql: String) throws -> String {
        let result = try ProgramRun.run("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        guard result.status == 0 else { throw Failure(description: "psql: \(result.stderr)") }
        return result.stdout
    }

    /// A psql failure.
    public struct Failure: Error, CustomStringConvertible {
        /// What psql said.
        public let description: String
    }
}
