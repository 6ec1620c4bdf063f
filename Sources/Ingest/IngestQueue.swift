import DequeModule
import Foundation
public import OrbitaModel
import Synchronization

/// Fixes from one message, on their way to the pipeline.
public struct IngestBatch: Sendable {
    /// The fixes, each naming its device.
    public var fixes: [Fix]
    /// Where they came from (`udp:ADDRESS:PORT`, `tcp:ADDRESS:PORT`), stored with each fix.
    public var source: String
    /// Called once the fixes are decided and committed, with how many (TCP acknowledgements); nil: not wanted.
    public var acknowledge: (@Sendable (Int) -> Void)?
    /// Where to count the fixes if the queue gives them up after taking them (pushed out for a source under its
    /// fair share). Nil: the batch is never pushed out (a TCP connection's fixes: flow control holds a TCP source
    /// back instead, so nothing it sent is lost).
    public var pushedOut: IngestCounters?

    /// Creates a batch.
    public init(
        fixes: [Fix], source: String, pushedOut: IngestCounters? = nil, acknowledge: (@Sendable (Int) -> Void)? = nil
    ) {
        self.fixes = fixes
        self.source = source
        self.acknowledge = acknowledge
        self.pushedOut = pushedOut
    }
}

/// What the queue did with a batch offered to it.
public enum Admission: Sendable, Equatable {
    /// Taken.
    case accepted
    /// Refused for the reason (`overShare` or `queueFull`); the caller counts it (UDP) or holds the data back
    /// (TCP).
    case refused(IngestDrop)
}

/// Where listeners hand their fixes.
public protocol IngestSink: Sendable {
    /// Offers a batch without blocking.
    func offer(_ batch: IngestBatch) -> Admission
    /// Offers batches in order without blocking (one lock for all); the admission of each.
    func offer(_ batches: [IngestBatch]) -> [Admission]
    /// Whether a batch of `count` fixes from `source` would be refused for its share now (a cheap check before
    /// decoding a datagram from a flooding source).
    func isOverShare(_ source: String, adding count: Int) -> Bool
}

/// The bounded queue between the event loops (producers, never blocked) and the processor thread (the one consumer),
/// fair between sources.
///
/// Each source (`udp:ADDRESS:PORT`, `tcp:ADDRESS:PORT`) has a lane of its own, and the processor takes from the
/// lanes in turn, a quantum of fixes from each (deficit round robin, as fq_codel does for packets): a source
/// sending little is served at once however deep a flood's lane is, and saturated sources share the processor
/// equally. Limits bite only under contention:
/// - below half the capacity every batch is taken;
/// - above it, a source holding more than its share — half the capacity divided by the lanes holding fixes (a lone
///   source may use the whole queue) — is refused (`overShare`);
/// - a full queue makes room for a source under its share by pushing out the newest fixes of the longest UDP lane
///   (longest queue drop), and refuses (`queueFull`) only when no such lane is left.
/// Memory stays bounded by `capacity` fixes. Fixes of one source keep their order; a vehicle whose tracker changes
/// source (a new NAT port) may have fixes of the two lanes interleaved, which the pipeline stores as late.
public final class IngestQueue: IngestSink, @unchecked Sendable {
    // @unchecked: every stored property is guarded by `condition`.
    private struct Lane {
        var batches = Deque<IngestBatch>()
        var fixes = 0
        var deficit = 0
    }

    private let condition = NSCondition()
    private var lanes: [String: Lane] = [:]
    /// Sources with fixes waiting, in the order they are served (but `serving`).
    private var turns = Deque<String>()
    /// The lane whose turn the last take cut short: it is served first by the next take.
    private var serving: String?
    private var fixes = 0 {
        didSet { depthMirror.store(fixes, ordering: .relaxed) }
    }
    /// `fixes`, readable without the lock (a hint for `isOverShare`).
    private let depthMirror = Atomic<Int>(0)
    private var closed = false
    /// Fixes the queue holds at most.
    public let capacity: Int
    /// Fixes taken from a lane per turn.
    public static let quantum = 64

    /// Creates a queue holding up to `capacity` fixes.
    public init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Offers a batch: taken, or refused with the reason.
    public func offer(_ batch: IngestBatch) -> Admission {
        condition.lock()
        defer { condition.unlock() }
        let wasEmpty = fixes == 0
        let admission = admit(batch)
        if wasEmpty && fixes > 0 { condition.signal() }
        return admission
    }

    /// Offers batches in order (one lock and at most one wake-up for all of them).
    public func offer(_ batches: [IngestBatch]) -> [Admission] {
        condition.lock()
        defer { condition.unlock() }
        let wasEmpty = fixes == 0
        let admissions = batches.map(admit)
        if wasEmpty && fixes > 0 { condition.signal() }
        return admissions
    }

    /// Whether `source` is over its share now (see the type's rules).
    public func isOverShare(_ source: String, adding count: Int) -> Bool {
        guard depthMirror.load(ordering: .relaxed) + count > capacity / 2 else { return false }
        condition.lock()
        defer { condition.unlock() }
        return overShare(source, adding: count)
    }

    /// Fixes waiting.
    public var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return fixes
    }

    /// Sources with fixes waiting.
    public var sourcesWaiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return lanes.count
    }

    /// Takes up to `maximum` fixes (whole batches; at least one batch), a quantum per lane in turn; waits up to
    /// `timeout` seconds when empty. Returns nil once closed and empty. The default, a sixteenth of the capacity
    /// (at most 8,192), keeps takes small beside the queue: a take that emptied it would serve lanes by how much
    /// they held, not in turn.
    public func take(timeout: Double, maximum: Int? = nil) -> [IngestBatch]? {
        let maximum = maximum ?? min(8_192, max(Self.quantum, capacity / 16))
        condition.lock()
        defer { condition.unlock() }
        if fixes == 0 && !closed { _ = condition.wait(until: Date(timeIntervalSinceNow: timeout)) }
        if fixes == 0 { return closed ? nil : [] }
        var taken: [IngestBatch] = []
        var count = 0
        while count < maximum {
            // A lane whose turn the last take cut short goes on with the deficit it had; the next lane in turn
            // gets a quantum more.
            let source: String
            if let resuming = serving {
                source = resuming
                serving = nil
            } else if let next = turns.popFirst() {
                source = next
                lanes[source]?.deficit += Self.quantum
            } else {
                break
            }
            // Taken out of the dictionary while it is changed, so that its batches are not copied (copy on write).
            guard var lane = lanes.removeValue(forKey: source) else { continue }
            while count < maximum, let next = lane.batches.first, next.fixes.count <= lane.deficit || taken.isEmpty {
                lane.batches.removeFirst()
                lane.deficit -= next.fixes.count
                lane.fixes -= next.fixes.count
                count += next.fixes.count
                taken.append(next)
            }
            if !lane.batches.isEmpty {
                lanes[source] = lane
                if count >= maximum, let next = lane.batches.first, next.fixes.count <= lane.deficit {
                    serving = source
                } else {
                    turns.append(source)
                }
            }
        }
        fixes -= count
        return taken
    }

    /// Refuses further batches; `take` returns what is left, then nil.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    // MARK: - Admission (the lock held)

    private func overShare(_ source: String, adding count: Int) -> Bool {
        guard fixes + count > capacity / 2 else { return false }
        let known = lanes[source]
        let active = lanes.count + (known == nil ? 1 : 0)
        guard active > 1 else { return false }
        return (known?.fixes ?? 0) + count > capacity / (2 * active)
    }

    private func admit(_ batch: IngestBatch) -> Admission {
        let count = batch.fixes.count
        guard !closed else { return .refused(.queueFull) }
        guard count > 0 else { return .accepted }
        if overShare(batch.source, adding: count) { return .refused(.overShare) }
        if fixes + count > capacity, !makeRoom(count, for: batch.source) { return .refused(.queueFull) }
        if lanes[batch.source] == nil {
            lanes[batch.source] = Lane()
            turns.append(batch.source)
        }
        lanes[batch.source]?.batches.append(batch)
        lanes[batch.source]?.fixes += count
        fixes += count
        return .accepted
    }

    /// Pushes out the newest batches of the longest lanes (longer than the newcomer's would be) until `count`
    /// fixes fit; false when it cannot.
    private func makeRoom(_ count: Int, for source: String) -> Bool {
        let own = (lanes[source]?.fixes ?? 0) + count
        while fixes + count > capacity {
            guard
                let victim = lanes.lazy.filter({
                    $0.key != source && $0.value.fixes > own && $0.value.batches.last?.pushedOut != nil
                }).max(by: { $0.value.fixes < $1.value.fixes })?.key,
                let last = lanes[victim]?.batches.last, let pushedOut = last.pushedOut
            else { return false }
            lanes[victim]?.batches.removeLast()
            lanes[victim]?.fixes -= last.fixes.count
            fixes -= last.fixes.count
            if lanes[victim]?.batches.isEmpty == true {
                lanes[victim] = nil
                if serving == victim { serving = nil }
                if let index = turns.firstIndex(of: victim) { turns.remove(at: index) }
            }
            pushedOut.dropped(.overShare, count: last.fixes.count, from: victim)
        }
        return true
    }
}
