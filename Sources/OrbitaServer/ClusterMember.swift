import Cluster
import Dispatch
import Foundation
import Ingest
import Logging
import Metrics
import OrbitaModel
import Synchronization

/// What `orbita serve --node NAME` adds to a server: the node takes part in a cluster of servers on one PostgreSQL
/// database. Every fix it receives goes to the shared inbox (the TCP acknowledgement waits for that commit); the
/// coordinator keeps its fair share of the vehicle shards; and the inbox reader hands the fixes of its shards'
/// vehicles — received by any node — to the processor, oldest first, after a hold-back that lets the other nodes'
/// fixes of the same moment arrive, and removes them from the inbox once they are committed.
final class ClusterMember: @unchecked Sendable {
    // @unchecked: the stores are each used by one thread (forwarder, reader, coordinator); shared state is atomic or
    // in a Mutex.

    /// Where the listeners put what they receive.
    let received: IngestQueue
    /// The shard leases.
    let coordinator: ClusterCoordinator
    private let processor: LiveProcessor
    private let forwarderInbox: any ClusterInbox
    private let readerInbox: any ClusterInbox
    private let node: String
    private let settings: ClusterSettings
    private let holdBack: Double
    private let batchLimit: Int
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let forwarderDone = DispatchSemaphore(value: 0)
    private let readerDone = DispatchSemaphore(value: 0)
    /// Held while a fetch is between the inbox and its commit: giving shards up waits for it.
    private let inFlight = DispatchSemaphore(value: 1)
    /// Shards being given up: no fetch takes them any more (until they are claimed again).
    private let releasing = Shared<Set<Int>>([])

    private let forwardedCounter = Counter(label: "orbita_cluster_forwarded_total")
    private let takenCounter = Counter(label: "orbita_cluster_inbox_taken_total")
    private let claimedCounter = Counter(label: "orbita_cluster_shards_claimed_total")
    private let releasedCounter = Counter(label: "orbita_cluster_shards_released_total")
    private let lostCounter = Counter(label: "orbita_cluster_shards_lost_total")
    private let ownedGauge = Gauge(label: "orbita_cluster_shards_owned")
    private let liveNodesGauge = Gauge(label: "orbita_cluster_nodes_live")
    private let backlogGauge = Gauge(label: "orbita_cluster_inbox_backlog")
    private let errorsCounter = Counter(label: "orbita_cluster_errors_total")

    /// When the inbox was last counted (reader thread only).
    private var lastBacklogCount = -Double.infinity

    /// Snapshot figures for `/health`.
    let status = Shared(Status())

    /// The node's cluster figures.
    struct Status: Sendable {
        var shards = 0
        var liveNodes = 0
        var backlog = 0
        var forwarded = 0
        var claimed = 0
        var released = 0
        var lost = 0
        /// The coordinator's last round failed with this (nil after one that worked).
        var leaseError: String?
        /// The last inbox write or read failed with this (nil after one that worked).
        var inboxError: String?
        /// What is wrong now, if anything: `/health` answers 503 meanwhile, so that a balancer that checks it sends
        /// trackers to other nodes.
        var error: String? { leaseError ?? inboxError }
    }

    /// - Parameters:
    ///   - open: a new connection to the cluster's tables (three are opened: coordinator, forwarder, reader).
    ///   - holdBack: seconds a record waits in the inbox before it is processed (other nodes' fixes of the same
    ///     moment arrive meanwhile, so a vehicle's fixes are processed in time order).
    init(
        node: String, settings: ClusterSettings, holdBack: Double, queueCapacity: Int, batchLimit: Int,
        processor: LiveProcessor, endpoints: String, logger: Logger,
        open: () throws(StoreError) -> any ClusterStore
    ) throws(StoreError) {
        self.node = node
        self.settings = settings
        self.holdBack = holdBack
        self.batchLimit = max(1, batchLimit)
        self.processor = processor
        self.logger = logger
        received = IngestQueue(capacity: queueCapacity)
        forwarderInbox = try open()
        readerInbox = try open()
        coordinator = ClusterCoordinator(node: node, store: try open(), settings: settings, endpoints: endpoints)
        let shardCount = settings.shardCount
        coordinator.didAcquire = { [processor, releasing, logger] leases in
            let shards = Set(leases.map(\.shard))
            logger.info("shards claimed", metadata: ["shards": "\(leases.map(\.shard))"])
            releasing.withLock { $0.subtract(shards) }
            processor.forgetVehicles { shards.contains(shard(ofVehicle: $0, shardCount: shardCount)) }
        }
        coordinator.didLose = { [processor, logger] lost in
            let shards = Set(lost)
            processor.forgetVehicles { shards.contains(shard(ofVehicle: $0, shardCount: shardCount)) }
            logger.warning("shards lost (their leases lapsed unrenewed)", metadata: ["shards": "\(lost.count)"])
        }
        coordinator.mayClaim = { [processor] in processor.handoverSettled }
        let reported = Shared(ClusterCoordinator.Snapshot())
        coordinator.didStep = { [weak self] snapshot in
            guard let self else { return }
            let previous = reported.withLock { $0 }
            updateFigures(snapshot, since: previous)
            reported.withLock { $0 = snapshot }
        }
        coordinator.willRelease = { [inFlight, processor, releasing] released in
            // The fetch in progress must be committed first, and then what this node derived of the vehicles' report
            // rows written (`handoverSettled`), so that the new owner's rows come after this node's: all within one
            // lease renewal, or the shards are kept and the next round tries again.
            let deadline = DispatchTime.now() + settings.renewSeconds
            guard inFlight.wait(timeout: deadline) == .success else { return false }
            defer { inFlight.signal() }
            let shards = Set(released)
            releasing.withLock { $0.formUnion(shards) }
            processor.forgetVehicles(writingReports: true) {
                shards.contains(shard(ofVehicle: $0, shardCount: shardCount))
            }
            while !processor.handoverSettled {
                guard DispatchTime.now() < deadline else {
                    // Kept: read again (the vehicles forgotten resume from the store at their next fix).
                    releasing.withLock { $0.subtract(shards) }
                    return false
                }
                Thread.sleep(forTimeInterval: 0.01)
            }
            logger.info("shards given up", metadata: ["shards": "\(released)"])
            return true
        }
    }

    /// Starts the coordinator, the forwarder and the reader.
    func start() {
        coordinator.start()
        let forwarder = Thread { [self] in forward() }
        forwarder.name = "orbita.inbox-out"
        forwarder.start()
        let reader = Thread { [self] in read() }
        reader.name = "orbita.inbox-in"
        reader.start()
    }

    /// The shutdown: what was received is written to the inbox, the reader's last fetch is committed, and the
    /// node hands its shards over and leaves. The listeners are closed before; the processor is drained after.
    func stop() {
        received.close()
        forwarderDone.wait()
        stopping.store(true, ordering: .relaxed)
        readerDone.wait()
        coordinator.stop()
    }

    /// Received fixes into the inbox, one transaction per take; acknowledgements after it.
    private func forward() {
        while let batches = received.take(timeout: 0.25, maximum: batchLimit) {
            guard !batches.isEmpty else { continue }
            var records: [InboxRecord] = []
            for batch in batches {
                for fix in batch.fixes {
                    guard let device = fix.device else { continue }
                    records.append(
                        InboxRecord(
                            shard: shard(ofVehicle: device, shardCount: settings.shardCount), source: batch.source,
                            fix: fix))
                }
            }
            var delay = 0.25
            while true {
                do throws(StoreError) {
                    try forwarderInbox.append(records, receivedBy: node)
                    break
                } catch {
                    errorsCounter.increment()
                    status.withLock { $0.inboxError = error.description }
                    logger.error(
                        "cannot write to the cluster inbox; holding the fixes and retrying",
                        metadata: ["retry_s": "\(delay)", "error": "\(error)"])
                    Thread.sleep(forTimeInterval: delay)
                    delay = min(delay * 2, 4)
                }
            }
            forwardedCounter.increment(by: records.count)
            status.withLock {
                $0.forwarded += records.count
                $0.inboxError = nil
            }
            for batch in batches { batch.acknowledge?(batch.fixes.count { $0.device != nil }) }
        }
        forwarderDone.signal()
    }

    /// The owned shards' inbox records to the processor, a fetch at a time: each is removed once committed.
    private func read() {
        var lastCount = -Double.infinity
        while !stopping.load(ordering: .relaxed) {
            let now = ClusterCoordinator.now()
            if now - lastCount >= 1 {
                lastCount = now
                countBacklog()
            }
            let giving = releasing.withLock { $0 }
            let owned = coordinator.trustedShards().filter { !giving.contains($0) }
            guard !owned.isEmpty else {
                Thread.sleep(forTimeInterval: 0.2)
                continue
            }
            inFlight.wait()
            let moved = fetchAndProcess(owned)
            inFlight.signal()
            if !moved { Thread.sleep(forTimeInterval: 0.1) }
        }
        readerDone.signal()
    }

    /// One fetch: taken, handed to the processor in time order, waited for, removed. Whether anything moved.
    private func fetchAndProcess(_ shards: [Int]) -> Bool {
        let entries: [InboxEntry]
        do throws(StoreError) {
            entries = try readerInbox.take(shards: shards, holdBack: holdBack, limit: batchLimit)
        } catch {
            errorsCounter.increment()
            status.withLock { $0.inboxError = error.description }
            logger.error("cannot read the cluster inbox", metadata: ["error": "\(error)"])
            Thread.sleep(forTimeInterval: 1)
            return false
        }
        status.withLock { $0.inboxError = nil }
        guard !entries.isEmpty else { return false }
        // Oldest fix first (arrival order for equal times, and for fixes without a date).
        let ordered = entries.enumerated().sorted { left, right in
            let a = left.element.record.fix.time?.instant?.microsecondsSinceEpoch ?? .max
            let b = right.element.record.fix.time?.instant?.microsecondsSinceEpoch ?? .max
            return (a, left.offset) < (b, right.offset)
        }.map(\.element)
        var batches: [IngestBatch] = []
        for entry in ordered {
            // Compared in place: a copy of the last batch (`if let last = batches.last`) would share its fixes and
            // make every append copy them (quadratic in the fetch).
            if !batches.isEmpty, batches[batches.count - 1].source == entry.record.source {
                batches[batches.count - 1].fixes.append(entry.record.fix)
            } else {
                batches.append(IngestBatch(fixes: [entry.record.fix], source: entry.record.source))
            }
        }
        let committed = DispatchSemaphore(value: 0)
        batches[batches.count - 1].acknowledge = { _ in committed.signal() }
        let fencedBefore = processor.fencedFixes.withLock { $0 }
        let admissions = processor.queue.offer(batches)
        guard admissions.allSatisfy({ $0 == .accepted }) else {
            // The processor's queue is full: what it did not take stays in the inbox for the next fetch (the
            // accepted part is processed; its duplicates are dropped then).
            logger.warning("processor queue full; inbox records left for the next fetch")
            if admissions.last == .accepted { committed.wait() }
            return false
        }
        committed.wait()
        takenCounter.increment(by: entries.count)
        if processor.fencedFixes.withLock({ $0 }) != fencedBefore {
            // A commit left fixes out: this node lost shards meanwhile. The records stay for their new owner (and the
            // ones this node did store come back to it as the duplicates they are).
            logger.warning("shards lost during a fetch; its inbox records are left for their owners")
            return true
        }
        var delay = 0.25
        while true {
            do throws(StoreError) {
                try readerInbox.remove(entries.map(\.id))
                return true
            } catch {
                errorsCounter.increment()
                logger.error("cannot remove processed inbox records; retrying", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 4)
                if stopping.load(ordering: .relaxed) && delay >= 4 { return true }
            }
        }
    }

    /// Metrics and `/health` figures from the coordinator's snapshot (counters by their growth since `previous`), on
    /// the coordinator's thread after each round: they stay current while the reader waits on a database that does
    /// not answer.
    private func updateFigures(_ snapshot: ClusterCoordinator.Snapshot, since previous: ClusterCoordinator.Snapshot) {
        claimedCounter.increment(by: snapshot.claimed - previous.claimed)
        releasedCounter.increment(by: snapshot.released - previous.released)
        lostCounter.increment(by: snapshot.lost - previous.lost)
        ownedGauge.record(snapshot.leases.count)
        liveNodesGauge.record(snapshot.liveNodes.count)
        status.withLock {
            $0.shards = snapshot.leases.count
            $0.liveNodes = snapshot.liveNodes.count
            $0.claimed = snapshot.claimed
            $0.released = snapshot.released
            $0.lost = snapshot.lost
            $0.leaseError = snapshot.error
        }
    }

    /// Counts the inbox for the backlog gauge (reader thread): every fifth second while it is empty (a full-table
    /// count), every second while it is not.
    private func countBacklog() {
        let previousBacklog = status.withLock { $0.backlog }
        let now = ClusterCoordinator.now()
        guard now - lastBacklogCount >= 5 || previousBacklog > 0 else { return }
        lastBacklogCount = now
        let backlog = (try? readerInbox.backlog()) ?? previousBacklog
        backlogGauge.record(backlog)
        status.withLock { $0.backlog = backlog }
    }
}
