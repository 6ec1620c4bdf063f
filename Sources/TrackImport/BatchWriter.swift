import Dispatch
import Foundation
import OrbitaModel

/// Writes batches to a store on a thread of its own, so that decoding and the pipeline go on while SQLite commits:
/// import then takes about as long as its slower half instead of the sum of both.
///
/// Batches (fixes with the events they raised) are written in order, one transaction each, at most two waiting (memory stays bounded). After a failed
/// batch nothing more is written and the error is reported by the next `submit` or by `drain`.
final class BatchWriter: @unchecked Sendable {
    // @unchecked: `store` is used only on `queue`; `lock` guards `finished` and `failure`.
    private let store: any TrackStore
    private let queue = DispatchQueue(label: "orbita.import.writer")
    private let slots = DispatchSemaphore(value: 2)
    private let lock = NSLock()
    private var finished: [([TrackPoint], InsertOutcome)] = []
    private var failure: StoreError?

    init(store: any TrackStore) { self.store = store }

    /// Queues a batch; blocks while two are already waiting.
    /// - Returns: the batches written since the last call, in order, with their outcomes.
    /// - Throws: the error of a batch that failed.
    func submit(_ points: [TrackPoint], events: [VehicleEvent] = []) throws(StoreError) -> [(
        [TrackPoint], InsertOutcome
    )] {
        let done = try collect()
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            lock.lock()
            let failed = failure != nil
            lock.unlock()
            guard !failed else { return }
            do throws(StoreError) {
                let outcome = try store.insert(points, events: events)
                lock.lock()
                finished.append((points, outcome))
                lock.unlock()
            } catch {
                lock.lock()
                failure = error
                lock.unlock()
            }
        }
        return done
    }

    /// Waits for every queued batch.
    /// - Returns: the batches written since the last call, in order, with their outcomes.
    func drain() throws(StoreError) -> [([TrackPoint], InsertOutcome)] {
        queue.sync {}
        return try collect()
    }

    private func collect() throws(StoreError) -> [([TrackPoint], InsertOutcome)] {
        lock.lock()
        let done = finished
        finished.removeAll()
        let error = failure
        lock.unlock()
        if let error { throw error }
        return done
    }
}
