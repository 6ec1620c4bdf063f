import FleetTracking
import Foundation
import Ingest
import Logging
import Metrics
import OrbitaModel
import Synchronization
import Tracking

/// The one thread that runs received fixes through the fleet-tracking core (the same `FleetRecorder` an import
/// uses: per-vehicle order, resume from the database, fences, routes, events) and hands them to the writer in
/// batches: a commit every `commitInterval` or `commitSize` fixes, whichever comes first. The event loops never wait
/// for it; it never waits for them.
final class LiveProcessor: @unchecked Sendable {
    // @unchecked: `recorder`, `registered` and the loop's own state are used only on the processor thread; shared
    // state is in `status` (a Mutex).
    struct Status: Sendable {
        var received = 0
        var unregistered = 0
        var committedFixes = 0
        var committedEvents = 0
        var storeError: String?
        var vehiclesOnline = 0
    }

    let queue: IngestQueue
    let status = Shared(Status())
    /// Called on the writer's thread after each commit (the live feed takes what it stored from here); set before
    /// `start`.
    var onCommitted: (@Sendable (CommitReport) -> Void)?
    private let recorder: FleetRecorder
    private let store: any FleetStore
    private let registerUnknown: Bool
    private let logger: Logger
    private let commitInterval: Double
    private let commitSize: Int
    private var registered: Set<String> = []
    private var lastRefresh = -Double.infinity
    private var lastSeen: [String: Double] = [:]
    private let finished = DispatchSemaphore(value: 0)
    /// Fault injection for tests: `ORBITA_TEST_PROCESSOR_DELAY_US` makes the processor spend that long on every
    /// fix (a saturated server on demand, for the fairness tests). Unset in normal use.
    private let injectedDelayNanoseconds: UInt64 = {
        guard let text = ProcessInfo.processInfo.environment["ORBITA_TEST_PROCESSOR_DELAY_US"],
            let microseconds = UInt64(text)
        else { return 0 }
        return microseconds * 1_000
    }()
    private var finishError: String?
    /// Which vehicles to forget before the next fix (set from other threads: shards a cluster node gained or lost).
    private let toForget = Mutex<[(matches: @Sendable (String) -> Bool, writingReports: Bool)]>([])

    private let unregisteredCounter = Counter(
        label: "orbita_fixes_dropped_total", dimensions: [("reason", "unregistered")])
    private let storedCounter = Counter(label: "orbita_fixes_stored_total")
    /// Fixes the pipeline could not process (a frame that cannot be made, a store error): counted, never silent.
    private let failedCounter = Counter(
        label: "orbita_fixes_dropped_total", dimensions: [("reason", "processing_error")])
    private let duplicateCounter = Counter(label: "orbita_fixes_duplicate_total")
    private let commitTimer = Timer(label: "orbita_commit_seconds")
    /// Fence events a late fix's replay no longer raised, removed (see `FleetTracker.replayLate`).
    private let retractedCounter = Counter(label: "orbita_events_retracted_total")
    /// Fixes a commit left out because this node no longer held their vehicles (a cluster node that lost leases).
    let fencedFixes = Shared(0)
    private let fencedCounter = Counter(label: "orbita_cluster_fenced_total")
    private let depthGauge = Gauge(label: "orbita_queue_depth")
    private let onlineGauge = Gauge(label: "orbita_vehicles_online")
    private var dropCounters: [DropReason: Counter] = [:]
    private var eventCounters: [EventKind: Counter] = [:]
    private var reportedDrops: [DropReason: Int] = [:]

    /// - Parameters:
    ///   - store: what the processor's thread reads (registered vehicles, zones, resume points).
    ///   - writer: what the writer's thread writes batches to: another connection, so that reads never wait for a
    ///     commit or land inside a batch's transaction (it may be `store` itself where connections are thread-safe).
    init(
        store: any FleetStore, writer: any FleetStore, configuration: TrackingConfiguration,
        events: EventConfiguration, crs: String?,
        registerUnknown: Bool, queueCapacity: Int, commitInterval: Double = 1, commitSize: Int = 100_000,
        fenceLimits: GeofenceLimits = GeofenceLimits(), logger: Logger
    ) {
        self.store = store
        self.registerUnknown = registerUnknown
        self.logger = logger
        self.commitInterval = commitInterval
        self.commitSize = commitSize
        queue = IngestQueue(capacity: queueCapacity)
        let errors = Counter(label: "orbita_store_errors_total")
        let status = self.status
        let tracker = FleetTracker(store: store, configuration: configuration, events: events, crs: crs)
        tracker.fenceLimits = fenceLimits
        let skippedCounter = Counter(label: "orbita_geofences_skipped_total")
        tracker.onSkippedFence = { fence in
            skippedCounter.increment()
            logger.error("\(fence)")
        }
        recorder = FleetRecorder(
            store: writer, tracker: tracker, batchSize: Int.max, retryFailedCommits: true,
            writerNiceness: Self.niceness,
            onStoreError: { error in
                errors.increment()
                status.withLock { $0.storeError = error.description }
                logger.error("commit failed; retrying", metadata: ["error": "\(error)"])
            },
            onReportError: { error in
                logger.warning(
                    "report rows not written; the vehicles are derived again at their next fixes",
                    metadata: ["error": "\(error)"])
            })
        for reason in DropReason.allCases {
            dropCounters[reason] = Counter(
                label: "orbita_fixes_dropped_total", dimensions: [("reason", reason.rawValue)])
        }
        for kind in EventKind.allCases {
            eventCounters[kind] = Counter(label: "orbita_events_total", dimensions: [("kind", kind.rawValue)])
        }
    }

    /// Resumes every vehicle from its own last stored fix when first seen, not from a snapshot of the fleet's read
    /// once (a cluster node: vehicles move between nodes). Set before `start`.
    func resumeEachVehicleFromStore() { recorder.tracker.resumesFromFleetSnapshot = false }

    /// Forgets, before the next fix, the vehicles `matching` picks (a cluster node's shards that moved): their next fix
    /// resumes them from the store. `writingReports`: shards this node gives up while it still holds their leases —
    /// what it derived of their report rows and did not write yet is written first. Not for leases that lapsed
    /// (another node may own the vehicles already, and rows are not fenced by leases) nor for shards claimed.
    func forgetVehicles(writingReports: Bool = false, matching: @escaping @Sendable (String) -> Bool) {
        toForget.withLock { $0.append((matching, writingReports)) }
        handover.withLock { $0.requested += 1 }
    }

    /// Whether everything computed before the last `forgetVehicles` is out of the way: the forgetting was applied
    /// (buffered fixes of those vehicles dropped) and every batch handed to the writer before it has committed or
    /// been fenced. A cluster node claims no shard until then, so that a batch computed under a lost lease can
    /// never pass the write fence under a new lease of the same shard.
    var handoverSettled: Bool {
        handover.withLock { $0.applied == $0.requested && $0.completed >= $0.submittedWhenApplied }
    }

    /// Forget requests, and the writer's batches, as `handoverSettled` compares them.
    private struct Handover {
        var requested = 0
        var applied = 0
        var submitted = 0
        var submittedWhenApplied = 0
        var completed = 0
    }
    private let handover = Shared(Handover())

    /// Starts the thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "orbita.processor"
        thread.start()
    }

    /// Closes the queue, processes what it holds, commits everything and waits for it (the shutdown drain).
    /// - Returns: nil, or the error that kept the last batches out of the database.
    func drain() -> String? {
        queue.close()
        finished.wait()
        return finishError
    }

    /// Gives up retrying a failing commit or read (a second signal during a drain on a full disk or while the
    /// database is away).
    func abandon() {
        abandoned.store(true, ordering: .relaxed)
        recorder.stopRetrying()
    }

    /// Set by `abandon`.
    private let abandoned = Atomic<Bool>(false)

    /// The processor and writer run at a lower priority than the event loops: under a CPU shortage, fixes wait in
    /// the bounded queue (counted, drained later) instead of datagrams overflowing the kernel's receive buffer
    /// (lost unseen).
    static let niceness: Int32 = 5

    private func run() {
        lowerCurrentThreadPriority(by: Self.niceness)
        var acks: [(@Sendable (Int) -> Void, Int)] = []
        var lastCommit = Self.now()
        var lastGauges = 0.0
        while let batches = queue.take(timeout: commitInterval) {
            let (forgetting, requests) = toForget.withLock { pending in
                defer { pending = [] }
                return (pending, handover.withLock { $0.requested })
            }
            if !forgetting.isEmpty {
                let tracker = recorder.tracker
                let forgotten = tracker.vehiclesInMemory.filter { vehicle in forgetting.contains { $0.matches(vehicle) }
                }
                tracker.forget(forgotten)
                // What was computed for them and not yet handed to the writer goes (their new owner makes it).
                let dropped = recorder.discardBuffered { vehicle in forgetting.contains { $0.matches(vehicle) } }
                if dropped > 0 {
                    fencedFixes.withLock { $0 += dropped }
                    fencedCounter.increment(by: dropped)
                }
                // Their report rows are the new owner's to maintain from its first fix of them. Of shards given up,
                // what this node derived and did not write yet is written first (the new owner's next fix may be
                // hours away); a commit after it, counted below, makes the handover wait for that write (the writer
                // runs in order).
                let written = forgotten.filter { vehicle in
                    forgetting.contains { $0.writingReports && $0.matches(vehicle) }
                }
                recorder.handOverReports(Array(written))
                recorder.forgetReports(Array(forgotten.subtracting(written)))
                commit(acks)
                acks.removeAll()
                lastCommit = Self.now()
                handover.withLock {
                    $0.applied = requests
                    $0.submittedWhenApplied = $0.submitted
                }
            }
            if !recorder.tracker.resumesFromFleetSnapshot {
                // A cluster node: the vehicles it has not met yet are read from the store in one go.
                do throws(FleetTrackingError) {
                    try recorder.tracker.prepareResume(batches.lazy.flatMap(\.fixes).compactMap(\.device))
                } catch {
                    logger.error(
                        "cannot read the vehicles to resume; reading them one by one", metadata: ["error": "\(error)"])
                }
            }
            var received = 0
            var unregistered = 0
            let takenAt = Self.now()
            for batch in batches {
                var decided = 0
                for fix in batch.fixes {
                    guard let vehicle = fix.device else { continue }
                    guard allowed(vehicle) else {
                        unregistered += 1
                        continue
                    }
                    lastSeen[vehicle] = takenAt
                    if injectedDelayNanoseconds > 0 { Self.spin(injectedDelayNanoseconds) }
                    decide(fix, vehicle: vehicle, source: batch.source)
                    decided += 1
                }
                received += batch.fixes.count
                // Every batch's acknowledgement runs (with 0 when nothing was decided): a connection that half-closed
                // waits for them before it closes.
                if let acknowledge = batch.acknowledge { acks.append((acknowledge, decided)) }
            }
            if received > 0 || unregistered > 0 {
                if unregistered > 0 { unregisteredCounter.increment(by: unregistered) }
                status.withLock {
                    $0.received += received
                    $0.unregistered += unregistered
                }
            }
            let now = Self.now()
            let buffered = recorder.bufferedCount
            if buffered >= commitSize || ((buffered > 0 || !acks.isEmpty) && now - lastCommit >= commitInterval) {
                commit(acks)
                acks.removeAll()
                lastCommit = now
                replayLate()
            } else if !batches.isEmpty {
                reportDrops()
            }
            if now - lastGauges >= 1 {
                lastGauges = now
                updateGauges(now: now)
                reloadZones()
            }
        }
        commit(acks)
        do throws(FleetTrackingError) {
            try recorder.finish()
        } catch {
            finishError = error.description
            logger.error("final commit failed", metadata: ["error": "\(error)"])
        }
        updateGauges(now: Self.now())
        finished.signal()
    }

    private func commit(_ acks: [(@Sendable (Int) -> Void, Int)]) {
        let status = self.status
        let storedCounter = self.storedCounter
        let duplicateCounter = self.duplicateCounter
        let commitTimer = self.commitTimer
        let eventCounters = self.eventCounters
        let onCommitted = self.onCommitted
        let fencedFixes = self.fencedFixes
        let fencedCounter = self.fencedCounter
        let handover = self.handover
        handover.withLock { $0.submitted += 1 }
        do throws(FleetTrackingError) {
            try recorder.commitBuffered { report in
                handover.withLock { $0.completed += 1 }
                let fenced = report.batch.outcome.fencedIndices.count
                if fenced > 0 {
                    fencedFixes.withLock { $0 += fenced }
                    fencedCounter.increment(by: fenced)
                }
                storedCounter.increment(by: report.inserted)
                duplicateCounter.increment(by: report.points - report.inserted - fenced)
                commitTimer.recordNanoseconds(Int64(report.seconds * 1e9))
                for (kind, count) in report.eventsByKind { eventCounters[kind]?.increment(by: count) }
                status.withLock {
                    $0.committedFixes += report.inserted
                    $0.committedEvents += report.events
                    $0.storeError = nil
                }
                for (acknowledge, count) in acks { acknowledge(count) }
                onCommitted?(report)
            }
        } catch {
            logger.error("commit refused", metadata: ["error": "\(error)"])
            status.withLock { $0.storeError = error.description }
        }
        reportDrops()
    }

    /// Adds the pipeline's drops since the last call to the metrics (also when nothing is left to commit: a
    /// vehicle whose every fix is dropped still shows).
    private func reportDrops() {
        for (reason, count) in recorder.totals.dropped where count > reportedDrops[reason, default: 0] {
            dropCounters[reason]?.increment(by: count - reportedDrops[reason, default: 0])
            reportedDrops[reason] = count
        }
    }

    /// Late fixes were committed: their vehicles' events are derived again from the stored tracks (about once a
    /// second, so that events from late data show within seconds rather than at shutdown).
    private func replayLate() {
        guard recorder.tracker.hasLateToReplay else { return }
        do throws(FleetTrackingError) {
            // Everything evaluated is stored first (the commit just handed over is waited for): the replay reads the
            // stored tracks, and leaves the engine where the last stored fix left it.
            try recorder.flush(wait: true)
            let retractedBefore = recorder.tracker.retracted
            let stored = try recorder.tracker.replayLate()
            let retracted = recorder.tracker.retracted - retractedBefore
            if retracted > 0 { retractedCounter.increment(by: retracted) }
            if stored > 0 || retracted > 0 {
                logger.info(
                    "events from late fixes", metadata: ["events": "\(stored)", "retracted": "\(retracted)"])
            }
        } catch {
            logger.error("cannot replay late fixes' events; tried again later", metadata: ["error": "\(error)"])
        }
    }

    /// Picks up geofences and routes changed while the server runs (checked once a second: one small query).
    private func reloadZones() {
        do throws(FleetTrackingError) {
            if try recorder.tracker.reloadZonesIfChanged() { logger.info("zones reloaded") }
        } catch {
            logger.error("cannot reload zones; the previous ones stay in force", metadata: ["error": "\(error)"])
        }
    }

    private func updateGauges(now: Double) {
        depthGauge.record(queue.depth)
        let online = lastSeen.values.count { now - $0 <= 300 }
        onlineGauge.record(online)
        status.withLock { $0.vehiclesOnline = online }
    }

    /// Runs a fix through the tracker. When the store cannot be read (a database that went away: the tracker resumes
    /// a vehicle from it), the fix is held and tried again with back-off (0.25 s doubling to 4 s) until the store
    /// answers — the queue holds what arrives meanwhile — rather than dropped; `/health` says degraded meanwhile. A
    /// fix the tracker cannot process for another reason is dropped as `processing_error`.
    private func decide(_ fix: Fix, vehicle: String, source: String) {
        var delay = 0.25
        while true {
            do throws(FleetTrackingError) {
                try recorder.record(fix, vehicleID: vehicle, source: source)
                return
            } catch .store(let error) where !abandoned.load(ordering: .relaxed) {
                status.withLock { $0.storeError = error.description }
                logger.error(
                    "the store cannot be read; holding the fix and retrying",
                    metadata: ["vehicle": "\(vehicle)", "retry_s": "\(delay)", "error": "\(error)"])
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 4)
            } catch {
                failedCounter.increment()
                logger.error("fix not processed", metadata: ["vehicle": "\(vehicle)", "error": "\(error)"])
                return
            }
        }
    }

    /// Registered vehicles only (unless `registerUnknown`); the list is read again at most once a second when an
    /// unknown identity shows up, so `orbita vehicles add` takes effect on a running server. While the store cannot
    /// be read, an unknown identity waits for it (as `decide` does) instead of being refused as unregistered.
    private func allowed(_ vehicle: String) -> Bool {
        if registerUnknown || registered.contains(vehicle) { return true }
        let now = Self.now()
        guard now - lastRefresh >= 1 else { return false }
        var delay = 0.25
        while true {
            do {
                registered = Set(try store.vehicles().map(\.id))
                lastRefresh = Self.now()
                return registered.contains(vehicle)
            } catch {
                logger.error("cannot read vehicles; retrying", metadata: ["error": "\(error)"])
                status.withLock { $0.storeError = error.description }
                if abandoned.load(ordering: .relaxed) { return false }
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 4)
            }
        }
    }

    /// Busy-waits (a sleep is too coarse for microseconds).
    private static func spin(_ nanoseconds: UInt64) {
        let end = DispatchTime.now().uptimeNanoseconds + nanoseconds
        while DispatchTime.now().uptimeNanoseconds < end {}
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
