import OrbitaModel
import Testing

/// One rule for what a dispatcher sees of a vehicle (the API's `state`, the map's markers).
@Suite("live state rule")
struct LiveStateTests {
    static let now = UTCInstant(microsecondsSinceEpoch: 1_800_000_000_000_000)

    static func reported(secondsAgo: Int64, speed: Double?) -> LiveState {
        LiveState(
            reportedAt: UTCInstant(microsecondsSinceEpoch: now.microsecondsSinceEpoch - secondsAgo * 1_000_000),
            speedMetersPerSecond: speed, now: now)
    }

    @Test func staleAfterTenMinutesMovingAboveWalkingPace() {
        #expect(LiveState(last: nil, now: Self.now) == .unknown)
        #expect(Self.reported(secondsAgo: 600, speed: 10) == .moving)
        #expect(Self.reported(secondsAgo: 601, speed: 10) == .stale)
        #expect(Self.reported(secondsAgo: 5, speed: 1.4) == .stopped)
        #expect(Self.reported(secondsAgo: 5, speed: 1.5) == .moving)
        #expect(Self.reported(secondsAgo: 5, speed: nil) == .stopped)
        #expect(LiveState(speedMetersPerSecond: 3) == .moving)
    }
}
