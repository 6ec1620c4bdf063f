public import Tracking

/// What was done with one vehicle's fixes (an import's or a live server's).
public struct VehicleFixCounts: Sendable, Hashable {
    /// Fixes decoded for the vehicle.
    public var decoded = 0
    /// Fixes stored (new rows).
    public var stored = 0
    /// Fixes already in the database (re-imports add nothing).
    public var duplicates = 0
    /// Of the stored fixes, those older than the vehicle's last fix (flagged `late`).
    public var late = 0
    /// Of the stored fixes, those held at the parked position against drift (flagged `held`).
    public var held = 0
    /// Drops by reason.
    public var dropped: [DropReason: Int] = [:]

    /// Creates zero counts.
    public init() {}
}
