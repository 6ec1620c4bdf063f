/// Thresholds of the position pipeline. Defaults follow what fleet systems ship (Traccar's filter keys, see
/// ../shared/notes/ANCHORS.md §3.2) adjusted for GNSS receivers that report HDOP and satellites.
public struct TrackingConfiguration: Sendable, Hashable {
    /// Fixes more than this far in the future (tracker clock ahead) are dropped, seconds.
    public var futureToleranceSeconds: Double = 600
    /// Fixes dated more than this ahead of the clock (but within `futureToleranceSeconds`) are stored flagged
    /// `ahead` and do not move the vehicle's live state, seconds: a genuine GNSS fix is never ahead of an
    /// NTP-synchronised server, so one stamped minutes ahead cannot freeze a vehicle or turn its real fixes `late`.
    public var aheadToleranceSeconds: Double = 30
    /// Fixes older than this (relative to the clock) are dropped, seconds; nil keeps history of any age (imports).
    public var maximumAgeSeconds: Double? = nil
    /// Fixes with a larger HDOP are dropped.
    public var maximumHDOP: Double = 10
    /// Fixes that report fewer satellites used are dropped (when the count is known).
    public var minimumSatellites: Int = 3
    /// A fix implying a faster move from the previous accepted fix is an outlier, m/s (300 km/h).
    public var maximumSpeedMetersPerSecond: Double = 83.3
    /// Moves shorter than this are never outliers, metres (GNSS noise at short intervals).
    public var outlierMinimumDistanceMeters: Double = 200
    /// After this many consecutive outliers the next fix is accepted and the track restarts there (the vehicle did
    /// move: a long tunnel, a tracker switched off and carried).
    public var outlierResetCount: Int = 3
    /// Below this speed a vehicle counts as stopped, m/s (≈ 5 km/h).
    public var stoppedSpeedMetersPerSecond: Double = 1.4
    /// A stopped vehicle becomes `stopped` after this long below the speed, seconds (hysteresis).
    public var stopAfterSeconds: Double = 30
    /// A stopped vehicle whose position drifts less than this from where it parked keeps the parked position,
    /// metres; 0 turns the hold off.
    public var parkingHoldRadiusMeters: Double = 30

    /// The defaults.
    public init() {}
}
