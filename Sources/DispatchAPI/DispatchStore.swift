import Foundation
import Hummingbird
import NIOPosix
public import OrbitaModel
import Synchronization

/// The database as the HTTP handlers use it: a few connections of its own, used off the request tasks (on NIO's
/// blocking thread pool, so that a long query never holds a cooperative thread that `/health` or another request
/// needs), one request per connection at a time.
///
/// Budgets: at most `connections` queries run at once; heavy ones (a track, an export) at most `heavyConnections`,
/// so that light requests (vehicles, tokens) always find a connection. A request that would wait behind more than
/// `maximumWaiting` others is refused with 503 and `Retry-After`.
public final class DispatchStore: Sendable {
    /// Connections (default 4).
    public let connections: Int
    /// Connections heavy requests may hold at once (default half of them).
    public let heavyConnections: Int
    /// Requests that may wait for a connection (beyond: 503).
    public let maximumWaiting: Int

    private struct State {
        var free: [Lease]
        var heavyInUse = 0
        let heavyConnections: Int
        var waiting: [(heavy: Bool, continuation: CheckedContinuation<Lease, Never>)] = []

        /// A free connection for a request, within the heavy budget when it is heavy; nil when it must wait.
        mutating func take(heavy: Bool) -> Lease? {
            guard !free.isEmpty, !heavy || heavyInUse < heavyConnections else { return nil }
            if heavy { heavyInUse += 1 }
            return free.removeLast()
        }
    }

    /// One connection, handed to one request at a time.
    private final class Lease: @unchecked Sendable {
        // @unchecked: used by one request at a time (the pool's state says which).
        let store: any DispatchRepository
        init(_ store: any DispatchRepository) { self.store = store }
    }

    private let state: Mutex<State>

    /// Opens `connections` connections with `open`.
    public init(
        connections: Int = 4, heavyConnections: Int? = nil, maximumWaiting: Int = 64,
        open: () throws -> any DispatchRepository
    ) rethrows {
        let count = max(1, connections)
        self.connections = count
        self.heavyConnections = max(1, min(count, heavyConnections ?? max(1, count / 2)))
        self.maximumWaiting = max(0, maximumWaiting)
        var free: [Lease] = []
        for _ in 0..<count { free.append(Lease(try open())) }
        state = Mutex(State(free: free, heavyConnections: self.heavyConnections))
    }

    /// Wraps one store (one connection).
    public convenience init(_ store: any DispatchRepository) {
        self.init(connections: 1, open: { store })
    }

    /// Runs `body` with a connection of its own, on the blocking thread pool; `heavy` for queries whose cost grows
    /// with the data asked for.
    /// - Throws: `HTTPError(.serviceUnavailable)` when too many requests wait already; whatever `body` throws.
    func use<T: Sendable>(heavy: Bool = false, _ body: @escaping @Sendable (any DispatchRepository) throws -> T)
        async throws -> T
    {
        let lease = try await acquire(heavy: heavy)
        defer { release(lease, heavy: heavy) }
        return try await NIOThreadPool.singleton.runIfActive { try body(lease.store) }
    }

    private func acquire(heavy: Bool) async throws -> Lease {
        enum Step {
            case got(Lease)
            case wait
            case refuse
        }
        let step: Step = state.withLock { state in
            if let lease = state.take(heavy: heavy) { return .got(lease) }
            return state.waiting.count >= maximumWaiting ? .refuse : .wait
        }
        switch step {
        case .got(let lease): return lease
        case .refuse:
            throw HTTPError(
                .serviceUnavailable, headers: [.retryAfter: "1"],
                message: "the server is busy: \(maximumWaiting) requests wait for the database; retry")
        case .wait:
            return await withCheckedContinuation { continuation in
                let ready: Lease? = state.withLock { state in
                    // Freed in between: take it now.
                    if let lease = state.take(heavy: heavy) { return lease }
                    state.waiting.append((heavy, continuation))
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    private func release(_ lease: Lease, heavy: Bool) {
        let handoff: (CheckedContinuation<Lease, Never>, Lease)? = state.withLock { state in
            if heavy { state.heavyInUse -= 1 }
            state.free.append(lease)
            // The first waiter that may take a connection now (a heavy one only within the heavy budget).
            guard let index = state.waiting.firstIndex(where: { !$0.heavy || state.heavyInUse < heavyConnections }),
                let next = state.take(heavy: state.waiting[index].heavy)
            else { return nil }
            return (state.waiting.remove(at: index).continuation, next)
        }
        if let (continuation, lease) = handoff { continuation.resume(returning: lease) }
    }
}
