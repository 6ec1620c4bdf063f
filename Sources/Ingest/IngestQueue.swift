import Foundation
public import OrbitaModel

/// Fixes from one message, on their way to the pipeline.
public struct IngestBatch: Sendable {
    /// The fixes, each naming its device.
    public var fixes: [Fix]
    /// Where they came from (`udp:ADDRESS:PORT`, `tcp:ADDRESS:PORT`), stored with each fix.
    public var source: String
    /// Called once the fixes are decided and committed, with how many (TCP acknowledgements); nil: not wanted.
    public var acknowledge: (@Sendable (Int) -> Void)?

    /// Creates a batch.
    public init(fixes: [Fix], source: String, acknowledge: (@Sendable (Int) -> Void)? = nil) {
        self.fixes = fixes
        self.source = source
        self.acknowledge = acknowledge
    }
}

/// Where listeners hand their fixes; false when it is full (the listener counts the drop).
public protocol IngestSink: Sendable {
    /// Offers a batch without blocking.
    func offer(_ batch: IngestBatch) -> Bool
    /// Offers batches in order without blocking; returns how many were taken (those after the first refused are
    /// refused too).
    func offer(_ batches: [IngestBatch]) -> Int
}

/// A bounded queue of batches between the event loops (producers, never blocked) and the processor thread (the one
/// consumer). Bounded in fixes, so memory stays flat when storage is behind: the overflow is dropped and counted.
public final class IngestQueue: IngestSink, @unchecked Sendable {
    // @unchecked: every stored property is guarded by `condition`.
    private let condition = NSCondition()
    private var batches: [IngestBatch] = []
    private var fixes = 0
    private var closed = false
    /// Fixes the queue holds at most.
    public let capacity: Int

    /// Creates a queue holding up to `capacity` fixes.
    public init(capacity: Int) { self.capacity = capacity }

    /// Adds a batch unless the queue is full or closed.
    public func offer(_ batch: IngestBatch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed, fixes + batch.fixes.count <= capacity else { return false }
        batches.append(batch)
        fixes += batch.fixes.count
        if batches.count == 1 { condition.signal() }
        return true
    }

    /// Adds batches in order while they fit (one lock and at most one wake-up for all of them).
    public func offer(_ batches: [IngestBatch]) -> Int {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return 0 }
        let wasEmpty = self.batches.isEmpty
        var taken = 0
        for batch in batches {
            guard fixes + batch.fixes.count <= capacity else { break }
            self.batches.append(batch)
            fixes += batch.fixes.count
            taken += 1
        }
        if wasEmpty && taken > 0 { condition.signal() }
        return taken
    }

    /// Fixes waiting.
    public var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return fixes
    }

    /// Takes everything waiting; waits up to `timeout` seconds when empty. Returns nil once closed and empty.
    public func take(timeout: Double) -> [IngestBatch]? {
        condition.lock()
        defer { condition.unlock() }
        if batches.isEmpty && !closed { _ = condition.wait(until: Date(timeIntervalSinceNow: timeout)) }
        if batches.isEmpty { return closed ? nil : [] }
        let taken = batches
        batches.removeAll(keepingCapacity: true)
        fixes = 0
        return taken
    }

    /// Refuses further batches; `take` returns what is left, then nil.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
