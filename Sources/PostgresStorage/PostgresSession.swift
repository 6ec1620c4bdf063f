import Dispatch
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
    /// How long a call waits for the server's answer before the connection is closed and the call fails (nil: as long
    /// as TCP keeps the connection). A cluster node bounds it, so that a cut network fails its calls instead of
    /// hanging them; the server then ends a transaction left idle that long (`idle_in_transaction_session_timeout`).
    public var callTimeoutSeconds: Double?

    /// Creates an endpoint.
    public init(
        host: String, port: Int = 5432, user: String, password: String? = nil, database: String,
        lockTimeoutSeconds: Double = 5, callTimeoutSeconds: Double? = nil
    ) {
        self.callTimeoutSeconds = callTimeoutSeconds
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
    /// The connection; replaced when the server went away (a restart, a cut network) and a later call reconnects.
    private var connection: PostgresConnection?
    let logger: Logger
    let endpoint: PostgresEndpoint

    /// Connects (a new connection of its own).
    init(_ endpoint: PostgresEndpoint, logger: Logger = Logger(label: "orbita.postgres")) throws(StoreError) {
        self.endpoint = endpoint
        var logger = logger
        logger.logLevel = .critical  // postgres-nio's own messages; our errors carry what went wrong
        self.logger = logger
        connection = try connect()
    }

    deinit {
        try? connection?.close().wait()
    }

    /// How postgres-nio connects to `endpoint` (no TLS; the call timeout, if any, bounds connecting too).
    static func configuration(_ endpoint: PostgresEndpoint) -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: endpoint.host, port: endpoint.port, username: endpoint.user, password: endpoint.password,
            database: endpoint.database, tls: .disable)
        if let timeout = endpoint.callTimeoutSeconds {
            configuration.options.connectTimeout = .milliseconds(Int64(timeout * 1000))
        }
        return configuration
    }

    private func connect() throws(StoreError) -> PostgresConnection {
        let configurationWithTimeout = Self.configuration(endpoint)
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configurationWithTimeout,
                id: Self.nextID(), logger: logger
            ).wait()
        } catch {
            throw Self.storeError(error, endpoint: endpoint)
        }
        var settings = "SET lock_timeout = '\(max(1, Int(endpoint.lockTimeoutSeconds * 1000)))ms'"
        if let timeout = endpoint.callTimeoutSeconds {
            settings += "; SET idle_in_transaction_session_timeout = '\(max(1, Int(timeout * 1000)))ms'"
        }
        for statement in settings.split(separator: ";") {
            do {
                _ = try answer(
                    connection.query(PostgresQuery(unsafeSQL: String(statement)), logger: logger), connection)
            } catch {
                try? connection.close().wait()
                throw Self.storeError(error, endpoint: endpoint)
            }
        }
        return connection
    }

    /// Waits for `future`, at most `callTimeoutSeconds`: then the connection is closed (which fails the call).
    private func answer<T: Sendable>(_ future: EventLoopFuture<T>, _ connection: PostgresConnection) throws -> T {
        guard let timeout = endpoint.callTimeoutSeconds else { return try future.wait() }
        let done = DispatchSemaphore(value: 0)
        future.whenComplete { _ in done.signal() }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            connection.close().whenComplete { _ in }
            throw CallTimedOut(seconds: timeout)
        }
        return try future.wait()
    }

    /// The server did not answer within `callTimeoutSeconds` (the connection was closed).
    struct CallTimedOut: Error, CustomStringConvertible {
        let seconds: Double
        var description: String { "no answer from the server within \(seconds) s; connection closed" }
    }

    /// Whether a transaction is open on `connection` (a lost connection then fails the transaction; it is never
    /// continued on a new one).
    private var inTransaction = false

    /// The open connection: the one there is, or a new one when it was lost (one attempt; its error is thrown).
    private func live() throws(StoreError) -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        if inTransaction {
            throw .io("\(endpoint): the connection was lost during a transaction; nothing of it is kept")
        }
        if let connection { try? connection.close().wait() }
        connection = nil
        let fresh = try connect()
        connection = fresh
        return fresh
    }

    private static let counter = Atomic<Int>(0)
    static func nextID() -> Int { counter.add(1, ordering: .relaxed).newValue }

    /// Runs one statement and collects its rows.
    @discardableResult
    func query(_ query: PostgresQuery) throws(StoreError) -> PostgresQueryResult {
        let connection = try live()
        do {
            return try answer(connection.query(query, logger: logger), connection)
        } catch {
            let failure = Self.storeError(error, endpoint: endpoint)
            if Self.isConnectionLost(error) {
                // Reconnect at the next call; a transaction in progress is lost with the connection.
                try? connection.close().wait()
                self.connection = nil
            }
            throw failure
        }
    }

    /// `COPY table (columns) FROM STDIN` with `text` (PostgreSQL's text format: tab-separated, `\N` for NULL),
    /// waiting for it.
    func copy(_ text: ByteBuffer, into table: String, columns: [String]) throws(StoreError) {
        let connection = try live()
        let logger = logger
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        // On a queue of its own, not the cooperative pool: the caller may be a test or task blocking a pool thread
        // (the store protocols are synchronous), and with every pool thread waiting the copy would never run.
        Task(executorPreference: Self.copyExecutor) {
            do {
                try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
                    try await writer.write(text)
                }
            } catch {
                failure.withLock { $0 = error }
            }
            done.signal()
        }
        if let timeout = endpoint.callTimeoutSeconds, done.wait(timeout: .now() + timeout) == .timedOut {
            connection.close().whenComplete { _ in }
            done.wait()
            self.connection = nil
            throw Self.storeError(CallTimedOut(seconds: timeout), endpoint: endpoint)
        }
        if endpoint.callTimeoutSeconds == nil { done.wait() }
        if let error = failure.withLock({ $0 }) {
            if Self.isConnectionLost(error) {
                try? connection.close().wait()
                self.connection = nil
            }
            throw Self.storeError(error, endpoint: endpoint)
        }
    }

    /// Where `copy` runs its task.
    private static let copyExecutor = QueueTaskExecutor(label: "orbita.postgres.copy")

    /// Whether an error means the connection is gone (rather than a statement failing on a live one).
    static func isConnectionLost(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return true }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown: return true
        case .server:
            // admin_shutdown, crash_shutdown, cannot_connect_now: the server is going away.
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("57P") || state.hasPrefix("08")
        default: return false
        }
    }

    /// Runs one statement without parameters.
    func execute(_ sql: String) throws(StoreError) {
        try query(PostgresQuery(unsafeSQL: sql))
    }

    /// Runs statements without parameters, one by one (postgres-nio sends one statement a message): each ends with a
    /// semicolon at the end of a line, outside `$$ … $$` function bodies.
    func executeScript(_ script: String) throws(StoreError) {
        for statement in Self.statements(script) { try execute(statement) }
    }

    /// A script's statements, without their semicolons.
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quoted = false
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            quoted = line.components(separatedBy: "$$").count % 2 == 0 ? !quoted : quoted
            current += line + "\n"
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !quoted && trimmed.hasSuffix(";") {
                statements.append(String(current.trimmingCharacters(in: .whitespacesAndNewlines).dropLast()))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN")
        inTransaction = true
        do {
            let result = try body()
            try execute("COMMIT")
            inTransaction = false
            return result
        } catch {
            if connection != nil { try? execute("ROLLBACK") }
            inTransaction = false
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

/// A task executor on a serial dispatch queue of its own (a thread outside Swift's cooperative pool).
final class QueueTaskExecutor: TaskExecutor {
    private let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: label) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
