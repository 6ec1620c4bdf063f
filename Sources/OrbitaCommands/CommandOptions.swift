import ArgumentParser
import Glibc
import OrbitaModel
import OrbitaWire
import StoreFactory
import Tracking

/// `--db`, shared by the commands that use the database.
/// `--max-fence-vertices` and `--max-total-fence-vertices`: the geofence vertex budgets.
struct FenceLimitOptions: ParsableArguments {
    @Option(help: "Vertices one geofence may have at most (default \(GeofenceLimits.defaultVerticesPerFence)).")
    var maxFenceVertices: Int?
    @Option(help: "Vertices all geofences may have together (default \(GeofenceLimits.defaultTotalVertices)).")
    var maxTotalFenceVertices: Int?

    /// Overrides what was given.
    func apply(to limits: inout GeofenceLimits) {
        if let maxFenceVertices { limits.maximumVerticesPerFence = max(1, maxFenceVertices) }
        if let maxTotalFenceVertices { limits.maximumTotalVertices = max(1, maxTotalFenceVertices) }
    }

    /// The defaults with what was given.
    var limits: GeofenceLimits {
        var limits = GeofenceLimits()
        apply(to: &limits)
        return limits
    }
}

struct DatabaseOption: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: """
            The database: a SQLite file, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (default: $ORBITA_DB, \
            or ./orbita.sqlite).
            """)
    var path: String?

    /// The text given (or the default).
    var text: String {
        if let path { return path }
        if let value = getenv("ORBITA_DB") { return String(cString: value) }
        return "./orbita.sqlite"
    }

    /// Where the store is; a malformed URL is a usage error.
    func location() throws -> DatabaseLocation {
        do {
            return try DatabaseLocation(parsing: text)
        } catch {
            throw CommandError("orbita: --db \(error.description)", exitCode: 2)
        }
    }

    /// For messages: the path, or the URL without its password.
    var resolved: String { (try? DatabaseLocation(parsing: text).description) ?? text }

    func open() throws -> any OrbitaStore {
        let location = try location()
        do {
            return try StoreFactory.open(location)
        } catch {
            throw CommandError("orbita: \(location): \(error); check the database or choose another with --db")
        }
    }
}

/// A vehicle kind on the command line.
struct KindArgument: ExpressibleByArgument {
    let kind: VehicleKind
    init?(argument: String) {
        guard let kind = VehicleKind(rawValue: argument) else { return nil }
        self.kind = kind
    }
}

/// An export format on the command line.
struct FormatArgument: ExpressibleByArgument {
    let format: TrackDocument.Format
    init(_ format: TrackDocument.Format) { self.format = format }
    init?(argument: String) {
        guard let format = TrackDocument.Format(rawValue: argument) else { return nil }
        self.format = format
    }
}

/// A UTC instant given on the command line: ISO 8601 (`2024-06-09T08:00:00Z`) or a date (`2024-06-09`).
struct InstantArgument: ExpressibleByArgument {
    let instant: UTCInstant

    init?(argument: String) {
        if let instant = ISO8601Argument.parse(argument) {
            self.instant = instant
        } else {
            return nil
        }
    }
}

enum ISO8601Argument {
    static func parse(_ text: String) -> UTCInstant? {
        if text.count == 10, let instant = ISO8601.parse(text + "T00:00:00Z") { return instant }
        return ISO8601.parse(text)
    }
}

/// A number of days (at least 1), or `off`.
struct DaysArgument: ExpressibleByArgument {
    let days: Int?
    init?(argument: String) {
        if argument == "off" {
            days = nil
            return
        }
        guard let days = Int(argument), days >= 1 else { return nil }
        self.days = days
    }
    static var defaultCompletionKind: CompletionKind { .list(["off"]) }
}
