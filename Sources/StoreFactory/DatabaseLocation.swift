import Foundation

/// Where a store lives, as `--db`, `ORBITA_DB` and the config file's `database` name it: a SQLite file's path, or
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (also `postgresql://`).
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite database file.
    case sqlite(path: String)
    /// A PostgreSQL database.
    case postgres(PostgresAddress)

    /// Why a location was refused.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        /// What is wrong.
        public let description: String
    }

    /// Parses a location: a `postgres://` or `postgresql://` URL, anything else a SQLite path.
    public init(parsing text: String) throws(Problem) {
        let lowered = text.lowercased()
        guard lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") else {
            guard !text.isEmpty else { throw Problem(description: "an empty database path") }
            self = .sqlite(path: text)
            return
        }
        self = .postgres(try PostgresAddress(parsing: text))
    }

    /// For logs and messages: the path, or the URL with its password masked.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let address): address.description
        }
    }
}

/// A PostgreSQL server, database and user.
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    /// The host name or address.
    public var host: String
    /// The port (5432 unless given).
    public var port: Int
    /// The user.
    public var user: String
    /// The password, if any (never printed).
    public var password: String?
    /// The database.
    public var database: String

    /// Creates an address.
    public init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`; user, password and database may be percent-encoded.
    public init(parsing text: String) throws(DatabaseLocation.Problem) {
        let masked = Self.mask(text)
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw .init(description: "\(masked): not postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        guard let user = components.user, !user.isEmpty else {
            throw .init(description: "\(masked): no user (postgres://USER@HOST/DATABASE)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw .init(description: "\(masked): no database name (postgres://USER@HOST/DATABASE)")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw .init(description: "\(masked): port \(port) out of range")
        }
        self.init(
            host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: components.port ?? 5432,
            user: components.percentEncodedUser?.removingPercentEncoding ?? user,
            password: components.percentEncodedPassword?.removingPercentEncoding,
            database: database.removingPercentEncoding ?? database)
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        let credentials = password == nil ? user : "\(user):***"
        let server = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(credentials)@\(server):\(port)/\(database)"
    }

    /// A URL's text with any password replaced by `***` (for errors about text that did not parse).
    static func mask(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].lastIndex(of: "@") else {
            return text
        }
        let credentials = text[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
