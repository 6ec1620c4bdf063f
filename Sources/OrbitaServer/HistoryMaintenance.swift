import Dispatch
import Logging
import Metrics
import OrbitaModel
import Synchronization

/// Keeps the history at start and then periodically, on a thread and a connection of its own: partitions made ahead
/// of time (so that the writer does not make them at midnight) and the retention policy applied (dropping a partition
/// holds a lock for a moment; the writer retries a commit that met it).
final class HistoryMaintenance: Sendable {
    private let policy: RetentionPolicy
    private let interval: Double
    private let logger: Logger
    private let open: @Sendable () throws(StoreError) -> any HistoryStore
    private let queue = DispatchQueue(label: "orbita.retention", qos: .utility)
    /// The running timer: made and resumed by `start` (a dispatch source released before it was resumed crashes).
    private let timer = Mutex<TimerHandle?>(nil)

    /// A dispatch timer, which is thread-safe but not marked `Sendable`.
    private final class TimerHandle: @unchecked Sendable {
        let source: any DispatchSourceTimer
        init(_ source: any DispatchSourceTimer) { self.source = source }
    }

    private let droppedPartitions = Counter(label: "orbita_retention_dropped_partitions_total")
    private let droppedFixes = Counter(label: "orbita_retention_dropped_fixes_total")
    private let deletedEvents = Counter(label: "orbita_retention_deleted_events_total")
    private let failures = Counter(label: "orbita_history_maintenance_failures_total")

    /// Maintenance with `policy`, every `interval` seconds, with connections from `open`.
    init(
        policy: RetentionPolicy, interval: Double, logger: Logger,
        open: @escaping @Sendable () throws(StoreError) -> any HistoryStore
    ) {
        self.policy = policy
        self.interval = max(1, interval)
        self.logger = logger
        self.open = open
    }

    /// Runs a first pass now and schedules the others.
    func start() {
        let source = DispatchSource.makeTimerSource(queue: queue)
        source.schedule(deadline: .now(), repeating: interval)
        source.setEventHandler { [self] in pass() }
        source.resume()
        timer.withLock { $0 = TimerHandle(source) }
    }

    /// Stops the passes (one under way finishes).
    func stop() {
        timer.withLock {
            $0?.source.cancel()
            $0 = nil
        }
    }

    /// One pass: a fresh connection (a long-lived one would hold a snapshot of the old partitions), the policy, a log
    /// line when anything went.
    private func pass() {
        do throws(StoreError) {
            let store = try open()
            try store.prepareHistory(until: UTCInstant.now.adding(seconds: 2 * 86_400))
            guard policy.removesAnything else { return }
            let outcome = try policy.apply(to: store)
            droppedPartitions.increment(by: outcome.droppedPartitions.count)
            droppedFixes.increment(by: outcome.droppedFixes)
            deletedEvents.increment(by: outcome.deletedEvents)
            if outcome != PruneOutcome() {
                logger.notice(
                    "retention applied",
                    metadata: [
                        "partitions": "\(outcome.droppedPartitions.count)", "fixes": "\(outcome.droppedFixes)",
                        "events": "\(outcome.deletedEvents)",
                        "fix_days": "\(policy.fixDays.map(String.init) ?? "all")",
                        "event_days": "\(policy.eventDays.map(String.init) ?? "all")",
                    ])
            }
        } catch {
            failures.increment()
            logger.error("history maintenance failed; trying again at the next pass", metadata: ["error": "\(error)"])
        }
    }
}
