/// A token bucket per source (address and port): each source may send `rate` messages a second, in bursts of up to
/// `burst`. A flood from one source is cut without slowing any other. Not thread-safe: one per event loop.
public struct SourceLimiter: Sendable {
    /// Messages per second per source; 0 turns the limit off.
    public let rate: Double
    /// Largest burst per source.
    public let burst: Double
    private var buckets: [String: (tokens: Double, time: Double)] = [:]
    /// Sources remembered at most (the oldest half is forgotten beyond it, so a spoofed-address flood costs bounded
    /// memory).
    public let capacity: Int

    /// Creates a limiter.
    public init(rate: Double, burst: Double? = nil, capacity: Int = 65_536) {
        self.rate = rate
        self.burst = burst ?? max(1, rate * 2)
        self.capacity = capacity
    }

    /// Takes one token for `source` at `now` (seconds, monotonic); false when the source is over its rate.
    public mutating func allow(_ source: String, now: Double) -> Bool {
        guard rate > 0 else { return true }
        var bucket = buckets[source] ?? (burst, now)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.time) * rate)
        bucket.time = now
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        if buckets.count >= capacity, buckets[source] == nil {
            let oldest = buckets.sorted { $0.value.time < $1.value.time }.prefix(capacity / 2)
            for (key, _) in oldest { buckets[key] = nil }
        }
        buckets[source] = bucket
        return allowed
    }
}
