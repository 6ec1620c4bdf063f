public import FleetTracking
import Foundation
import GPX
import NMEA
public import OrbitaModel
public import Reports
public import Tracking

/// Imports logged tracks (NMEA logs, plain or gzip'd, and GPX 1.0/1.1): reads the files and records their fixes
/// through the `FleetRecorder` live data goes through too.
///
/// Formats are detected from content. Fixes are processed in file order and inserted in batches (by a writer
/// thread, while decoding goes on), each batch one transaction: a kill loses at most the batch in flight, and
/// importing again completes the job (fixes already stored are counted as duplicates, never added twice). A vehicle already in the store resumes from its last fix,
/// so older data is stored as `late` and never moves its live state. A corrupt file is reported and the batch goes
/// on with the next one.
public final class TrackImporter {
    /// Why an import could not go on at all (the store or the frame failed).
    public typealias ImportError = FleetTrackingError

    private let recorder: FleetRecorder
    private var started = ContinuousClock.now
    private var bytesBefore = 0
    private var fixesDone = 0
    private var lastProgress = ContinuousClock.now
    /// Geofence and route events stored by this import (events already in the database are not counted).
    public var eventsStored: Int { recorder.eventsStored }
    /// Counts per vehicle.
    public var vehicles: [String: VehicleFixCounts] { recorder.vehicles }
    /// Committed batches whose report rows could not be written, and the last such error.
    public var reportFailures: (count: Int, last: StoreError?) { recorder.reportFailures }
    /// Totals over all vehicles: decoded, stored, duplicates, late, held, drops by reason.
    public var totals: VehicleFixCounts { recorder.totals }
    /// One report per file, in the order imported.
    public private(set) var files: [FileImportReport] = []
    /// Called about every 100 ms while importing.
    public var onProgress: ((ImportProgress) -> Void)?
    /// Total bytes of the files of this run, for progress (set by the caller when known).
    public var bytesTotal: Int?
    /// How many vertices fences may have; stored fences over them are left out (see `skippedFences`).
    public var fenceLimits: GeofenceLimits {
        get { recorder.tracker.fenceLimits }
        set { recorder.tracker.fenceLimits = newValue }
    }
    /// Stored fences not in force in the current zones (over the limits, invalid, or not projectable).
    public var skippedFences: [ZoneSet.SkippedFence] { recorder.tracker.skippedFences }
    /// Called with each fence left out whenever the zones are compiled.
    public var onSkippedFence: ((ZoneSet.SkippedFence) -> Void)? {
        get { recorder.tracker.onSkippedFence }
        set { recorder.tracker.onSkippedFence = newValue }
    }

    /// Creates an importer.
    /// - Parameters:
    ///   - store: where tracks go.
    ///   - configuration: pipeline thresholds.
    ///   - crs: the fleet's metric frame; nil picks the UTM zone of the first position.
    ///   - clock: "now" for the time stage.
    ///   - batchSize: fixes per transaction.
    ///   - events: event engine thresholds.
    public init(
        store: any FleetStore, configuration: TrackingConfiguration = TrackingConfiguration(), crs: String? = nil,
        clock: any PipelineClock = SystemClock(), batchSize: Int = 10_000,
        events: EventConfiguration = EventConfiguration(), reports: TripSettings? = TripSettings()
    ) {
        let tracker = FleetTracker(store: store, configuration: configuration, events: events, crs: crs, clock: clock)
        recorder = FleetRecorder(store: store, tracker: tracker, batchSize: batchSize, reports: reports)
    }

    /// Imports one file.
    /// - Parameters:
    ///   - path: the file (`-` for standard input, read as NMEA).
    ///   - vehicle: the vehicle for data that names none (default: the file name without its extension).
    ///   - kind: the kind to record for every vehicle of the file.
    /// - Returns: the file's report (also appended to `files`).
    /// - Throws: `ImportError` only when the import cannot go on (storage failure, bad CRS).
    @discardableResult
    public func importFile(_ path: String, vehicle: String? = nil, kind: VehicleKind? = nil) throws(ImportError)
        -> FileImportReport
    {
        let fallback = vehicle ?? Self.vehicleName(forFile: path)
        var report = FileImportReport(path: path, format: "nmea")
        let prefix: [UInt8]?
        do {
            prefix = try FileInput.prefix(of: path, count: 65_536)
        } catch {
            report.error = error.description
            files.append(report)
            return report
        }
        let gzip = prefix.map(FileInput.isGzip) ?? false
        switch prefix.map(TrackFileFormat.detect) ?? .nmea {
        case .gpx:
            report.format = "gpx"
            try importGPX(path, fallback: fallback, kind: kind, report: &report)
        case .nmea:
            report.format = gzip ? "nmea.gz" : "nmea"
            try importNMEA(path, gzip: gzip, fallback: fallback, kind: kind, report: &report)
        case .unsupported(let reason):
            report.format = "unknown"
            report.error = reason
        }
        if report.error == nil && report.fixes == 0 {
            // Nothing came of it: say so (an empty log, or one of sentences without positions) and fail the run.
            let rejects = report.rejects.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            report.error =
                "no fixes found in \(report.bytes) bytes"
                + (rejects.isEmpty ? "" : " (rejected: \(rejects.joined(separator: " ")))")
        }
        try recorder.flush(wait: true)
        bytesBefore += report.bytes
        files.append(report)
        return report
    }

    /// Writes what is still buffered and replays the events of vehicles that received late fixes (call once after the
    /// last file).
    public func finish() throws(ImportError) { try recorder.finish() }

    private func importNMEA(
        _ path: String, gzip: Bool, fallback: String, kind: VehicleKind?, report: inout FileImportReport
    ) throws(ImportError) {
        let decoder = NMEADecoder(device: nil)
        var failure: ImportError?
        var bytes = 0
        var fixes = 0
        let source = "import:\(path)"
        let handle: (Fix) -> Void = { [unowned self] fix in
            guard failure == nil else { return }
            fixes += 1
            do throws(ImportError) {
                try self.process(fix, vehicleID: fix.device ?? fallback, kind: kind, source: source)
            } catch {
                failure = error
            }
        }
        do {
            try FileInput.forEachDecodedChunk(of: path, gzip: gzip) { chunk in
                bytes += chunk.count
                decoder.decode(chunk, emit: handle)
                self.reportProgress(bytes: bytes, file: path)
            }
        } catch {
            report.error = error.description
        }
        decoder.finish(emit: handle)
        if let failure { throw failure }
        report.bytes = bytes
        report.fixes = fixes
        report.rejects = decoder.statistics.rejects
    }

    private func importGPX(_ path: String, fallback: String, kind: VehicleKind?, report: inout FileImportReport)
        throws(ImportError)
    {
        // Streamed: each point goes through the pipeline as it is read (a 198 MB file took 1.57 GB in memory).
        let source = "import:\(path)"
        var failure: ImportError?
        var count = 0
        // Only files get here: standard input cannot be read twice, so it is never detected as GPX.
        let result = GPXReader().read(contentsOfFile: path) { [unowned self] fix in
            guard failure == nil else { return }
            count += 1
            do throws(ImportError) { try self.process(fix, vehicleID: fallback, kind: kind, source: source) } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        report.bytes = FileInput.size(of: path) ?? 0
        if result.badPoints > 0 { report.rejects["bad_point"] = result.badPoints }
        if let error = result.error { report.error = "line \(error.line): \(error.message)" }
        report.fixes = count
        reportProgress(bytes: report.bytes, file: path)
    }

    private func process(_ fix: Fix, vehicleID: String, kind: VehicleKind?, source: String) throws(ImportError) {
        fixesDone += 1
        try recorder.record(fix, vehicleID: vehicleID, kind: kind, source: source)
    }

    private func reportProgress(bytes: Int, file: String) {
        guard let onProgress else { return }
        let now = ContinuousClock.now
        guard now - lastProgress >= .milliseconds(100) else { return }
        lastProgress = now
        let elapsed = now - started
        onProgress(
            ImportProgress(
                bytesDone: bytesBefore + bytes, bytesTotal: bytesTotal, fixes: fixesDone,
                elapsedSeconds: elapsed.secondsValue,
                file: file))
    }

    /// The vehicle ID for a file that names none: its name without folders and extension (`stdin` for `-`).
    public static func vehicleName(forFile path: String) -> String {
        if path == "-" { return "stdin" }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}
