public import OrbitaModel

/// Whether a vehicle is moving, with hysteresis.
public enum MotionState: String, Sendable, Hashable {
    /// Moving.
    case moving
    /// Stopped (below the stop speed for long enough).
    case stopped
}

/// What the pipeline knows about one vehicle: its last accepted fix, odometer, motion and drop counts.
public struct VehicleState: Sendable {
    /// The last fix accepted in time order.
    public var last: TrackPoint?
    /// The last accepted fix's planar position.
    public var lastPlanar: PlanarPoint?
    /// Distance driven over accepted fixes, metres.
    public var odometerMeters: Double = 0
    /// Moving or stopped.
    public var motion: MotionState = .stopped
    /// Since when the vehicle has been below the stop speed (while still `moving`).
    public var slowSince: UTCInstant?
    /// Where the vehicle parked (the position held against drift).
    public var parkedAt: (coordinate: Coordinate, planar: PlanarPoint)?
    /// Consecutive outliers dropped.
    public var consecutiveOutliers = 0
    /// Fixes accepted.
    public var accepted = 0
    /// Late fixes stored (older than `last`).
    public var late = 0
    /// Drops by reason.
    public var drops: [DropReason: Int] = [:]

    /// A fresh state.
    public init() {}
}
