import Foundation
import GPX
public import Geodesy
import NMEA
public import OrbitaModel
public import Tracking

/// Imports logged tracks (NMEA logs, GPX 1.0/1.1) through the same position pipeline live data uses, into a store.
///
/// Formats are detected from content. Fixes are processed in file order and inserted in batches (by a writer
/// thread, while decoding goes on), each batch one transaction: a kill loses at most the batch in flight, and importing again completes the job (fixes already
/// stored are counted as duplicates, never added twice). A vehicle already in the store resumes from its last fix,
/// so older data is stored as `late` and never moves its live state. A corrupt file is reported and the batch goes
/// on with the next one.
public final class TrackImporter {
    /// Why an import could not go on at all.
    public enum ImportError: Error, CustomStringConvertible {
        /// The store refused a batch (full disk, corrupt or locked database).
        case store(StoreError)
        /// The fleet's frame could not be built (unknown CRS).
        case frame(ProjError)

        /// One line for the CLI.
        public var description: String {
            switch self {
            case .store(let error): error.description
            case .frame(let error): "cannot build the local frame: \(error)"
            }
        }
    }

    private let store: any TrackStore
    private let configuration: TrackingConfiguration
    private let crs: String?
    private let clock: any PipelineClock
    private let batchSize: Int
    private var pipeline: PositionPipeline?
    private var batch: [TrackPoint] = []
    private var batchEvents: [VehicleEvent] = []
    private let writer: BatchWriter
    private let eventConfiguration: EventConfiguration
    /// Geofence and route events, built with the pipeline from the zones in the store (nil: the store has none).
    private var engine: EventEngine?
    /// The store's zone revision when the zones in force were read (nil: not read yet).
    private var zoneRevision: Int64?
    /// Per vehicle, the earliest late fix stored by this import: its events are replayed in order at the end.
    private var earliestLate: [String: UTCInstant] = [:]
    /// Per-vehicle counts, boxed so that a fix costs one dictionary lookup.
    private final class VehicleEntry {
        var counts = VehicleImportCounts()
        /// Whether its state was resumed from the store (done once, when the pipeline exists).
        var resumed = false
    }

    private var entries: [String: VehicleEntry] = [:]
    /// The last stored fix of every vehicle, read once when the import starts (one query, not one per vehicle).
    private var lastStored: [String: TrackPoint]?
    private var kinds: [String: VehicleKind] = [:]
    private var started = ContinuousClock.now
    private var bytesBefore = 0
    private var fixesDone = 0
    /// Geofence and route events stored by this import (events already in the database are not counted).
    public private(set) var eventsStored = 0
    /// Counts per vehicle.
    public var vehicles: [String: VehicleImportCounts] { entries.mapValues(\.counts) }

    private func entry(_ vehicleID: String) -> VehicleEntry {
        if let known = entries[vehicleID] { return known }
        let created = VehicleEntry()
        entries[vehicleID] = created
        return created
    }
    /// One report per file, in the order imported.
    public private(set) var files: [FileImportReport] = []
    /// Called about every 100 ms while importing.
    public var onProgress: ((ImportProgress) -> Void)?
    /// Total bytes of the files of this run, for progress (set by the caller when known).
    public var bytesTotal: Int?
    /// How many vertices fences may have; stored fences over them are left out (see `skippedFences`).
    public var fenceLimits = GeofenceLimits()
    /// Stored fences not in force in the current zones (over the limits, invalid, or not projectable).
    public private(set) var skippedFences: [ZoneSet.SkippedFence] = []
    /// Called with each fence left out whenever the zones are (re)compiled.
    public var onSkippedFence: ((ZoneSet.SkippedFence) -> Void)?
    private var lastProgress = ContinuousClock.now

    /// Creates an importer.
    /// - Parameters:
    ///   - store: where tracks go.
    ///   - configuration: pipeline thresholds.
    ///   - crs: the fleet's metric frame; nil picks the UTM zone of the first position.
    ///   - clock: "now" for the time stage.
    ///   - batchSize: fixes per transaction.
    ///   - events: event engine thresholds.
    ///   - retryFailedCommits: retry a failed commit with back-off until it succeeds (a live server on a full disk).
    ///   - writerNiceness: nice value of the writer thread (a live server lowers its writer below its receivers).
    public init(
        store: any TrackStore, configuration: TrackingConfiguration = TrackingConfiguration(), crs: String? = nil,
        clock: any PipelineClock = SystemClock(), batchSize: Int = 10_000,
        events: EventConfiguration = EventConfiguration(), retryFailedCommits: Bool = false,
        writerNiceness: Int32 = 0, onStoreError: (@Sendable (StoreError) -> Void)? = nil
    ) {
        self.store = store
        self.eventConfiguration = events
        self.configuration = configuration
        self.crs = crs
        self.clock = clock
        self.batchSize = max(1, batchSize)
        self.writer = BatchWriter(
            store: store, retries: retryFailedCommits, niceness: writerNiceness, onError: onStoreError)
    }

    // MARK: - Live use (a server's processor thread)

    /// Processes one fix received live, with its device's identity (the same pipeline, engine and writer as a file).
    public func ingest(_ fix: Fix, vehicleID: String, source: String) throws(ImportError) {
        try process(fix, vehicleID: vehicleID, kind: nil, source: source)
    }

    /// Fixes processed but not yet handed to the writer.
    public var bufferedCount: Int { batch.count + batchEvents.count }

    /// Hands what is buffered to the writer without waiting; `committed` runs on the writer's thread once it, and
    /// everything handed over before it, is in the database (also when nothing was buffered).
    public func commitBuffered(then committed: (@Sendable (CommitReport) -> Void)? = nil) throws(ImportError) {
        do throws(StoreError) {
            let points = batch
            let events = batchEvents
            batch.removeAll(keepingCapacity: true)
            batchEvents.removeAll(keepingCapacity: true)
            var kinds: [EventKind: Int] = [:]
            for event in events { kinds[event.kind, default: 0] += 1 }
            let byKind = kinds
            var report: (@Sendable (CommitReport) -> Void)?
            if let committed {
                report = { written in
                    var written = written
                    written.eventsByKind = byKind
                    committed(written)
                }
            }
            count(try writer.submit(points, events: events, committed: report))
        } catch {
            throw .store(error)
        }
    }

    /// Stops retrying a failing commit (shutdown while the disk is full): `finish` then reports the error.
    public func stopRetrying() { writer.stopRetrying() }

    /// Totals over all vehicles: decoded, stored, duplicates, late, held, drops by reason.
    public private(set) var totals = VehicleImportCounts()

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
        try flush(wait: true)
        bytesBefore += report.bytes
        files.append(report)
        return report
    }

    /// Writes what is still buffered and replays the events of vehicles that received late fixes (call once after the
    /// last file).
    public func finish() throws(ImportError) {
        try flush(wait: true)
        try replayLateVehicles()
    }

    /// Late fixes were stored out of order: run each such vehicle's stored track through the engine again, in time
    /// order from the fix before the earliest late one, so that they raise the events live data would have raised.
    /// Events already stored are skipped by the store.
    private func replayLateVehicles() throws(ImportError) {
        guard let engine, !earliestLate.isEmpty else { return }
        for (vehicleID, earliest) in earliestLate.sorted(by: { $0.key < $1.key }) {
            do throws(StoreError) {
                let before = try store.lastPoint(
                    vehicleID: vehicleID,
                    atOrBefore: UTCInstant(microsecondsSinceEpoch: earliest.microsecondsSinceEpoch - 1))
                let track = try store.track(vehicleID: vehicleID, from: earliest, to: nil)
                engine.reset(vehicleID: vehicleID)
                if let before { engine.prime(with: before) }
                var events: [VehicleEvent] = []
                // Late fixes skipped the outlier stage when they were stored: apply the same rule here, so that a
                // late jump does not raise events live data would not have raised.
                var previous = before.flatMap { last in (try? engine.frame.project(last.coordinate)).map { (last, $0) }
                }
                for point in track {
                    guard let planar = try? engine.frame.project(point.coordinate) else { continue }
                    if let (last, from) = previous {
                        let meters = from.distance(to: planar)
                        let seconds = Double(point.time.microsecondsSinceEpoch - last.time.microsecondsSinceEpoch) / 1e6
                        if meters > configuration.outlierMinimumDistanceMeters,
                            seconds <= 0 || meters / seconds > configuration.maximumSpeedMetersPerSecond
                        {
                            continue
                        }
                    }
                    engine.evaluate(point, planar: planar, appendingTo: &events)
                    previous = (point, planar)
                }
                eventsStored += try store.insert([], events: events).eventsInserted
            } catch {
                throw .store(error)
            }
        }
        earliestLate = [:]
    }

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
        let vehicle = entry(vehicleID)
        vehicle.counts.decoded += 1
        totals.decoded += 1
        guard let pipeline = try pipeline(for: fix) else {
            vehicle.counts.dropped[.noFix, default: 0] += 1
            totals.dropped[.noFix, default: 0] += 1
            return
        }
        if !vehicle.resumed {
            vehicle.resumed = true
            do {
                if let kind {
                    // Only the kind changes: a registered vehicle keeps its name and registration.
                    var registered = try store.vehicle(id: vehicleID) ?? Vehicle(id: vehicleID)
                    registered.kind = kind
                    try store.save(registered)
                }
                if lastStored == nil {
                    lastStored = Dictionary(
                        try store.lastPositions().map { ($0.vehicleID, $0) }, uniquingKeysWith: { first, _ in first })
                }
                // The kind decides which fences apply: known before the engine is primed with the last fix.
                if let engine {
                    if let kind {
                        engine.kinds[vehicleID] = kind
                    } else {
                        engine.kinds[vehicleID] = try store.vehicle(id: vehicleID)?.kind
                    }
                }
                if let last = lastStored?[vehicleID] {
                    try? pipeline.resume(vehicleID: vehicleID, from: last)
                    engine?.prime(with: last)
                }
            } catch {
                throw .store(error)
            }
        }
        switch pipeline.process(fix, vehicleID: vehicleID, source: source, appendingTo: &batch) {
        case .accepted:
            if let engine {
                // Same CRS as the pipeline's frame: its projection is reused.
                engine.evaluate(batch[batch.count - 1], planar: pipeline.lastAcceptedPlanar, appendingTo: &batchEvents)
            }
        case .late: break
        case .dropped(let reason):
            vehicle.counts.dropped[reason, default: 0] += 1
            totals.dropped[reason, default: 0] += 1
        }
        if batch.count >= batchSize { try flush() }
    }

    /// The pipeline, built at the first fix with a position (its UTM zone, unless a CRS was given).
    private func pipeline(for fix: Fix) throws(ImportError) -> PositionPipeline? {
        if let pipeline { return pipeline }
        guard let latitude = fix.latitude, let longitude = fix.longitude, fix.hasPosition,
            abs(latitude) <= 90, abs(longitude) <= 180, latitude != 0 || longitude != 0
        else { return nil }
        do throws(ProjError) {
            let frame: LocalFrame
            if let crs {
                frame = try LocalFrame(crs: crs)
            } else {
                frame = try LocalFrame.utm(around: Coordinate(latitude: latitude, longitude: longitude))
            }
            let created = try PositionPipeline(configuration: configuration, frame: frame, clock: clock)
            pipeline = created
        } catch {
            throw .frame(error)
        }
        try buildEngine()
        return pipeline
    }

    /// The event engine over the store's geofences and routes, in a frame of its own (same CRS as the pipeline's).
    private func buildEngine() throws(ImportError) {
        guard let zoneStore = store as? any ZoneStore, let frameCRS = pipeline?.frame.crs else { return }
        do {
            // The revision first: a change made while the zones are read shows at the next check.
            let revision = try zoneStore.zoneRevision()
            zoneRevision = revision
            let fences = try zoneStore.geofences()
            let routes = try zoneStore.routes()
            guard !fences.isEmpty || !routes.isEmpty else { return }
            let frame = try LocalFrame(crs: frameCRS)
            let zones = try ZoneSet(
                frame: frame, fences: fences, routes: routes, assignments: try zoneStore.assignments(),
                exemptions: try zoneStore.exemptions(), limits: fenceLimits)
            report(zones.skipped)
            let engine = EventEngine(zones: zones, frame: frame, configuration: eventConfiguration)
            self.engine = engine
        } catch let error as StoreError {
            throw .store(error)
        } catch let error as ProjError {
            throw .frame(error)
        } catch {
            throw .store(.io(String(describing: error)))
        }
    }

    /// Reads the zones again when they changed in the store since they were read (a live server calls this about
    /// once a second, so that `orbita geofence add` or a route assignment takes effect while it runs). Fences keep
    /// their memberships by name; new fences start silently (no enter for a vehicle already inside); removed ones
    /// are forgotten.
    /// - Returns: whether the zones were replaced.
    @discardableResult
    public func reloadZonesIfChanged() throws(ImportError) -> Bool {
        guard let zoneStore = store as? any ZoneStore, pipeline != nil else { return false }
        do {
            let revision = try zoneStore.zoneRevision()
            guard revision != zoneRevision else { return false }
            guard let engine else {
                // There were no zones when the engine would have been built: build it now. Vehicles already seen
                // start silently on their next fix; their kinds decide which fences apply.
                try buildEngine()
                if let engine {
                    for vehicle in try store.vehicles() where entries[vehicle.id] != nil {
                        engine.kinds[vehicle.id] = vehicle.kind
                    }
                }
                return engine != nil
            }
            zoneRevision = revision
            let zones = try ZoneSet(
                frame: engine.frame, fences: try zoneStore.geofences(), routes: try zoneStore.routes(),
                assignments: try zoneStore.assignments(), exemptions: try zoneStore.exemptions(),
                previous: engine.zones, limits: fenceLimits)
            report(zones.skipped)
            engine.replaceZones(zones)
            return true
        } catch let error as StoreError {
            throw .store(error)
        } catch let error as ProjError {
            throw .frame(error)
        } catch let error as ImportError {
            throw error
        } catch {
            throw .store(.io(String(describing: error)))
        }
    }

    private func report(_ skipped: [ZoneSet.SkippedFence]) {
        skippedFences = skipped
        for fence in skipped { onSkippedFence?(fence) }
    }

    /// Hands the batch to the writer; with `wait`, also waits until everything queued is committed (end of a file).
    private func flush(wait: Bool = false) throws(ImportError) {
        do {
            if !batch.isEmpty || !batchEvents.isEmpty {
                let points = batch
                let events = batchEvents
                batch.removeAll(keepingCapacity: true)
                batchEvents.removeAll(keepingCapacity: true)
                count(try writer.submit(points, events: events))
            }
            if wait { count(try writer.drain()) }
        } catch {
            throw .store(error)
        }
    }

    private func count(_ written: [([TrackPoint], InsertOutcome)]) {
        for (points, outcome) in written {
            eventsStored += outcome.eventsInserted
            var skipped = outcome.skippedIndices[...]
            for (index, point) in points.enumerated() {
                let vehicle = entry(point.vehicleID)
                if skipped.first == index {
                    skipped.removeFirst()
                    vehicle.counts.duplicates += 1
                    totals.duplicates += 1
                } else {
                    vehicle.counts.stored += 1
                    totals.stored += 1
                    if point.flags.contains(.late) {
                        vehicle.counts.late += 1
                        totals.late += 1
                        if engine != nil, earliestLate[point.vehicleID].map({ point.time < $0 }) ?? true {
                            earliestLate[point.vehicleID] = point.time
                        }
                    }
                    if point.flags.contains(.held) { vehicle.counts.held += 1 }
                }
            }
        }
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
