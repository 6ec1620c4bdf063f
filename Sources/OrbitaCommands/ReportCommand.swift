import ArgumentParser
import Foundation
import Geodesy
import OrbitaModel
import OrbitaWire
import Reports
import TerminalOutput
import Tracking

/// `orbita report`: the reports operators read every morning, from the report rows kept up to date as fixes are
/// stored.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Trips, stops and parkings, geofence visits, mileage per day and a summary, per vehicle.",
        discussion: """
            Read from report rows kept up to date as fixes are stored (live or imported, in order or not): the same \
            answer for any window. Times are ISO 8601 UTC; a bare date (2024-06-01) is that day in --tz. The window \
            defaults to today in --tz.
            """,
        subcommands: [
            TripsReport.self, StopsReport.self, VisitsReport.self, MileageReport.self, RoutesReport.self,
            SummaryReport.self, RebuildReport.self,
        ])
}

/// The options every report takes.
struct ReportOptions: ParsableArguments {
    @OptionGroup var database: DatabaseOption
    @Option(name: .customLong("vehicle"), help: "Only this vehicle; repeatable (default: every vehicle).")
    var vehicles: [String] = []
    @Option(help: "From: ISO 8601 UTC, or a date (its start in --tz).") var from: String?
    @Option(help: "To: ISO 8601 UTC, or a date (its end in --tz).") var to: String?
    @Option(help: "The time zone of days (an IANA name such as Europe/Moscow; default UTC).") var tz: String?
    @Option(help: "table, csv (RFC 4180, with a header), json (one object a line) or geojson (trips, stops).")
    var format = ReportFormat.table

    /// The store, the service over it and the window, or a clear error.
    func prepare(_ report: String) throws -> (any OrbitaStore, ReportService, ReportWindow) {
        let window: ReportWindow
        do {
            window = try ReportService.window(from: from, to: to, timeZone: tz)
        } catch {
            throw CommandError("orbita report \(report): \(error)", exitCode: 2)
        }
        let store = try database.open()
        return (store, ReportService(store: store), window)
    }

    /// Writes rows in the chosen format; an empty report says so on standard error (and in a table).
    func write<Row: ReportRow>(_ rows: [Row], report: String, window: ReportWindow, geoJSON: (() -> String)? = nil)
        throws
    {
        var output = OutputBuffer()
        let note = Wire.Report<Row>.emptyNote(report, from: window.from, to: window.to, vehicles: vehicles)
        switch format {
        case .json:
            output.write(ReportText.jsonLines(rows))
        case .csv:
            output.write(ReportText.csv(rows))
        case .geojson:
            guard let geoJSON else {
                throw CommandError("orbita report \(report): --format geojson is for trips and stops", exitCode: 2)
            }
            output.write(geoJSON())
        case .table:
            if rows.isEmpty {
                output.write(note + "\n")
            } else {
                output.write(TextTable.render([Row.columns] + rows.map { $0.cells.map(TerminalText.cell) }) + "\n")
            }
        }
        output.flush()
        if rows.isEmpty && format != .table {
            FileHandle.standardError.write(Data("orbita report \(report): \(note)\n".utf8))
        }
    }

    /// A report error as the command's.
    func failure(_ report: String, _ error: ReportError) -> CommandError {
        if case .store = error { return CommandError("orbita report \(report): \(error)") }
        return CommandError("orbita report \(report): \(error)", exitCode: 2)
    }
}

/// `orbita report --format`.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json, geojson
}

/// `orbita report trips`.
struct TripsReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trips", abstract: "Trips (parking to parking) overlapping the window, whole.")
    @OptionGroup var options: ReportOptions

    func run() throws {
        let (_, service, window) = try options.prepare("trips")
        let trips: [Trip]
        do { trips = try service.trips(vehicles: options.vehicles, window: window) } catch {
            throw options.failure("trips", error)
        }
        let rows = trips.map(Wire.TripRow.init)
        var lines: [[Coordinate]] = []
        if options.format == .geojson {
            do { lines = try service.lines(of: trips) } catch { throw options.failure("trips", error) }
        }
        try options.write(rows, report: "trips", window: window) {
            ReportGeoJSON.lines(zip(rows, lines).map { ($0, $1) })
        }
    }
}

/// `orbita report stops`.
struct StopsReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stops", abstract: "Stops (the trip went on) and parkings (it ended), with their geofences.")
    @OptionGroup var options: ReportOptions
    @Option(help: "Only stops or only parkings.") var kind: HaltKindArgument?

    func run() throws {
        let (_, service, window) = try options.prepare("stops")
        let halts: [HaltReport]
        do { halts = try service.stops(vehicles: options.vehicles, kind: kind?.kind, window: window) } catch {
            throw options.failure("stops", error)
        }
        let rows = halts.map { Wire.StopRow($0.halt, geofences: $0.geofences) }
        try options.write(rows, report: kind.map { "\($0.kind.rawValue)s" } ?? "stops", window: window) {
            ReportGeoJSON.points(rows)
        }
    }
}

/// `orbita report visits`.
struct VisitsReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "visits", abstract: "Geofence visits (enter to exit) clipped to the window, open ones flagged.")
    @OptionGroup var options: ReportOptions

    func run() throws {
        let (_, service, window) = try options.prepare("visits")
        let visits: [GeofenceVisit]
        do { visits = try service.visits(vehicles: options.vehicles, window: window) } catch {
            throw options.failure("visits", error)
        }
        try options.write(visits.map(Wire.VisitRow.init), report: "visits", window: window)
    }
}

/// `orbita report mileage`.
struct MileageReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mileage", abstract: "Distance driven per vehicle and calendar day of --tz.")
    @OptionGroup var options: ReportOptions

    func run() throws {
        let (_, service, window) = try options.prepare("mileage")
        let days: [DayMileage]
        do { days = try service.mileage(vehicles: options.vehicles, window: window) } catch {
            throw options.failure("mileage", error)
        }
        let rows = days.map { Wire.MileageRow(vehicle: $0.vehicleID, day: $0.day, distanceM: $0.meters) }
        try options.write(rows, report: "mileage", window: window)
    }
}

/// `orbita report routes`.
struct RoutesReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "Trips judged against their route assignments: share on route, deviations, checkpoints.")
    @OptionGroup var options: ReportOptions

    func run() throws {
        let (_, service, window) = try options.prepare("route trips")
        let trips: [RouteTripReport]
        do { trips = try service.routeTrips(vehicles: options.vehicles, window: window) } catch {
            throw options.failure("routes", error)
        }
        try options.write(trips.map(Wire.RouteTripRow.init), report: "route trips", window: window)
    }
}

/// `orbita report summary`.
struct SummaryReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Per vehicle and for the fleet: distance, driving, stopped and parked time, trips, speeds, visits.")
    @OptionGroup var options: ReportOptions

    func run() throws {
        let (_, service, window) = try options.prepare("summary")
        let summary: (vehicles: [ReportSummary], fleet: ReportSummary)
        do { summary = try service.summary(vehicles: options.vehicles, window: window) } catch {
            throw options.failure("summary", error)
        }
        try options.write(Wire.SummaryRow.rows(summary), report: "summary", window: window)
    }
}

/// `orbita report rebuild`: derives every vehicle's rows again from its stored track.
struct RebuildReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Derive report rows again from the stored tracks (a database from before reports, new thresholds).")
    @OptionGroup var database: DatabaseOption
    @Option(name: .customLong("vehicle"), help: "Only this vehicle; repeatable (default: every vehicle).")
    var vehicles: [String] = []
    @Option(help: "The fleet's metric frame, as given to `orbita serve --crs` (default: the UTM zone of the fleet).")
    var crs: String?

    func run() throws {
        let store = try database.open()
        for id in vehicles where (try? store.vehicle(id: id)) == nil {
            throw CommandError("orbita report rebuild: no vehicle \"\(id)\" is registered", exitCode: 2)
        }
        let started = ContinuousClock.now
        let result: ReportRebuild.Result
        do {
            // A connection per core: vehicles are derived in parallel.
            let more = try (1..<max(1, ProcessInfo.processInfo.activeProcessorCount)).map { _ in
                try database.open()
            }
            result = try ReportRebuild.run(store: store, more: more, vehicles: vehicles, crs: crs)
        } catch {
            throw CommandError("orbita report rebuild: \(error)")
        }
        let seconds = started.duration(to: .now).secondsValue
        print(
            "rebuilt the report rows of \(result.vehicles) vehicles from \(result.fixes) fixes in "
                + "\(TextFormat.fixed(seconds, decimals: 2)) s (\(result.crs)): \(result.trips) trips, "
                + "\(result.halts) stops and parkings")
    }
}

/// `--kind stop|parking`.
struct HaltKindArgument: ExpressibleByArgument {
    let kind: Halt.Kind
    init?(argument: String) {
        guard let kind = Halt.Kind(rawValue: argument) else { return nil }
        self.kind = kind
    }
    static var allValueStrings: [String] { Halt.Kind.allCases.map(\.rawValue) }
}
