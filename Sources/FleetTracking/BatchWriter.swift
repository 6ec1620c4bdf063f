import Dispatch
import Foundation
import Glibc
public import OrbitaModel
import Reports
import Synchronization
import Tracking

/// What one committed batch held (for a live server's metrics and acknowledgements).
public struct CommitReport: Sendable {
    /// Fixes in the batch.
    public var points: Int
    /// Of them, new rows.
    public var inserted: Int
    /// Events stored with them.
    public var events: Int
    /// How long the transaction took, in seconds.
    public var seconds: Double
    /// Events raised into the batch, by kind (stored or already there).
    public var eventsByKind: [EventKind: Int] = [:]
    /// The batch's fixes and events and what the store made of them (shared, not copied).
    public var batch: (points: [TrackPoint], events: [VehicleEvent], outcome: InsertOutcome)

    /// The fixes added, with their numbers, in the order stored.
    public var storedFixes: [(id: Int64, point: TrackPoint)] {
        var skipped = batch.outcome.skippedIndices[...]
        var ids = batch.outcome.fixIDs[...]
        var stored: [(id: Int64, point: TrackPoint)] = []
        stored.reserveCapacity(ids.count)
        for (index, point) in batch.points.enumerated() {
            if skipped.first == index {
                skipped.removeFirst()
                continue
            }
            guard let id = ids.popFirst() else { break }
            stored.append((id, point))
        }
        return stored
    }

    /// The events added, with their numbers, in the order stored.
    public var storedEvents: [StoredEvent] {
        zip(batch.events, batch.outcome.eventIDs).compactMap { event, id in id.map { StoredEvent(id: $0, event: event) }
        }
    }
}

/// Writes batches to a store on a thread of its own, so that decoding and the pipeline go on while SQLite commits:
/// import then takes about as long as its slower half instead of the sum of both.
///
/// Batches (fixes with the events they raised) are written in order, one transaction each, at most two waiting
/// (memory stays bounded). After a failed batch nothing more is written and the error is reported by the next
/// `submit` or by `drain` — unless the writer retries: then the failed batch is tried again (after 0.25 s, doubling
/// to 4 s) until it commits, and everything behind it waits (a full disk holds the data, it does not lose it).
final class BatchWriter: @unchecked Sendable {
    // @unchecked: `store` and `reports` are used only on `queue`; the rest is immutable or in `state`.
    private let store: any TrackStore
    /// Keeps report rows up to date after each commit (nil: no report rows).
    private let reports: ReportMaintainer?
    private let queue = DispatchQueue(label: "orbita.import.writer")
    private let slots = DispatchSemaphore(value: 2)
    private let retries: Bool

    /// What the writer's thread and the caller share.
    private struct State {
        var finished: [([TrackPoint], InsertOutcome)] = []
        var failure: StoreError?
        var giveUp = false
        /// Batches whose report rows could not be written (their vehicles are derived again at their next fixes).
        var reportFailures = 0
        var lastReportError: StoreError?
    }

    private let state = Mutex(State())
    private let onError: (@Sendable (StoreError) -> Void)?

    /// Nice value of the writing thread (0: as the process; a live server lowers it, see `LiveProcessor`).
    private let niceness: Int32

    /// Called with each failed write of report rows.
    private let onReportError: (@Sendable (StoreError) -> Void)?

    init(
        store: any TrackStore, reports: ReportMaintainer? = nil, retries: Bool = false, niceness: Int32 = 0,
        onError: (@Sendable (StoreError) -> Void)? = nil, onReportError: (@Sendable (StoreError) -> Void)? = nil
    ) {
        self.store = store
        self.reports = reports
        self.onReportError = onReportError
        self.niceness = niceness
        self.retries = retries
        self.onError = onError
    }

    /// Queues a batch; blocks while two are already waiting. After it commits, the report rows of its vehicles are
    /// brought up to date (measured in `frameCRS`, the pipeline's frame), then `committed` runs (writer's thread).
    /// - Returns: the batches written since the last call, in order, with their outcomes.
    /// - Throws: the error of a batch that failed.
    func submit(
        _ points: [TrackPoint], hints: [PipelineHint] = [], events: [VehicleEvent] = [], frameCRS: String? = nil,
        committed: (@Sendable (CommitReport) -> Void)? = nil
    ) throws(StoreError) -> [([TrackPoint], InsertOutcome)] {
        let done = try collect()
        slots.wait()
        queue.async { [self] in
            if niceness != 0 { lowerCurrentThreadPriority(by: niceness) }
            defer { slots.signal() }
            var delay = 0.25
            while true {
                guard state.withLock({ $0.failure == nil }) else { return }
                let started = ContinuousClock.now
                do throws(StoreError) {
                    let outcome = try store.insert(points, events: events)
                    let elapsed = started.duration(to: .now)
                    state.withLock { $0.finished.append((points, outcome)) }
                    // Report rows before `committed` reports the batch done: a cluster node hands its shards over
                    // once its batches are done, so the new owner never reads rows this node is still writing.
                    maintainReports(points, hints, outcome, frameCRS: frameCRS)
                    committed?(
                        CommitReport(
                            points: points.count, inserted: outcome.inserted, events: outcome.eventsInserted,
                            seconds: elapsed.secondsValue,
                            batch: (points, events, outcome)))
                    return
                } catch {
                    onError?(error)
                    let stop = state.withLock { state in
                        let stop = !retries || state.giveUp
                        if stop { state.failure = error }
                        return stop
                    }
                    if stop { return }
                    Thread.sleep(forTimeInterval: delay)
                    delay = min(4, delay * 2)
                }
            }
        }
        return done
    }

    /// Brings the report rows of a committed batch's vehicles up to date (the fixes it stored, not those it skipped).
    /// A failure loses nothing: the fixes are stored, and the vehicles' rows are derived again at their next fixes.
    private func maintainReports(
        _ points: [TrackPoint], _ hints: [PipelineHint], _ outcome: InsertOutcome, frameCRS: String?
    ) {
        // Also with nothing stored: rows still going on that are due are written (an idle server's last fixes).
        guard let reports, let frameCRS else { return }
        var stored = points
        var storedHints = hints
        if !outcome.skippedIndices.isEmpty {
            stored = []
            storedHints = []
            stored.reserveCapacity(outcome.inserted)
            var skipped = outcome.skippedIndices[...]
            for (index, point) in points.enumerated() {
                if skipped.first == index {
                    skipped.removeFirst()
                    continue
                }
                stored.append(point)
                if index < hints.count { storedHints.append(hints[index]) }
            }
        }
        do throws(StoreError) {
            try reports.committed(stored, hints: storedHints, frameCRS: frameCRS)
        } catch {
            noteReportFailure(error)
        }
    }

    private func noteReportFailure(_ error: StoreError) {
        onReportError?(error)
        state.withLock {
            $0.reportFailures += 1
            $0.lastReportError = error
        }
    }

    /// Writes the report rows still going on of every vehicle, after the batches queued before (waits).
    func flushReports() {
        guard reports != nil else { return }
        queue.sync {
            do throws(StoreError) { try reports?.flush() } catch { noteReportFailure(error) }
        }
    }

    /// Batches whose report rows could not be written, and the last error.
    var reportFailures: (count: Int, last: StoreError?) {
        state.withLock { ($0.reportFailures, $0.lastReportError) }
    }

    /// Forgets the report derivations of vehicles another node maintains now (after the batches queued before), without
    /// writing what was not written.
    func forgetReports(_ vehicleIDs: [String]) {
        guard reports != nil, !vehicleIDs.isEmpty else { return }
        queue.async { [self] in reports?.forget(vehicleIDs) }
    }

    /// Hands over the report derivations of vehicles another node maintains now, after the batches queued before:
    /// writes what was derived and not yet written, then forgets them (`ReportMaintainer.handOver`).
    func handOverReports(_ vehicleIDs: [String]) {
        guard reports != nil, !vehicleIDs.isEmpty else { return }
        queue.async { [self] in
            do throws(StoreError) { try reports?.handOver(vehicleIDs) } catch { noteReportFailure(error) }
        }
    }

    /// Stops retrying a failing batch: it and the batches behind it are reported as failed.
    func stopRetrying() {
        state.withLock { $0.giveUp = true }
    }

    /// Waits for every queued batch.
    /// - Returns: the batches written since the last call, in order, with their outcomes.
    func drain() throws(StoreError) -> [([TrackPoint], InsertOutcome)] {
        queue.sync {}
        return try collect()
    }

    private func collect() throws(StoreError) -> [([TrackPoint], InsertOutcome)] {
        let (done, error) = state.withLock { state in
            defer { state.finished.removeAll() }
            return (state.finished, state.failure)
        }
        if let error { throw error }
        return done
    }
}

/// Raises the calling thread's nice value (lowers its priority). On Linux the nice value is per thread and
/// `setpriority(PRIO_PROCESS, 0, …)` sets the calling thread's (man 2 setpriority); ignored where not permitted.
public func lowerCurrentThreadPriority(by niceness: Int32) {
    #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
    #endif
}
