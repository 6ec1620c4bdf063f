public import OrbitaModel
import Synchronization

/// A token bucket per key: each key may pass `rate` messages a second, in bursts of up to `burst`. Not
/// thread-safe; `DeviceRateLimiter` shares one between event loops.
public struct RateLimiter<Key: Hashable & Sendable>: Sendable {
    /// Messages per second per key; 0 turns the limit off.
    public let rate: Double
    /// Largest burst per key.
    public let burst: Double
    private var buckets: [Key: (tokens: Double, time: Double)] = [:]
    /// Keys remembered at most (the oldest half is forgotten beyond it, so a flood of forged identities costs
    /// bounded memory).
    public let capacity: Int

    /// Creates a limiter.
    public init(rate: Double, burst: Double? = nil, capacity: Int = 65_536) {
        self.rate = rate
        self.burst = max(1, burst ?? rate * 2)
        self.capacity = capacity
    }

    /// Takes one token for `key` at `now` (seconds, monotonic); false when the key is over its rate.
    public mutating func allow(_ key: Key, now: Double) -> Bool {
        guard rate > 0 else { return true }
        guard allowance(key, now: now) >= 1 else { return false }
        consume(key, count: 1, now: now)
        return true
    }

    /// Whole tokens `key` has at `now`, without taking any (`Int.max` without a limit).
    public func allowance(_ key: Key, now: Double) -> Int {
        guard rate > 0 else { return .max }
        guard let bucket = buckets[key] else { return Int(burst) }
        return Int(min(burst, bucket.tokens + (now - bucket.time) * rate))
    }

    /// Takes `count` tokens from `key` at `now` (down to zero).
    public mutating func consume(_ key: Key, count: Int, now: Double) {
        guard rate > 0, count > 0 else { return }
        var bucket = buckets[key] ?? (burst, now)
        bucket.tokens = max(0, min(burst, bucket.tokens + (now - bucket.time) * rate) - Double(count))
        bucket.time = now
        if buckets.count >= capacity, buckets[key] == nil {
            let oldest = buckets.sorted { $0.value.time < $1.value.time }.prefix(capacity / 2)
            for (old, _) in oldest { buckets[old] = nil }
        }
        buckets[key] = bucket
    }

    /// Seconds until `key` has `count` tokens again (0 when it has them now).
    public func wait(for key: Key, count: Int, now: Double) -> Double {
        guard rate > 0 else { return 0 }
        let missing = Double(min(count, Int(burst))) - Double(allowance(key, now: now))
        return missing > 0 ? missing / rate : 0
    }
}

/// The per-device sanity limit, shared by the UDP and TCP listeners: a device identity may send `rate` fixes a
/// second from one source, in bursts of `burst` (a tracker that reconnects and sends its buffer passes). Keyed by
/// source and identity, so that a flood claiming a registered identity from its own socket exhausts its own bucket,
/// not the genuine tracker's. Thread-safe.
public final class DeviceRateLimiter: Sendable {
    private struct Key: Hashable, Sendable {
        var source: String
        var device: String
    }

    private let limiter: Mutex<RateLimiter<Key>>

    /// Creates a limiter (`rate` 0: no limit).
    public init(rate: Double, burst: Double) { limiter = Mutex(RateLimiter(rate: rate, burst: burst)) }

    /// Keeps the fixes whose device has a token (taking it) and returns how many were over the rate.
    public func screen(_ fixes: inout [Fix], from source: String, now: Double) -> Int {
        let before = fixes.count
        limiter.withLock { limiter in
            guard limiter.rate > 0 else { return }
            fixes.removeAll { !limiter.allow(Key(source: source, device: $0.device ?? ""), now: now) }
        }
        return before - fixes.count
    }

    /// How many of `fixes`, from the first, their devices can send now (without taking tokens), and the seconds
    /// until the first one left over could go.
    public func admissible(_ fixes: some Collection<Fix>, from source: String, now: Double) -> (
        count: Int, wait: Double
    ) {
        limiter.withLock { limiter in
            guard limiter.rate > 0 else { return (fixes.count, 0) }
            var used: [String: Int] = [:]
            var count = 0
            for fix in fixes {
                let device = fix.device ?? ""
                let key = Key(source: source, device: device)
                guard used[device, default: 0] < limiter.allowance(key, now: now) else {
                    return (count, limiter.wait(for: key, count: used[device, default: 0] + 1, now: now))
                }
                used[device, default: 0] += 1
                count += 1
            }
            return (count, 0)
        }
    }

    /// Takes the tokens of fixes that were handed on.
    public func consume(_ fixes: some Collection<Fix>, from source: String, now: Double) {
        limiter.withLock { limiter in
            guard limiter.rate > 0 else { return }
            var used: [String: Int] = [:]
            for fix in fixes { used[fix.device ?? "", default: 0] += 1 }
            for (device, count) in used {
                limiter.consume(Key(source: source, device: device), count: count, now: now)
            }
        }
    }
}
