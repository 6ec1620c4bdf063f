import Dispatch
import Foundation
import OrbitaModel
import Synchronization

/// Keeps this node's share of the shards, on a thread of its own: every `renewSeconds` it records a heartbeat,
/// renews the leases it holds, claims shards nobody holds (free, or their holder's lease ran out) up to its fair share
/// of the live nodes, and gives up shards beyond that share, so that a node joining gets its share from the others
/// within a few rounds and a dead node's shards are taken over once its leases run out.
///
/// A lease is trusted locally only until the moment its renewal was *sent* plus the lease time minus a margin (by the
/// monotonic clock): the database extended it from a later moment, so the node stops treating a shard as its own
/// before any other node can claim it — also when it cannot reach the database at all.
public final class ClusterCoordinator: @unchecked Sendable {
    // @unchecked: `store` and the loop's own state are used on the coordinator's thread (or by `step` in tests, never
    // both); what other threads read is in `state` (a Mutex).

    /// What the node holds and has done, for `/health`, `/metrics` and the processor.
    public struct Snapshot: Sendable, Equatable {
        /// Shards held, with their epochs.
        public var leases: [Int: Int64] = [:]
        /// Until when (monotonic seconds) the leases are trusted.
        public var trustedUntil = -Double.infinity
        /// The live nodes at the last heartbeat, by name.
        public var liveNodes: [String] = []
        /// Shards claimed so far.
        public var claimed = 0
        /// Shards given up so far (rebalance or stop).
        public var released = 0
        /// Shards lost so far (not renewed in time: this node could not reach the database, or another took them).
        public var lost = 0
        /// The last error talking to the database, nil after a round that worked.
        public var error: String?

        /// Nothing held, nothing done.
        public init() {}
    }

    /// This node's name.
    public let node: String
    /// Shards, lease time, renewal interval.
    public let settings: ClusterSettings
    /// Called on the coordinator's thread with shards just claimed: their vehicles are to be resumed from the store.
    public var didAcquire: (@Sendable ([ShardLease]) -> Void)?
    /// Called on the coordinator's thread before shards are given up (rebalance, stop): it must first commit what it
    /// holds for their vehicles and forget them, and return true; false keeps them this round (asked again at the
    /// next; a stop releases them regardless).
    public var willRelease: (@Sendable ([Int]) -> Bool)?
    /// Called on the coordinator's thread with shards found lost (a renewal did not return them, or their leases ran
    /// out unrenewed): the caller stops processing their vehicles and forgets them at once.
    public var didLose: (@Sendable ([Int]) -> Void)?

    /// Asked on the coordinator's thread before claiming: false defers claims to a later round (the node's work on
    /// shards it lost is not yet out of the way).
    public var mayClaim: (@Sendable () -> Bool)?
    /// Called on the coordinator's thread after every round, with what the node holds then (figures, metrics).
    public var didStep: (@Sendable (Snapshot) -> Void)?

    private let store: any ShardLeaseStore
    private let endpoints: Mutex<String>
    /// This process among the node's lives (a random token).
    private let incarnation = UUID().uuidString
    private let state = Mutex(Snapshot())
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var started = false

    /// - Parameters:
    ///   - store: the database's leases (a connection of its own).
    ///   - endpoints: what the node listens on, for `orbita cluster status`.
    public init(
        node: String, store: any ShardLeaseStore, settings: ClusterSettings = ClusterSettings(), endpoints: String
    ) {
        self.node = node
        self.store = store
        self.settings = settings
        self.endpoints = Mutex(endpoints)
    }

    /// Replaces what the node says it listens on (the bound addresses, once the listeners have their ports): recorded
    /// with the next heartbeat.
    public func announce(endpoints: String) { self.endpoints.withLock { $0 = endpoints } }

    /// What the node holds now.
    public var snapshot: Snapshot { state.withLock { $0 } }

    /// The epoch of `shard`'s lease when this node holds it and the lease is still trusted; nil otherwise.
    public func epoch(ofShard shard: Int, now: Double = ClusterCoordinator.now()) -> Int64? {
        state.withLock { $0.trustedUntil > now ? $0.leases[shard] : nil }
    }

    /// The leases this node holds and still trusts, shard → epoch.
    public func trustedLeases(now: Double = ClusterCoordinator.now()) -> [Int: Int64] {
        state.withLock { $0.trustedUntil > now ? $0.leases : [:] }
    }

    /// The shards this node holds under leases still trusted, in order.
    public func trustedShards(now: Double = ClusterCoordinator.now()) -> [Int] {
        state.withLock { $0.trustedUntil > now ? $0.leases.keys.sorted() : [] }
    }

    /// Whether this node may process `vehicle` now.
    public func owns(vehicle: String, now: Double = ClusterCoordinator.now()) -> Bool {
        epoch(ofShard: shard(ofVehicle: vehicle, shardCount: settings.shardCount), now: now) != nil
    }

    /// Runs one round at once, then every `renewSeconds` on a thread of its own.
    public func start() {
        started = true
        let thread = Thread { [self] in
            while !stopping.load(ordering: .relaxed) {
                step()
                _ = wake.wait(timeout: .now() + settings.renewSeconds)
            }
            leave()
            finished.signal()
        }
        thread.name = "orbita.cluster"
        thread.start()
    }

    /// Stops the rounds and leaves cleanly: every shard is handed over (after `willRelease`) and the node is marked
    /// gone, so that the others take its shards at their next round instead of after the lease time.
    public func stop() {
        guard started else {
            leave()
            return
        }
        stopping.store(true, ordering: .relaxed)
        wake.signal()
        finished.wait()
    }

    /// One round: heartbeat, renew, then claim or give up shards towards the fair share. Errors are kept in the
    /// snapshot (and the leases lapse locally on their own); the next round tries again.
    public func step() {
        defer { didStep?(snapshot) }
        let sentAt = Self.now()
        do throws(StoreError) {
            let live = try store.heartbeat(
                node: node, incarnation: incarnation, endpoints: endpoints.withLock { $0 },
                liveWithin: settings.leaseSeconds)
            var leases = try store.renew(node: node, leaseSeconds: settings.leaseSeconds)
            let before = state.withLock { $0 }
            let trusted = before.trustedUntil > sentAt
            let kept = Set(leases.map(\.shard))
            // Shards held before and not renewed now, or held while the leases lapsed unrenewed: lost.
            var lost = before.leases.keys.filter { !kept.contains($0) }
            if !trusted && !before.leases.isEmpty {
                lost = Array(before.leases.keys)
                leases = []
                // Renewed above, but this node has already stopped trusting them: give them up and claim afresh
                // (a new epoch), so that nothing done under the lapsed leases can be mistaken for current.
                try store.release(node: node, shards: Array(kept))
            }
            if !lost.isEmpty { didLose?(lost.sorted()) }
            var claimed: [ShardLease] = []
            var released: [Int] = []
            let target = fairShare(of: node, among: live, shardCount: settings.shardCount)
            if leases.count < target, mayClaim?() ?? true {
                claimed = try store.claim(
                    node: node, count: target - leases.count, leaseSeconds: settings.leaseSeconds)
                leases += claimed
            } else if leases.count > target {
                let surplus = Array(leases.map(\.shard).sorted().suffix(leases.count - target))
                if willRelease?(surplus) ?? true {
                    released = surplus
                    try store.release(node: node, shards: released)
                    leases.removeAll { released.contains($0.shard) }
                }
            }
            if !claimed.isEmpty { didAcquire?(claimed.sorted()) }
            let margin = min(1, settings.leaseSeconds / 10)
            state.withLock {
                $0.leases = Dictionary(uniqueKeysWithValues: leases.map { ($0.shard, $0.epoch) })
                $0.trustedUntil = sentAt + settings.leaseSeconds - margin
                $0.liveNodes = live
                $0.claimed += claimed.count
                $0.released += released.count
                $0.lost += lost.count
                $0.error = nil
            }
        } catch {
            let lapsed = state.withLock { snapshot -> [Int] in
                snapshot.error = error.description
                guard snapshot.trustedUntil <= Self.now(), !snapshot.leases.isEmpty else { return [] }
                let lapsed = Array(snapshot.leases.keys).sorted()
                snapshot.leases = [:]
                snapshot.lost += lapsed.count
                return lapsed
            }
            if !lapsed.isEmpty { didLose?(lapsed) }
        }
    }

    /// Hands every shard over and marks the node gone (best effort: a node that cannot reach the database loses its
    /// shards by the lease time instead).
    private func leave() {
        let held = state.withLock { Array($0.leases.keys).sorted() }
        if !held.isEmpty { _ = willRelease?(held) }
        do throws(StoreError) {
            try store.leave(node: node)
            state.withLock {
                $0.released += held.count
                $0.leases = [:]
            }
        } catch {
            state.withLock { $0.error = error.description }
        }
    }

    /// Monotonic seconds.
    public static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
