public import OrbitaModel
public import Reports
import Tracking

/// Fixes through the `FleetTracker` into the store: buffers what it decided, hands batches to a writer thread (one
/// transaction each, while tracking goes on) and counts every fix once, per vehicle and in total — decoded,
/// stored, duplicates, late, held, dropped by reason. File import and the live server both record through it.
public final class FleetRecorder {
    /// The core that decides.
    public let tracker: FleetTracker
    private let writer: BatchWriter
    private let batchSize: Int
    private var points: [TrackPoint] = []
    /// For each of `points`, what the pipeline knew of it: report maintenance does not project it again, nor look
    /// its vehicle up by name.
    private var hints: [PipelineHint] = []
    private var events: [VehicleEvent] = []
    /// Per-vehicle counts, boxed so that a fix costs one dictionary lookup.
    private final class Entry {
        var counts = VehicleFixCounts()
    }

    private var entries: [String: Entry] = [:]
    /// Totals over all vehicles.
    public private(set) var totals = VehicleFixCounts()
    /// Counts per vehicle.
    public var vehicles: [String: VehicleFixCounts] { entries.mapValues(\.counts) }
    /// Geofence and route events stored (events already in the database are not counted).
    public private(set) var eventsStored = 0
    /// Fixes tracked but not yet handed to the writer.
    public var bufferedCount: Int { points.count + events.count }

    /// Creates a recorder.
    /// - Parameters:
    ///   - batchSize: fixes per transaction (`Int.max`: only when `commitBuffered` is called).
    ///   - retryFailedCommits: retry a failed commit with back-off until it succeeds (a live server on a full disk).
    ///   - writerNiceness: nice value of the writer thread (a live server lowers its writer below its receivers).
    ///   - onStoreError: called with each failed commit.
    ///   - reports: how report rows are cut, kept up to date after each commit (nil: none kept).
    ///   - onReportError: called with each failed write of report rows (the fixes are stored).
    public init(
        store: any FleetStore, tracker: FleetTracker, batchSize: Int = 10_000, retryFailedCommits: Bool = false,
        writerNiceness: Int32 = 0, onStoreError: (@Sendable (StoreError) -> Void)? = nil,
        reports: TripSettings? = TripSettings(), onReportError: (@Sendable (StoreError) -> Void)? = nil
    ) {
        self.tracker = tracker
        self.batchSize = max(1, batchSize)
        writer = BatchWriter(
            store: store,
            reports: reports.map {
                ReportMaintainer(store: store, settings: $0, tracking: tracker.trackingConfiguration)
            }, retries: retryFailedCommits, niceness: writerNiceness, onError: onStoreError,
            onReportError: onReportError)
    }

    /// Committed batches whose report rows could not be written (the fixes are stored; their vehicles' rows are
    /// derived again at their next fixes), and the last such error.
    public var reportFailures: (count: Int, last: StoreError?) { writer.reportFailures }

    /// Hands over the report derivations of vehicles another cluster node maintains now: what was derived for them
    /// and not written is written (after the batches handed to the writer before), then forgotten.
    public func handOverReports(_ vehicleIDs: [String]) { writer.handOverReports(vehicleIDs) }

    /// Forgets the report derivations of vehicles another cluster node may maintain already (a lapsed lease), without
    /// writing them: their rows are that node's.
    public func forgetReports(_ vehicleIDs: [String]) { writer.forgetReports(vehicleIDs) }

    /// Tracks one fix of `vehicleID` and buffers what is to be stored (written when the batch is full).
    public func record(_ fix: Fix, vehicleID: String, kind: VehicleKind? = nil, source: String)
        throws(FleetTrackingError)
    {
        let entry = entry(vehicleID)
        entry.counts.decoded += 1
        totals.decoded += 1
        let before = points.count
        let decision = try tracker.track(
            fix, vehicleID: vehicleID, kind: kind, source: source, points: &points, events: &events)
        if points.count > before {
            var accepted = false
            if case .accepted = decision { accepted = true }
            hints.append(tracker.lastHint(accepted: accepted))
        }
        if case .dropped(let reason) = decision {
            entry.counts.dropped[reason, default: 0] += 1
            totals.dropped[reason, default: 0] += 1
        }
        if points.count >= batchSize { try flush() }
    }

    /// Hands what is buffered to the writer without waiting; `committed` runs on the writer's thread once it, and
    /// everything handed over before it, is in the database (also when nothing was buffered).
    public func commitBuffered(then committed: (@Sendable (CommitReport) -> Void)? = nil) throws(FleetTrackingError) {
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
        try submit(report)
    }

    /// Drops the buffered fixes and events of the vehicles `matching` picks (not yet handed to the writer: a cluster
    /// node that lost their shards leaves them to the new owner).
    /// - Returns: how many fixes were dropped.
    public func discardBuffered(matching: (String) -> Bool) -> Int {
        let before = points.count
        var kept = 0
        for index in points.indices where !matching(points[index].vehicleID) {
            hints[kept] = hints[index]
            kept += 1
        }
        hints.removeLast(hints.count - kept)
        points.removeAll { matching($0.vehicleID) }
        events.removeAll { matching($0.vehicleID) }
        return before - points.count
    }

    /// Hands the batch to the writer; with `wait`, also waits until everything queued is committed.
    public func flush(wait: Bool = false) throws(FleetTrackingError) {
        if !points.isEmpty || !events.isEmpty { try submit(nil) }
        if wait {
            do throws(StoreError) { count(try writer.drain()) } catch { throw .store(error) }
        }
    }

    /// Writes what is still buffered and replays the events of vehicles that received late fixes (once, at the end).
    public func finish() throws(FleetTrackingError) {
        try flush(wait: true)
        writer.flushReports()
        eventsStored += try tracker.replayLate()
    }

    /// Stops retrying a failing commit (shutdown while the disk is full): `finish` then reports the error.
    public func stopRetrying() { writer.stopRetrying() }

    private func submit(_ committed: (@Sendable (CommitReport) -> Void)?) throws(FleetTrackingError) {
        let batch = points
        let batchHints = hints
        let raised = events
        points.removeAll(keepingCapacity: true)
        hints.removeAll(keepingCapacity: true)
        events.removeAll(keepingCapacity: true)
        do throws(StoreError) {
            count(
                try writer.submit(
                    batch, hints: batchHints, events: raised, frameCRS: tracker.frameCRS, committed: committed))
        } catch {
            throw .store(error)
        }
    }

    private func entry(_ vehicleID: String) -> Entry {
        if let known = entries[vehicleID] { return known }
        let created = Entry()
        entries[vehicleID] = created
        return created
    }

    /// Counts what the writer committed: stored or duplicate, late, held; late fixes noted for the replay.
    private func count(_ written: [([TrackPoint], InsertOutcome)]) {
        for (points, outcome) in written {
            eventsStored += outcome.eventsInserted
            var skipped = outcome.skippedIndices[...]
            var fenced = outcome.fencedIndices[...]
            for (index, point) in points.enumerated() {
                if fenced.first == index {
                    // Left to the node that owns the vehicle now (a cluster node that lost its lease): counted there.
                    fenced.removeFirst()
                    skipped.removeFirst()
                    continue
                }
                let vehicle = entry(point.vehicleID)
                if skipped.first == index {
                    skipped.removeFirst()
                    vehicle.counts.duplicates += 1
                    totals.duplicates += 1
                    continue
                }
                vehicle.counts.stored += 1
                totals.stored += 1
                if point.flags.contains(.late) {
                    vehicle.counts.late += 1
                    totals.late += 1
                    tracker.noteLateStored(point)
                }
                if point.flags.contains(.held) {
                    vehicle.counts.held += 1
                    totals.held += 1
                }
            }
        }
    }
}
