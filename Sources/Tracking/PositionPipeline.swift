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
    private let aheadToleranceMicroseconds: Int64
    private let accuracy: AccuracyStage
    private let datum: DatumStage
    private let order = OrderStage()
    private let projection: ProjectionStage
    private let outlier: OutlierStage
    private let parkingHold: ParkingHoldStage
    private let motion: MotionStage
    /// One vehicle's state, boxed so that processing a fix updates it in place instead of copying it.
    private final class StateBox {
        @exclusivity(unchecked) var state = VehicleState()
        let slot: Int32

        init(slot: Int32) { self.slot = slot }
    }

    /// The next vehicle's slot (`PipelineHint.vehicleSlot`).
    @exclusivity(unchecked) private var nextSlot: Int32 = 0

    @exclusivity(unchecked) private var boxes: [String: StateBox] = [:]
    @exclusivity(unchecked) private var recentID = ""
    @exclusivity(unchecked) private var recentBox: StateBox?

    @exclusivity(unchecked) private var cachedNow: UTCInstant?
    @exclusivity(unchecked) private var fixesSinceClockRead = 0

    /// The clock, read at most every 256 fixes: "too old" may be judged against a clock a few hundred fixes stale
    /// (lenient); "future" is always confirmed with a fresh reading before a fix is dropped.
    @inline(__always)
    private func now(refresh: Bool = false) -> UTCInstant {
        fixesSinceClockRead += 1
        if refresh || fixesSinceClockRead >= 256 || cachedNow == nil {
            fixesSinceClockRead = 0
            cachedNow = clock.now
        }
        return cachedNow ?? clock.now
    }

    /// Per-vehicle state, by vehicle ID.
    public var states: [String: VehicleState] { boxes.mapValues(\.state) }

    /// One vehicle's state.
    public func state(of vehicleID: String) -> VehicleState? { boxes[vehicleID]?.state }

    @inline(__always)
    private func box(_ vehicleID: String) -> StateBox {
        if let recentBox, recentID == vehicleID { return recentBox }
        let box: StateBox
        if let known = boxes[vehicleID] {
            box = known
        } else {
            box = StateBox(slot: nextSlot)
            // Slots are not reused: past Int32.max (two billion vehicles met) they stop being given.
            if nextSlot < .max { nextSlot += 1 }
            boxes[vehicleID] = box
        }
        recentID = vehicleID
        recentBox = box
        return box
    }

    /// The planar position of the last accepted fix (what later stages, like the event engine, work on).
    public private(set) var lastAcceptedPlanar: PlanarPoint?

    /// The time of the fix the last accepted one's segment (`TrackPoint.segmentMeters`) was measured from: the
    /// vehicle's previous accepted fix (nil: none).
    public private(set) var lastAcceptedAfter: UTCInstant?

    /// The slot of the vehicle of the last fix processed (see `PipelineHint`).
    public private(set) var lastVehicleSlot: Int32 = -1

    /// Creates a pipeline.
    /// - Throws: `ProjError` if the datum operations cannot be built.
    public init(
        configuration: TrackingConfiguration = TrackingConfiguration(), frame: LocalFrame,
        clock: any PipelineClock = SystemClock()
    ) throws(ProjError) {
        self.configuration = configuration
        self.frame = frame
        self.clock = clock
        aheadToleranceMicroseconds = Int64(configuration.aheadToleranceSeconds * 1e6)
        time = TimeStage(
            futureToleranceMicroseconds: Int64(configuration.futureToleranceSeconds * 1e6),
            maximumAgeMicroseconds: configuration.maximumAgeSeconds.map { Int64($0 * 1e6) })
        accuracy = AccuracyStage(
            maximumHDOP: configuration.maximumHDOP, minimumSatellites: configuration.minimumSatellites)
        datum = DatumStage(converter: try DatumConverter())
        projection = ProjectionStage(frame: frame)
        outlier = OutlierStage(configuration)
        parkingHold = ParkingHoldStage(configuration)
        motion = MotionStage(frame: frame, configuration)
    }

    /// Forgets a vehicle's state: its next fix starts it afresh, unless `resume` starts it from a stored fix first.
    public func forget(vehicleID: String) { boxes[vehicleID] = nil }

    /// Starts a vehicle's state from its last stored fix (after a restart, a cluster handover, or before importing
    /// newer data). Parked when that fix was held at a parked position; otherwise moving — a fresh state's "stopped"
    /// would hold the drift of a vehicle that only slowed down (its fixes stored held, its distance lost) — and, when
    /// the fix was slow, slow since it: stopped once slow for `stopAfterSeconds` from there.
    public func resume(vehicleID: String, from last: TrackPoint) throws(ProjError) {
        let box = box(vehicleID)
        let planar = try frame.project(last.coordinate)
        box.state.lastPlanar = planar
        box.state.last = last
        if last.flags.contains(.held) {
            box.state.motion = .stopped
            box.state.slowSince = nil
            box.state.parkedAt = (last.coordinate, planar)
        } else {
            box.state.motion = .moving
            box.state.parkedAt = nil
            let slow = (last.speedMetersPerSecond ?? 0) < configuration.stoppedSpeedMetersPerSecond
            box.state.slowSince = slow ? last.time : nil
        }
    }

    /// Runs one fix through every stage.
    public func process(_ fix: Fix, vehicleID: String, source: String) -> PipelineOutcome {
        var points: [TrackPoint] = []
        switch process(fix, vehicleID: vehicleID, source: source, appendingTo: &points) {
        case .accepted: return .accepted(points[0])
        case .late: return .late(points[0])
        case .dropped(let reason): return .dropped(reason)
        }
    }

    /// What the pipeline decided, without the point (which `process(_:vehicleID:source:appendingTo:)` appends).
    public enum Decision: Sendable, Equatable {
        /// Accepted in time order.
        case accepted
        /// Older than the vehicle's last accepted fix; stored as late.
        case late
        /// Dropped.
        case dropped(DropReason)
    }

    /// Runs one fix through every stage and appends the point to store, if any, to `points` (no copies of the
    /// point on the way: the fast path for import and ingest).
    public func process(_ fix: Fix, vehicleID: String, source: String, appendingTo points: inout [TrackPoint])
        -> Decision
    {
        let box = box(vehicleID)
        lastVehicleSlot = box.slot
        let decision = run(fix, vehicleID: vehicleID, source: source, state: &box.state, points: &points)
        switch decision {
        case .dropped(let reason): box.state.drops[reason, default: 0] += 1
        case .late: box.state.late += 1
        case .accepted: break
        }
        return decision
    }

    @inline(__always)
    private func run(
        _ fix: Fix, vehicleID: String, source: String, state: inout VehicleState, points: inout [TrackPoint]
    ) -> Decision {
        var candidate: PipelineFix
        switch validity.process(fix, vehicleID: vehicleID, source: source) {
        case .success(let valid): candidate = valid
        case .failure(let reason): return .dropped(reason)
        }
        if case .drop(let reason) = time.process(&candidate, now: now()),
            reason != .future || time.process(&candidate, now: now(refresh: true)) != .pass
        {
            return .dropped(reason)
        }
        if case .drop(let reason) = accuracy.process(&candidate) { return .dropped(reason) }
        if case .drop(let reason) = datum.process(&candidate) { return .dropped(reason) }
        let time = candidate.point.time.microsecondsSinceEpoch
        if time > now().microsecondsSinceEpoch + aheadToleranceMicroseconds,
            time > now(refresh: true).microsecondsSinceEpoch + aheadToleranceMicroseconds
        {
            // Held out of the live state: stored (nothing is lost), flagged, and the vehicle's "now" stays.
            candidate.point.flags.insert(.ahead)
            points.append(candidate.point)
            return .late
        }
        if case .drop(let reason) = order.process(&candidate, state: state) { return .dropped(reason) }
        if candidate.point.flags.contains(.late) {
            points.append(candidate.point)
            return .late
        }
        if case .drop(let reason) = projection.process(&candidate) { return .dropped(reason) }
        if case .drop(let reason) = outlier.process(&candidate, state: &state) { return .dropped(reason) }
        _ = parkingHold.process(&candidate, state: state)
        let previous = state.last?.time
        motion.process(&candidate, state: &state)
        points.append(candidate.point)
        lastAcceptedPlanar = candidate.planar
        lastAcceptedAfter = previous
        return .accepted
    }

    /// Runs stored points of one vehicle, in time order after `before` (its fix before them, if any), through the
    /// projection and outlier stages as live data goes through them, and hands each point the outlier rule keeps to
    /// `body` with its planar position: how late data is replayed into the event engine with the same rule.
    public func replay(
        _ track: [TrackPoint], after before: TrackPoint?, _ body: (TrackPoint, PlanarPoint) -> Void
    ) {
        var state = VehicleState()
        if let before, let planar = try? frame.project(before.coordinate) {
            state.last = before
            state.lastPlanar = planar
        }
        for point in track {
            var candidate = PipelineFix(point: point, planar: nil)
            guard projection.process(&candidate) == .pass, let planar = candidate.planar,
                outlier.process(&candidate, state: &state) == .pass
            else { continue }
            state.last = point
            state.lastPlanar = planar
            body(point, planar)
        }
    }

    /// Drops by reason over every vehicle.
    public var dropTotals: [DropReason: Int] {
        boxes.values.reduce(into: [:]) { totals, box in totals.merge(box.state.drops, uniquingKeysWith: +) }
    }
}
