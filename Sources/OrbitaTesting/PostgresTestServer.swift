import Foundation
import Glibc
import Synchronization

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

/// A PostgreSQL server of a test's own (the shared one must not be stopped under other tests): initdb in a temporary
/// folder, on a free port, which the test can stop and start again to play a database that goes away.
public final class PrivatePostgresServer: @unchecked Sendable {
    // @unchecked: used by one test.
    /// The admin URL (database `postgres`).
    public let url: String
    private let folder: String
    private let port: Int
    private let bin: String
    private let asPostgres: [String]

    /// Initialises and starts a server; throws when the PostgreSQL binaries are missing.
    public init() throws {
        bin = ProcessInfo.processInfo.environment["ORBITA_TEST_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin"
        // Under the shared server's folder when there is one: scripts/with-postgres.sh then stops it even when the
        // test process dies before its deinit.
        let parent = ProcessInfo.processInfo.environment["ORBITA_TEST_POSTGRES_DIR"] ?? NSTemporaryDirectory()
        folder = parent + "/private-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        asPostgres = getuid() == 0 ? ["runuser", "-u", "postgres", "--"] : []
        if getuid() == 0 { _ = try ProgramRun.run("chown", ["postgres", folder]) }
        port = Self.reservePort()
        url = "postgres://orbita@127.0.0.1:\(port)/postgres"
        let initdb = try ProgramRun.run(
            asPostgres.first ?? bin + "/initdb",
            Array(asPostgres.dropFirst()) + (asPostgres.isEmpty ? [] : [bin + "/initdb"]) + [
                "-D", folder + "/data", "-A", "trust", "-U", "orbita", "--no-sync",
            ])
        guard initdb.status == 0 else { throw PostgresTestServer.Failure(description: "initdb: \(initdb.stderr)") }
        try start()
    }

    deinit {
        _ = try? control(["-m", "immediate", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Starts the server (again), waiting until it accepts connections.
    public func start() throws {
        let result = try control([
            "-l", folder + "/log", "-w", "-t", "60", "-o",
            "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off", "start",
        ])
        guard result.status == 0 else {
            let log = (try? String(contentsOfFile: folder + "/log", encoding: .utf8)) ?? "(no server log)"
            throw PostgresTestServer.Failure(
                description: "pg_ctl start on port \(port) exited \(result.status); server log: \(log.suffix(1_500))")
        }
    }

    /// Stops the server: `fast` (clients are disconnected, as in a restart) or `immediate` (as in a crash).
    public func stop(mode: String = "fast") throws {
        let result = try control(["-m", mode, "-w", "stop"])
        guard result.status == 0 else { throw PostgresTestServer.Failure(description: "pg_ctl stop failed") }
    }

    private func control(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try ProgramRun.run(
            asPostgres.first ?? bin + "/pg_ctl",
            Array(asPostgres.dropFirst()) + (asPostgres.isEmpty ? [] : [bin + "/pg_ctl"]) + ["-D", folder + "/data"]
                + arguments, capturing: false)
    }

    /// Ports handed to private servers of this process. A stopped server's port looks free to a probe, so without
    /// this a second test's server could take it while the first is down and the first could not start again.
    private static let reserved = Mutex<Set<Int>>([])

    private static func reservePort() -> Int {
        reserved.withLock { reserved in
            var port = 56_432
            while reserved.contains(port) || inUse(port) { port += 1 }
            reserved.insert(port)
            return port
        }
    }

    private static func inUse(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}
