public import Geodesy
public import OrbitaModel

/// Gives a stored track, read in time order, the shape the pipeline gives fixes that arrive in time order — whatever
/// order they arrived in. Fixes stored late skipped the pipeline's outlier rule and parking hold (their neighbours
/// were not known yet); this applies both, with the pipeline's own stages and thresholds: a late fix the rule would
/// have dropped is left out, and a halted fix near where the vehicle parked is held there. Fixes stored in order
/// passed the rule already and are kept. What reads a track to derive something that must not depend on arrival
/// order (report rows) reads it through this.
public struct StoredTrackFilter {
    /// Everything the filter carries from one fix to the next, to stop after a fix and go on later from there
    /// (planar positions are projected again: the same position gives the same planar point).
    public struct State: Sendable, Hashable, Codable {
        /// The last fix kept: time (µs), latitude, longitude, and whether it was held.
        var last: Moment?
        /// Whether the vehicle counts as moving.
        var moving = false
        /// Since when it has been below the stop speed while moving, µs.
        var slowSince: Int64?
        /// Where it parked.
        var parkedAt: Position?
        /// Late outliers left out in a row.
        var outliers = 0

        struct Moment: Sendable, Hashable, Codable {
            var time: Int64
            var latitude: Double
            var longitude: Double
            var held: Bool
        }

        struct Position: Sendable, Hashable, Codable {
            var latitude: Double
            var longitude: Double
        }

        /// A filter that has seen no fix.
        public init() {}
    }

    private let frame: LocalFrame
    private let outlier: OutlierStage
    private let parkingHold: ParkingHoldStage
    private let motion: MotionStage
    private var vehicle = VehicleState()

    /// A filter in the pipeline's `frame` with its `configuration`, starting from `state`.
    public init(
        frame: LocalFrame, configuration: TrackingConfiguration = TrackingConfiguration(), state: State = State()
    ) {
        self.frame = frame
        outlier = OutlierStage(configuration)
        parkingHold = ParkingHoldStage(configuration)
        motion = MotionStage(frame: frame, configuration)
        restore(state)
    }

    /// Where the next stored fix (later than the previous one) stands, and its planar position, as an in-order
    /// arrival would have stored it (held at the parked position, or as it is); nil when it is a late fix the
    /// outlier rule leaves out, or cannot be projected.
    public mutating func filter(_ point: TrackPoint) -> (coordinate: Coordinate, planar: PlanarPoint)? {
        guard let planar = try? frame.project(point.coordinate) else { return nil }
        return filter(point, planar: planar)
    }

    /// `filter(_:)` for a point already projected into the frame.
    public mutating func filter(_ point: TrackPoint, planar: PlanarPoint) -> (
        coordinate: Coordinate, planar: PlanarPoint
    )? {
        var candidate = PipelineFix(point: point, planar: planar)
        if point.flags.contains(.late) {
            guard outlier.process(&candidate, state: &vehicle) == .pass else { return nil }
        } else {
            vehicle.consecutiveOutliers = 0
        }
        _ = parkingHold.process(&candidate, state: vehicle)
        motion.process(&candidate, state: &vehicle)
        guard let projected = candidate.planar else { return nil }
        return (candidate.point.coordinate, projected)
    }

    /// Where it stands, to go on from later.
    public var state: State {
        var state = State()
        if let last = vehicle.last {
            state.last = State.Moment(
                time: last.time.microsecondsSinceEpoch, latitude: last.coordinate.latitude,
                longitude: last.coordinate.longitude, held: last.flags.contains(.held))
        }
        state.moving = vehicle.motion == .moving
        state.slowSince = vehicle.slowSince?.microsecondsSinceEpoch
        state.parkedAt = vehicle.parkedAt.map {
            State.Position(latitude: $0.coordinate.latitude, longitude: $0.coordinate.longitude)
        }
        state.outliers = vehicle.consecutiveOutliers
        return state
    }

    private mutating func restore(_ state: State) {
        vehicle = VehicleState()
        if let last = state.last {
            let coordinate = Coordinate(latitude: last.latitude, longitude: last.longitude)
            vehicle.last = TrackPoint(
                vehicleID: "", time: UTCInstant(microsecondsSinceEpoch: last.time), coordinate: coordinate,
                flags: last.held ? .held : [])
            vehicle.lastPlanar = try? frame.project(coordinate)
        }
        vehicle.motion = state.moving ? .moving : .stopped
        vehicle.slowSince = state.slowSince.map { UTCInstant(microsecondsSinceEpoch: $0) }
        if let parked = state.parkedAt {
            let coordinate = Coordinate(latitude: parked.latitude, longitude: parked.longitude)
            if let planar = try? frame.project(coordinate) { vehicle.parkedAt = (coordinate, planar) }
        }
        vehicle.consecutiveOutliers = state.outliers
    }
}
