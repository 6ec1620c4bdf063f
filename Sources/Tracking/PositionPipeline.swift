public import Geodesy
public import OrbitaModel

/// What happened to one fix.
public enum PipelineOutcome: Sendable {
    /// Accepted in time order: store it; it moved the vehicle's state.
    case accepted(TrackPoint)
    /// Older than the vehicle's last accepted fix: store it (flagged `late`); the live state did not change.
    case late(TrackPoint)
    /// Dropped, with the reason.
    case dropped(DropReason)

    /// The point to store, if any.
    public var point: TrackPoint? {
        switch self {
        case .accepted(let point), .late(let point): point
        case .dropped: nil
        }
    }
}

/// The position pipeline, written once, in order, as small stages:
/// validity → time → accuracy → datum → order (duplicate / late) → projection → outlier → parking hold → motion.
///
/// One pipeline serves batch import and the live server. Fixes of a vehicle must arrive in time order to move its
/// state; older ones are stored as late. The pipeline owns PROJ objects, so it belongs to one thread or actor;
/// run one pipeline per shard of vehicles to use more cores.
public final class PositionPipeline {
    /// The thresholds.
    public let configuration: TrackingConfiguration
    /// The fleet's metric frame.
    public let frame: LocalFrame
    private let clock: any PipelineClock
    private let validity = ValidityStage()
    private let time: TimeStage
    private let accuracy: AccuracyStage
    private let datum: DatumStage
    private let order = OrderStage()
    private let projection: ProjectionStage
    private let outlier: OutlierStage
    private let parkingHold: ParkingHoldStage
    private let motion: MotionStage
    /// Per-vehicle state, by vehicle ID.
    public private(set) var states: [String: VehicleState] = [:]

    /// Creates a pipeline.
    /// - Throws: `ProjError` if the datum operations cannot be built.
    public init(
        configuration: TrackingConfiguration = TrackingConfiguration(), frame: LocalFrame,
        clock: any PipelineClock = SystemClock()
    ) throws(ProjError) {
        self.configuration = configuration
        self.frame = frame
        self.clock = clock
        time = TimeStage(
            futureToleranceMicroseconds: Int64(configuration.futureToleranceSeconds * 1e6),
            maximumAgeMicroseconds: configuration.maximumAgeSeconds.map { Int64($0 * 1e6) })
        accuracy = AccuracyStage(
            maximumHDOP: configuration.maximumHDOP, minimumSatellites: configuration.minimumSatellites)
        datum = DatumStage(converter: try DatumConverter())
        projection = ProjectionStage(frame: frame)
        outlier = OutlierStage(
            maximumSpeed: configuration.maximumSpeedMetersPerSecond,
            minimumDistance: configuration.outlierMinimumDistanceMeters, resetCount: configuration.outlierResetCount)
        parkingHold = ParkingHoldStage(
            radius: configuration.parkingHoldRadiusMeters, stoppedSpeed: configuration.stoppedSpeedMetersPerSecond)
        motion = MotionStage(
            frame: frame, stoppedSpeed: configuration.stoppedSpeedMetersPerSecond,
            stopAfterMicroseconds: Int64(configuration.stopAfterSeconds * 1e6))
    }

    /// Starts a vehicle's state from its last stored fix (after a restart, or before importing newer data).
    public func resume(vehicleID: String, from last: TrackPoint) throws(ProjError) {
        var state = states[vehicleID] ?? VehicleState()
        state.last = last
        state.lastPlanar = try frame.project(last.coordinate)
        states[vehicleID] = state
    }

    /// Runs one fix through every stage.
    public func process(_ fix: Fix, vehicleID: String, source: String) -> PipelineOutcome {
        var state = states[vehicleID] ?? VehicleState()
        let outcome = run(fix, vehicleID: vehicleID, source: source, state: &state)
        switch outcome {
        case .dropped(let reason): state.drops[reason, default: 0] += 1
        case .late: state.late += 1
        case .accepted: break
        }
        states[vehicleID] = state
        return outcome
    }

    private func run(_ fix: Fix, vehicleID: String, source: String, state: inout VehicleState) -> PipelineOutcome {
        var candidate: PipelineFix
        switch validity.process(fix, vehicleID: vehicleID, source: source) {
        case .success(let valid): candidate = valid
        case .failure(let reason): return .dropped(reason)
        }
        if case .drop(let reason) = time.process(&candidate, now: clock.now) { return .dropped(reason) }
        if case .drop(let reason) = accuracy.process(&candidate) { return .dropped(reason) }
        if case .drop(let reason) = datum.process(&candidate) { return .dropped(reason) }
        if case .drop(let reason) = order.process(&candidate, state: state) { return .dropped(reason) }
        if candidate.point.flags.contains(.late) { return .late(candidate.point) }
        if case .drop(let reason) = projection.process(&candidate) { return .dropped(reason) }
        if case .drop(let reason) = outlier.process(&candidate, state: &state) { return .dropped(reason) }
        _ = parkingHold.process(&candidate, state: state)
        motion.process(&candidate, state: &state)
        return .accepted(candidate.point)
    }

    /// Drops by reason over every vehicle.
    public var dropTotals: [DropReason: Int] {
        states.values.reduce(into: [:]) { totals, state in totals.merge(state.drops, uniquingKeysWith: +) }
    }
}
