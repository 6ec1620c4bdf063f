public import OrbitaModel

/// Where the pipeline gets "now" from (injected, so that tests and replays control it).
public protocol PipelineClock {
    /// The current instant.
    var now: UTCInstant { get }
}

/// The system's real-time clock.
public struct SystemClock: PipelineClock {
    /// Creates the clock.
    public init() {}

    /// The current instant.
    public var now: UTCInstant { .now }
}

/// A clock that says what it is told.
public struct FixedClock: PipelineClock {
    /// The instant it reports.
    public var now: UTCInstant

    /// A clock stopped at an instant.
    public init(_ now: UTCInstant) { self.now = now }
}
