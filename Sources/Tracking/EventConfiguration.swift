/// Thresholds of the event engine. Route defaults are those of ../shared/notes/ROUTE-DEVIATION.md.
public struct EventConfiguration: Sendable, Hashable {
    // MARK: Geofences

    /// A fix this far inside (outside) a fence confirms an enter (exit) at once, metres.
    public var fenceMarginMeters: Double = 10
    /// Otherwise a transition needs this many consecutive fixes on the new side…
    public var fencePersistFixes: Int = 2
    /// …or this long on the new side, seconds.
    public var fencePersistSeconds: Double = 20
    /// Fixes further apart than this are not joined for `geofenceCross`, seconds.
    public var crossMaximumGapSeconds: Double = 600
    /// Overspeed ends (and may fire again) once the speed is this far below the limit, km/h.
    public var overspeedResetKmh: Double = 5

    // MARK: Routes

    /// Fixes with a larger HDOP are not judged against the route.
    public var routeMaximumHDOP: Double = 5
    /// Fixes with fewer satellites used are not judged.
    public var routeMinimumSatellites: Int = 4
    /// Widening for poor fixes: width = max(corridor, 3 × metresPerHDOP × HDOP + padding), capped.
    public var routeMetersPerHDOP: Double = 5
    /// The padding of the widened corridor, metres.
    public var routeWidthPaddingMeters: Double = 10
    /// Cap of the widened corridor, metres.
    public var routeMaximumWidthMeters: Double = 200
    /// Leave: at least this many consecutive judged fixes outside…
    public var leaveFixes: Int = 3
    /// …and this long outside, seconds…
    public var leaveSeconds: Double = 30
    /// …and this far driven outside, metres.
    public var leaveMeters: Double = 100
    /// Return: this many consecutive fixes within the inner threshold.
    public var returnFixes: Int = 2
    /// The inner threshold as a fraction of the corridor.
    public var returnWidthFraction: Double = 0.6
    /// No judgement within this distance of either terminal, metres.
    public var terminalMeters: Double = 300
    /// A gap longer than this restarts the counters (nothing is decided from one fix after it), seconds.
    public var maximumGapSeconds: Double = 120
    /// Fastest plausible speed along the route, for the forward search window, m/s.
    public var maximumRouteSpeed: Double = 25
    /// Progress since the last on-route fix may exceed the straight-line distance by at most this factor.
    public var routeToStraightRatio: Double = 1.5
    /// How far back along the route the search window reaches, metres.
    public var backwardToleranceMeters: Double = 50
    /// The forward search window's slack beyond what speed allows, metres (GPS error at both ends).
    public var forwardSlackMeters: Double = 100
    /// Slack added to the straight-line bound before the route-to-straight ratio applies, metres.
    public var straightSlackMeters: Double = 50
    /// A place on the route counts as driven along when the course is within this of its bearing, degrees.
    public var alongRouteDegrees: Double = 90
    /// The same for a vehicle's first judged fix (no progress known yet: stricter), degrees.
    public var firstFixAlongRouteDegrees: Double = 60
    /// A vehicle's first fix is looked for on the route within this (or `firstSearchWidths` corridor widths), metres.
    public var firstSearchMeters: Double = 1_000
    /// Course is compared with the route only at or above this speed, m/s (10 km/h).
    public var directionMinimumSpeed: Double = 2.78
    /// Course this far from the route's bearing counts as the wrong direction, degrees…
    public var wrongDirectionDegrees: Double = 120
    /// …for this many consecutive fixes; a course within `rightDirectionDegrees` of the bearing resets the count.
    public var wrongDirectionFixes: Int = 3
    /// Course this close to the route's bearing counts as driving the right way again, degrees.
    public var rightDirectionDegrees: Double = 60
    /// A checkpoint is missed once progress is this far past its circle, metres.
    public var checkpointMissSlackMeters: Double = 20
    /// The first-fix search radius is at least this many corridor widths.
    public var firstSearchWidths: Double = 4

    /// The defaults.
    public init() {}
}
