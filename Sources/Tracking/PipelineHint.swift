public import OrbitaModel

/// What the pipeline already knew of a point it handed over to be stored, for what reads the point again after it is
/// stored (report maintenance): which vehicle state it kept it in, and, for a point accepted in time order, its planar
/// position. A hint, not a key: whoever uses it checks the vehicle ID.
public struct PipelineHint: Sendable, Hashable {
    /// The pipeline's number for the vehicle, the same for all of its points while the pipeline keeps its state and
    /// never given to another vehicle (`PositionPipeline.lastVehicleSlot`); -1 when unknown.
    public var vehicleSlot: Int32
    /// Its planar position in the pipeline's frame when accepted in time order; not finite otherwise.
    public var planar: PlanarPoint
    /// For a point accepted in time order: the time of the vehicle's previous accepted fix, which its
    /// `TrackPoint.segmentMeters` was measured from (nil: none, or not accepted in order).
    public var segmentAfter: UTCInstant?

    /// Creates one.
    public init(vehicleSlot: Int32, planar: PlanarPoint, segmentAfter: UTCInstant? = nil) {
        self.vehicleSlot = vehicleSlot
        self.planar = planar
        self.segmentAfter = segmentAfter
    }

    /// What `pipeline` knew of the last fix it processed, `accepted` in time order or not.
    public init(_ pipeline: PositionPipeline, accepted: Bool) {
        self.init(
            vehicleSlot: pipeline.lastVehicleSlot,
            planar: accepted ? pipeline.lastAcceptedPlanar ?? Self.notProjected : Self.notProjected,
            segmentAfter: accepted ? pipeline.lastAcceptedAfter : nil)
    }

    /// A planar position that says "not projected by the pipeline".
    public static let notProjected = PlanarPoint(x: .nan, y: .nan)

    /// Nothing known.
    public static let none = PipelineHint(vehicleSlot: -1, planar: notProjected)
}
