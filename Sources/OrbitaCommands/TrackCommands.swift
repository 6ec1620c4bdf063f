import ArgumentParser
import FleetTracking
import GPX
import Glibc
import OrbitaModel
import OrbitaWire
import Storage
import TerminalOutput
import TrackImport
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

/// `orbita import`: logged tracks into the database through the position pipeline.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import NMEA logs and GPX tracks into the database, through the position pipeline.",
        discussion: """
            Formats are detected from content. NMEA logs may name their devices (any identity form the decoder \
            knows); --vehicle names the vehicle of data that names none (default: the file name). Re-importing the \
            same data adds nothing. Exit status 1 when a file could not be read or a database write failed.
            """
    )

    @Argument(help: "NMEA logs and GPX files.") var files: [String]
    @OptionGroup var database: DatabaseOption
    @Option(help: "The vehicle of data that names none.") var vehicle: String?
    @Option(help: "The kind of the imported vehicles: \(VehicleKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: KindArgument?
    @Option(help: "The metric frame (e.g. EPSG:32637); default: the UTM zone of the first position.")
    var crs: String?
    @Flag(help: "No progress output.") var quiet = false
    @Option(help: "Fixes per transaction.") var batchSize = 10_000
    @OptionGroup var fenceLimits: FenceLimitOptions

    func run() throws {
        let store = try database.open()
        let importer = TrackImporter(store: store, crs: crs, batchSize: batchSize)
        importer.fenceLimits = fenceLimits.limits
        let total = files.compactMap(FileInput.size(of:)).reduce(0, +)
        importer.bytesTotal = total > 0 ? total : nil
        let progress = ProgressReporter(enabled: !quiet)
        importer.onSkippedFence = { fence in
            progress.clear()
            printError("orbita import: warning: \(fence)")
        }
        importer.onProgress = { progress.show($0) }
        var failed = false
        for file in files {
            do {
                let report = try importer.importFile(file, vehicle: vehicle, kind: kind?.kind)
                if let error = report.error {
                    progress.clear()
                    printError("orbita import: \(file): \(error)")
                    failed = true
                }
            } catch {
                progress.clear()
                throw CommandError("orbita import: \(file): \(error.description)")
            }
        }
        do {
            // Writes what is left and replays the events of vehicles that received late fixes.
            try importer.finish()
        } catch {
            progress.clear()
            throw CommandError("orbita import: \(error.description)")
        }
        progress.clear()
        printText(ImportSummaryText.render(importer))
        if failed { throw ExitCode(1) }
    }
}

/// `orbita vehicles`: list (the default) and register vehicles.
struct VehiclesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vehicles", abstract: "List or register vehicles.",
        subcommands: [VehiclesListCommand.self, VehiclesAddCommand.self], defaultSubcommand: VehiclesListCommand.self)
}

/// `orbita vehicles add`: registers a vehicle (a live server accepts only registered devices by default).
struct VehiclesAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Register a vehicle (or change its name, kind or registration).")

    @Argument(help: "The device identity the tracker sends (IMEI or ID).") var id: String
    @OptionGroup var database: DatabaseOption
    @Option(help: "A display name (default: the ID).") var name: String?
    @Option(help: "The kind: \(VehicleKind.allCases.map(\.rawValue).joined(separator: ", ")).") var kind: KindArgument?
    @Option(help: "The registration plate.") var registration: String?

    func validate() throws {
        if let problem = VehicleIdentifier.problem(id) { throw ValidationError(problem) }
    }

    func run() throws {
        let store = try database.open()
        do {
            var vehicle = try store.vehicle(id: id) ?? Vehicle(id: id)
            if let name { vehicle.name = name }
            if let kind { vehicle.kind = kind.kind }
            if let registration { vehicle.registration = registration }
            try store.save(vehicle)
            printText("registered \(vehicle.id) (\(vehicle.name), \(vehicle.kind.rawValue))")
        } catch {
            throw CommandError("orbita vehicles add: \(error)")
        }
    }
}

/// `orbita vehicles list`: every vehicle with its track summary.
struct VehiclesListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the vehicles in the database with their track summaries.")

    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try database.open()
        let summaries: [VehicleSummary]
        do {
            summaries = try store.summaries()
        } catch {
            throw CommandError("orbita vehicles: \(error)")
        }
        var rows = [["vehicle", "name", "kind", "fixes", "first", "last", "distance_km"]]
        for summary in summaries {
            rows.append([
                summary.vehicle.id, summary.vehicle.name, summary.vehicle.kind.rawValue, String(summary.fixCount),
                summary.firstTime?.iso8601 ?? "-", summary.lastTime?.iso8601 ?? "-",
                TextFormat.fixed(summary.distanceMeters / 1000, decimals: 3),
            ])
        }
        printText(TextTable.render(rows))
    }
}

/// `orbita track`: one vehicle's track as GeoJSON, GPX or CSV.
struct TrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track", abstract: "Export a vehicle's track as GeoJSON, GPX or CSV.")

    @Argument(help: "The vehicle ID.") var vehicle: String
    @OptionGroup var database: DatabaseOption
    @Option(help: "From (ISO 8601 UTC or a date).") var from: InstantArgument?
    @Option(help: "To (ISO 8601 UTC or a date).") var to: InstantArgument?
    @Option(help: "geojson, gpx or csv.") var format = FormatArgument(.geojson)

    func run() throws {
        let store = try database.open()
        do {
            guard let known = try store.vehicle(id: vehicle) else {
                throw CommandError("orbita track: no vehicle \(vehicle) in \(database.resolved); see `orbita vehicles`")
            }
            let points = try store.track(vehicleID: vehicle, from: from?.instant, to: to?.instant)
            var output = OutputBuffer()
            TrackDocument.write(points, vehicle: known, format: format.format) { piece in
                output.write(bytes: piece)
            }
            output.flush()
        } catch let error as StoreError {
            throw CommandError("orbita track: \(error)")
        }
    }
}
