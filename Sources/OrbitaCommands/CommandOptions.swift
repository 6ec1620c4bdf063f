import ArgumentParser
import Glibc
import OrbitaModel
import OrbitaWire
import Storage
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
    @Option(name: .customLong("db"), help: "The SQLite database (default: $ORBITA_DB, or ./orbita.sqlite).")
    var path: String?

    var resolved: String {
        if let path { return path }
        if let value = getenv("ORBITA_DB") { return String(cString: value) }
        return "./orbita.sqlite"
    }

    func open() throws -> SQLiteTrackStore {
        do {
            return try SQLiteTrackStore(path: resolved)
        } catch {
            throw CommandError("orbita: \(resolved): \(error); check the path or choose another with --db")
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
