import ArgumentParser
import FleetTracking
import OrbitaModel
import TerminalOutput
import TrackImport

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
        let reports = importer.reportFailures
        if reports.count > 0 {
            // The fixes are stored; the report rows of some vehicles are not: a rebuild derives them from the tracks.
            printError(
                "orbita import: report rows of \(reports.count) batches not written (\(reports.last?.description ?? "")); "
                    + "run `orbita report rebuild`")
            throw ExitCode(1)
        }
        if failed { throw ExitCode(1) }
    }
}
