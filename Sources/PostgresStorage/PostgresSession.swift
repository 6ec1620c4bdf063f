import Foundation
import Logging
import NIOCore
import NIOPosix
import OrbitaModel
import PostgresNIO
import Synchronization

/// Where a PostgreSQL store connects: server, user, password (never logged), database.
public struct PostgresEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// Host name or address.
    public var host: String
    /// Port.
    public var port: Int
    /// User.
    public var user: String
    /// Password, if any.
    public var password: String?
    /// Database.
    public var database: String
    /// How long a statement waits for a lock another client holds before `StoreError.locked` (`lock_timeout`).
    public var lockTimeoutSeconds: Double

    /// Creates an endpoint.
    public init(
        host: String, port: Int = 5432, user: String, password: String? = nil, database: String,
        lockTimeoutSeconds: Double = 5
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.lockTimeoutSeconds = lockTimeoutSeconds
    }

    /// `postgres://user@host:port/database`, without the password.
    public var description: String { "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)" }
}

/// One connection to PostgreSQL used synchronously: every call waits for postgres-nio's future on the calling
/// thread. The store protocols are synchronous and their callers run off the event loops (the writer and processor
/// threads, NIO's blocking pool for the API, the CLI), so a call blocks its own thread and never an event loop.
final class PostgresSession: @unchecked Sendable {
    // @unchecked: used by one thread at a time, as the store protocols require of an instance.
    let connection: PostgresConnection
    let logger: Logger
    let endpoint: PostgresEndpoint

    /// Connects (a new connection of its own).
    init(_ endpoint: PostgresEndpoint, logger: Logger = Logger(label: "orbita.postgres")) throws(StoreError) {
        self.endpoint = endpoint
        var logger = logger
        logger.logLevel = .critical  // postgres-nio's own messages; our errors carry what went wrong
        self.logger = logger
        let configuration = PostgresConnection.Configuration(
            host: endpoint.host, port: endpoint.port, username: endpoint.user, password: endpoint.password,
            database: endpoint.database, tls: .disable)
        do {
            connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                id: Self.nextID(), logger: logger
            ).wait()
        } catch {
            throw Self.storeError(error, endpoint: endpoint)
        }
        try execute("SET lock_timeout = '\(max(1, Int(endpoint.lockTimeoutSeconds * 1000)))ms'")
    }

    deinit {
        try? connection.close().wait()
    }

    private static let counter = Atomic<Int>(0)
    private static func nextID() -> Int { counter.add(1, ordering: .relaxed).newValue }

    /// Runs one statement and collects its rows.
    @discardableResult
    func query(_ query: PostgresQuery) throws(StoreError) -> PostgresQueryResult {
        do {
            return try connection.query(query, logger: logger).wait()
        } catch {
            throw Self.storeError(error, endpoint: endpoint)
        }
    }

    /// Runs one statement without parameters.
    func execute(_ sql: String) throws(StoreError) {
        try query(PostgresQuery(unsafeSQL: sql))
    }

    /// Runs statements without parameters, one by one: each ends with a semicolon at the end of a line (postgres-nio
    /// sends one statement a message; a function body's semicolons stand mid-line).
    func executeScript(_ script: String) throws(StoreError) {
        for statement in script.components(separatedBy: ";\n") {
            let trimmed = statement.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { try execute(trimmed.hasSuffix(";") ? String(trimmed.dropLast()) : trimmed) }
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// A PostgreSQL error as the store protocols' error: constraint, full disk, lock, a server that cannot be
    /// reached or is not an Orbita database.
    static func storeError(_ error: any Error, endpoint: PostgresEndpoint) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? PSQLError else {
            return .io("\(endpoint): \(String(describing: error))")
        }
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        let detail = "\(endpoint): \(state.isEmpty ? "" : state + " ")\(message)"
        switch error.code {
        case .server:
            if state.hasPrefix("23") { return .constraint(detail) }
            if state == "53100" { return .diskFull(detail) }
            if state == "55P03" || state == "40P01" || state == "57014" { return .locked(detail) }
            if state == "42P01" || state == "42703" { return .corrupt(detail + " (not Orbita's schema?)") }
            return .io(detail)
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            return .io(
                "\(endpoint): the database server cannot be reached (\(error.underlying.map { "\($0)" } ?? "\(error.code)"))"
            )
        default:
            return .io(detail)
        }
    }
}
