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

    /// What the filter reads of a stored fix (a few plain values: a whole `TrackPoint` is large to pass around).
    public struct Input: Sendable {
        /// When.
        public var time: UTCInstant
        /// Where, as stored.
        public var coordinate: Coordinate
        /// Speed over ground, m/s, when reported.
        public var speedMetersPerSecond: Double?
        /// Its flags as stored (late, held, ahead).
        public var flags: FixFlags
        /// For a fix the pipeline accepted in order: the segment it measured (`TrackPoint.segmentMeters`) and the time
        /// of the fix it measured it from. Taken instead of measuring again when the filter's previous fix is that
        /// one and both stand where the pipeline put them (the same function of the same values).
        public var pipelineSegment: (after: UTCInstant, meters: Double)?

        /// The values of `point`.
        public init(_ point: TrackPoint) {
            time = point.time
            coordinate = point.coordinate
            speedMetersPerSecond = point.speedMetersPerSecond
            flags = point.flags
        }
    }

    private let frame: LocalFrame
    private let outlier: OutlierStage
    private let parkingHold: ParkingHoldStage
    private let motion: MotionStage
    // What the stages keep of a vehicle (`VehicleState`), in values of its own: the filter runs for every stored fix a
    // report derivation reads, and copying whole points into and out of a `VehicleState` cost more than the rules.
    /// The last fix kept; `asPipeline`: a fix the pipeline accepted in order, kept where the pipeline put it.
    private var last: (time: UTCInstant, coordinate: Coordinate, planar: PlanarPoint, held: Bool, asPipeline: Bool)?
    private var motionState = MotionState.stopped
    private var slowSince: UTCInstant?
    private var parkedAt: (coordinate: Coordinate, planar: PlanarPoint)?
    private var outliersInARow = 0

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
    /// arrival would have stored it (held at the parked position, or as it is), with the distance from the previous
    /// fix kept (`LocalFrame.distanceMeters`; 0 for the first, and between two fixes held at one place); nil when it
    /// is a late fix the outlier rule leaves out, or cannot be projected.
    public mutating func filter(_ point: TrackPoint) -> (
        coordinate: Coordinate, planar: PlanarPoint, segmentMeters: Double
    )? {
        guard let planar = try? frame.project(point.coordinate) else { return nil }
        return filter(Input(point), planar: planar)
    }

    /// `filter(_:)` for a point already projected into the frame. The pipeline's outlier, parking hold and motion
    /// stages, in its order, by their own rules.
    public mutating func filter(_ point: Input, planar projected: PlanarPoint) -> (
        coordinate: Coordinate, planar: PlanarPoint, segmentMeters: Double
    )? {
        let time = point.time
        if point.flags.contains(.late) {
            if let last,
                !outlier.passes(
                    distance: last.planar.distance(to: projected), seconds: time.seconds(since: last.time),
                    outliersInARow: &outliersInARow)
            {
                return nil
            }
        } else {
            outliersInARow = 0
        }
        var coordinate = point.coordinate
        var planar = projected
        var held = point.flags.contains(.held)
        if let parked = parkedAt,
            parkingHold.holds(
                planar, motion: motionState, parkedAt: parked.planar,
                speed: speed(reported: point.speedMetersPerSecond, at: time, planar, after: last?.time, last?.planar))
        {
            coordinate = parked.coordinate
            planar = parked.planar
            held = true
        }
        let asPipeline =
            point.pipelineSegment != nil && coordinate == point.coordinate && planar == projected
            && held == point.flags.contains(.held)
        var segment = 0.0
        if let last {
            if asPipeline, last.asPipeline, let known = point.pipelineSegment, known.after == last.time {
                segment = known.meters
            } else {
                segment = motion.segment(
                    from: last.coordinate, last.planar, held: last.held, to: coordinate, planar, held: held)
            }
        }
        motion.advance(
            speed: speed(reported: point.speedMetersPerSecond, at: time, planar, after: last?.time, last?.planar),
            at: time, coordinate, planar, motion: &motionState, slowSince: &slowSince, parkedAt: &parkedAt)
        last = (time, coordinate, planar, held, asPipeline)
        return (coordinate, planar, segment)
    }

    /// Where it stands, to go on from later.
    public var state: State {
        var state = State()
        if let last {
            state.last = State.Moment(
                time: last.time.microsecondsSinceEpoch, latitude: last.coordinate.latitude,
                longitude: last.coordinate.longitude, held: last.held)
        }
        state.moving = motionState == .moving
        state.slowSince = slowSince?.microsecondsSinceEpoch
        state.parkedAt = parkedAt.map {
            State.Position(latitude: $0.coordinate.latitude, longitude: $0.coordinate.longitude)
        }
        state.outliers = outliersInARow
        return state
    }

    private mutating func restore(_ state: State) {
        last = nil
        if let moment = state.last {
            let coordinate = Coordinate(latitude: moment.latitude, longitude: moment.longitude)
            // Projected again: the same position gives the same planar point.
            if let planar = try? frame.project(coordinate) {
                last = (UTCInstant(microsecondsSinceEpoch: moment.time), coordinate, planar, moment.held, false)
            }
        }
        motionState = state.moving ? .moving : .stopped
        slowSince = state.slowSince.map { UTCInstant(microsecondsSinceEpoch: $0) }
        parkedAt = nil
        if let parked = state.parkedAt {
            let coordinate = Coordinate(latitude: parked.latitude, longitude: parked.longitude)
            if let planar = try? frame.project(coordinate) { parkedAt = (coordinate, planar) }
        }
        outliersInARow = state.outliers
    }
}
