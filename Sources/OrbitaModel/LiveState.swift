/// What a dispatcher sees of a vehicle from its last position — one rule for the API, the map and its replay
/// (Wialon and Traccar show the same three states).
public enum LiveState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Reported within `staleAfterSeconds`, faster than `movingAboveMetersPerSecond`.
    case moving
    /// Reported within `staleAfterSeconds`, at walking pace or slower.
    case stopped
    /// Nothing reported for longer than `staleAfterSeconds`.
    case stale
    /// Never reported.
    case unknown

    /// A vehicle whose last fix is older than this is stale, seconds.
    public static let staleAfterSeconds: Int64 = 600
    /// Faster than this is moving, m/s (≈ 5 km/h, as the pipeline's stopped speed).
    public static let movingAboveMetersPerSecond = 1.4

    /// The state of a vehicle whose last fix is `last`, at `now`.
    public init(last: TrackPoint?, now: UTCInstant) {
        self.init(reportedAt: last?.time, speedMetersPerSecond: last?.speedMetersPerSecond, now: now)
    }

    /// The state of a vehicle last reported at `time` (nil: never) with that speed, at `now`.
    public init(reportedAt time: UTCInstant?, speedMetersPerSecond speed: Double?, now: UTCInstant) {
        guard let time else {
            self = .unknown
            return
        }
        let age = (now.microsecondsSinceEpoch - time.microsecondsSinceEpoch) / 1_000_000
        self = age > Self.staleAfterSeconds ? .stale : Self(speedMetersPerSecond: speed)
    }

    /// Moving or stopped, by speed alone (a fix being replayed is never stale).
    public init(speedMetersPerSecond speed: Double?) {
        self = (speed ?? 0) > Self.movingAboveMetersPerSecond ? .moving : .stopped
    }
}
