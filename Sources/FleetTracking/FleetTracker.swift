public import Geodesy
public import OrbitaModel
public import Tracking

/// Why fixes could not be tracked at all.
public enum FleetTrackingError: Error, CustomStringConvertible {
    /// The store failed (full disk, corrupt or locked database).
    case store(StoreError)
    /// The fleet's frame could not be built (unknown CRS).
    case frame(ProjError)

    /// One line for the CLI.
    public var description: String {
        switch self {
        case .store(let error): error.description
        case .frame(let error): "cannot build the local frame: \(error)"
        }
    }
}

/// The fleet-tracking core that file import and the live server share: the position pipeline (one per fleet, in its
/// metric frame), the event engine over the store's zones, each vehicle resumed from its last stored fix, zone
/// reloads, and the replay of late data. For each fix it says what it decided and appends the point to store and
/// the events it raised to the caller's batch; callers write and count. One thread uses it.
public final class FleetTracker {
    /// What was decided for one fix.
    public enum Decision: Sendable, Equatable {
        /// Accepted in time order; `events` were raised (appended to the caller's events).
        case accepted(events: Int)
        /// Stored, but not in time order (late, or ahead of the clock): it does not move the vehicle.
        case late
        /// Not stored.
        case dropped(DropReason)
    }

    private let store: any FleetStore
    private let configuration: TrackingConfiguration
    private let eventConfiguration: EventConfiguration
    private let crs: String?
    private let clock: any PipelineClock
    private var pipeline: PositionPipeline?
    private var engine: EventEngine?
    /// The store's zone revision when the zones in force were read (nil: not read yet).
    private var zoneRevision: Int64?
    /// Vehicles seen (resumed from the store the first time).
    private var resumed: Set<String> = []
    /// Vehicles forgotten since `lastStored` was read: resumed from the store itself, not from that cache.
    private var forgotten: Set<String> = []
    /// The last stored fix of every vehicle, read once at the first fix (one query, not one per vehicle).
    private var lastStored: [String: TrackPoint]?
    /// Per vehicle, the earliest late fix stored: its events are replayed in order by `replayLate`.
    private var earliestLate: [String: UTCInstant] = [:]

    /// How many vertices fences may have; stored fences over them are left out (see `skippedFences`).
    public var fenceLimits = GeofenceLimits()
    /// Stored fences not in force in the current zones (over the limits, invalid, or not projectable).
    public private(set) var skippedFences: [ZoneSet.SkippedFence] = []
    /// Called with each fence left out whenever the zones are (re)compiled.
    public var onSkippedFence: ((ZoneSet.SkippedFence) -> Void)?
    /// The planar position of the last fix accepted in order, in the pipeline's frame.
    public var lastAcceptedPlanar: PlanarPoint? { pipeline?.lastAcceptedPlanar }
    /// What the pipeline knew of the last fix it appended to the points to store.
    public func lastHint(accepted: Bool) -> PipelineHint {
        guard let pipeline else { return .none }
        return PipelineHint(pipeline, accepted: accepted)
    }
    /// The pipeline's metric frame, once the first position chose it (nil before).
    public var frameCRS: String? { pipeline?.frame.crs }
    /// The pipeline's thresholds.
    public var trackingConfiguration: TrackingConfiguration { configuration }
    /// Whether the store held zones (an event engine runs).
    public var raisesEvents: Bool { engine != nil }

    /// Creates a tracker over `store`.
    /// - Parameters:
    ///   - configuration: pipeline thresholds.
    ///   - events: event engine thresholds.
    ///   - crs: the fleet's metric frame; nil picks the UTM zone of the first position.
    ///   - clock: "now" for the time stage.
    public init(
        store: any FleetStore, configuration: TrackingConfiguration = TrackingConfiguration(),
        events: EventConfiguration = EventConfiguration(), crs: String? = nil, clock: any PipelineClock = SystemClock()
    ) {
        self.store = store
        self.configuration = configuration
        self.eventConfiguration = events
        self.crs = crs
        self.clock = clock
    }

    /// Runs one fix of `vehicleID` through the pipeline and the event engine; the point to store goes to `points`,
    /// the events it raised to `events`.
    /// - Parameter kind: the vehicle's kind to record (nil: as stored).
    /// - Throws: `FleetTrackingError` when the store or the frame fails.
    public func track(
        _ fix: Fix, vehicleID: String, kind: VehicleKind? = nil, source: String, points: inout [TrackPoint],
        events: inout [VehicleEvent]
    ) throws(FleetTrackingError) -> Decision {
        guard let pipeline = try pipeline(for: fix) else { return .dropped(.noFix) }
        if !resumed.contains(vehicleID) {
            // Marked resumed only once it was: a store that cannot be read now is asked again at the next fix.
            try resume(vehicleID, kind: kind, pipeline: pipeline, events: &events)
            resumed.insert(vehicleID)
        }
        let stored = points.count
        switch pipeline.process(fix, vehicleID: vehicleID, source: source, appendingTo: &points) {
        case .accepted:
            guard let engine, let planar = pipeline.lastAcceptedPlanar else { return .accepted(events: 0) }
            let before = events.count
            engine.evaluate(points[stored], planar: planar, appendingTo: &events)
            return .accepted(events: events.count - before)
        case .late: return .late
        case .dropped(let reason): return .dropped(reason)
        }
    }

    /// Whether a vehicle seen for the first time is resumed from the fleet's last positions, read once (one query
    /// for a whole fleet: an import, a single server), or from its own last fix, read then (a cluster node, whose
    /// vehicles move between nodes while it runs, so that a snapshot would be stale).
    public var resumesFromFleetSnapshot = true

    /// Whether late fixes wait for a replay of their vehicles' events.
    public var hasLateToReplay: Bool { !earliestLate.isEmpty }

    /// The vehicles it holds state of in memory.
    public var vehiclesInMemory: Set<String> { resumed }

    /// What `prepareResume` read for vehicles not yet resumed, used (and dropped) at each one's next fix.
    private var prepared: [String: RecentTrack] = [:]

    /// Reads in one go what resuming `vehicleIDs` from the store needs — those not in memory that would be resumed
    /// from the store itself (forgotten, or every vehicle when `resumesFromFleetSnapshot` is off) — instead of a few
    /// queries per vehicle at its first fix: a cluster node that claims shards meets thousands of such vehicles at
    /// once. Call before tracking their fixes; what an earlier call read and no fix used is dropped.
    public func prepareResume(_ vehicleIDs: some Sequence<String>) throws(FleetTrackingError) {
        prepared = [:]
        var wanted: Set<String> = []
        for id in vehicleIDs
        where !resumed.contains(id) && prepared[id] == nil
            && (!resumesFromFleetSnapshot || forgotten.contains(id))
        {
            wanted.insert(id)
        }
        guard !wanted.isEmpty else { return }
        let from = UTCInstant.now.adding(seconds: -Self.handoverReplaySeconds(eventConfiguration))
        do throws(StoreError) {
            prepared.merge(try store.recentTracks(vehicleIDs: Array(wanted), from: from)) { _, new in new }
        } catch {
            throw .store(error)
        }
    }

    /// Forgets what it holds in memory of `vehicleIDs` (another node may process them meanwhile): their next fix
    /// resumes them from the store, as after a restart.
    public func forget(_ vehicleIDs: some Sequence<String>) {
        for vehicleID in vehicleIDs {
            prepared[vehicleID] = nil
            resumed.remove(vehicleID)
            lastStored?[vehicleID] = nil
            forgotten.insert(vehicleID)
            // A pending late replay stays: it reads the stored track, whoever processes the vehicle now.
            pipeline?.forget(vehicleID: vehicleID)
            engine?.reset(vehicleID: vehicleID)
        }
    }

    /// Notes that a late fix was stored (not a duplicate): its vehicle's events are replayed by `replayLate`.
    public func noteLateStored(_ point: TrackPoint) {
        guard engine != nil, earliestLate[point.vehicleID].map({ point.time < $0 }) ?? true else { return }
        earliestLate[point.vehicleID] = point.time
    }

    /// Late fixes were stored out of order: runs each such vehicle's stored track through the engine again, in time
    /// order (through the pipeline's own projection and outlier rule), so that it raises the events in-order data
    /// would have raised. The replay starts `handoverReplaySeconds` before the earliest late fix (from the fix before
    /// that), so that transitions pending then are rebuilt; events already stored are skipped by the store, and fence
    /// events from the late fix on that the replay no longer raises — an enter confirmed at the fix after the one
    /// that came late — are retracted unless acknowledged (`retractedKinds`).
    /// - Returns: the events stored.
    public func replayLate() throws(FleetTrackingError) -> Int {
        guard let engine, let pipeline, !earliestLate.isEmpty else { return 0 }
        var stored = 0
        for (vehicleID, earliest) in earliestLate.sorted(by: { $0.key < $1.key }) {
            do throws(StoreError) {
                let from = earliest.adding(seconds: -Self.handoverReplaySeconds(eventConfiguration))
                let before = try store.lastPoint(
                    vehicleID: vehicleID,
                    atOrBefore: UTCInstant(microsecondsSinceEpoch: from.microsecondsSinceEpoch - 1))
                let track = try store.track(vehicleID: vehicleID, from: from, to: nil)
                engine.reset(vehicleID: vehicleID)
                if let before { engine.prime(with: before) }
                var events: [VehicleEvent] = []
                pipeline.replay(track, after: before) { point, planar in
                    engine.evaluate(point, planar: planar, appendingTo: &events)
                }
                stored += try store.insert([], events: events).eventsInserted
                retracted += try store.retractEvents(
                    vehicleID: vehicleID, kinds: Self.retractedKinds, from: earliest, keeping: events)
            } catch {
                throw .store(error)
            }
        }
        earliestLate = [:]
        return stored
    }

    /// The events a late replay may retract: fence transitions, whose state (membership and a persistence window) the
    /// replay rebuilds in full. Dwell, speed and route events depend on longer history and are only ever added.
    public static let retractedKinds: Set<EventKind> = [.geofenceEnter, .geofenceExit, .geofenceCross]

    /// Events retracted by late replays so far.
    public private(set) var retracted = 0

    /// Reads the zones again when they changed in the store since they were read (a live server calls this about
    /// once a second, so that `orbita geofence add` or a route assignment takes effect while it runs). Fences keep
    /// their memberships by name; new fences start silently (no enter for a vehicle already inside); removed ones
    /// are forgotten.
    /// - Returns: whether the zones were replaced.
    @discardableResult
    public func reloadZonesIfChanged() throws(FleetTrackingError) -> Bool {
        guard pipeline != nil else { return false }
        do {
            let revision = try store.zoneRevision()
            guard revision != zoneRevision else { return false }
            guard let engine else {
                // There were no zones when the engine would have been built: build it now. Vehicles already seen
                // start silently on their next fix; their kinds decide which fences apply.
                try buildEngine()
                if let engine {
                    for vehicle in try store.vehicles() where resumed.contains(vehicle.id) {
                        engine.kinds[vehicle.id] = vehicle.kind
                    }
                }
                return engine != nil
            }
            zoneRevision = revision
            let zones = try ZoneSet(
                frame: engine.frame, fences: try store.geofences(), routes: try store.routes(),
                assignments: try store.assignments(), exemptions: try store.exemptions(), previous: engine.zones,
                limits: fenceLimits)
            report(zones.skipped)
            engine.replaceZones(zones)
            return true
        } catch {
            throw Self.trackingError(error)
        }
    }

    /// Starts a vehicle from its last stored fix and records its kind (the kind decides which fences apply, so it is
    /// known before the engine is primed).
    private func resume(
        _ vehicleID: String, kind: VehicleKind?, pipeline: PositionPipeline, events: inout [VehicleEvent]
    ) throws(FleetTrackingError) {
        do throws(StoreError) {
            if let kind {
                // Only the kind changes: a registered vehicle keeps its name and registration.
                var registered = try store.vehicle(id: vehicleID) ?? Vehicle(id: vehicleID)
                registered.kind = kind
                try store.save(registered)
            }
            if lastStored == nil && resumesFromFleetSnapshot {
                lastStored = Dictionary(
                    try store.lastPositions().map { ($0.vehicleID, $0) }, uniquingKeysWith: { first, _ in first })
            }
            if let recent = prepared.removeValue(forKey: vehicleID), kind == nil {
                // Read by `prepareResume` with many others: the same as below, without a query.
                forgotten.remove(vehicleID)
                engine?.kinds[vehicleID] = recent.kind
                guard let last = recent.track.last ?? recent.before else { return }
                try? pipeline.resume(vehicleID: vehicleID, from: last)
                if let engine {
                    engine.reset(vehicleID: vehicleID)
                    if let before = recent.before { engine.prime(with: before) }
                    pipeline.replay(recent.track, after: recent.before) { point, planar in
                        engine.evaluate(point, planar: planar, appendingTo: &events)
                    }
                    if recent.track.isEmpty && recent.before == nil { engine.prime(with: last) }
                }
                return
            }
            if let engine {
                if let kind {
                    engine.kinds[vehicleID] = kind
                } else {
                    engine.kinds[vehicleID] = try store.vehicle(id: vehicleID)?.kind
                }
            }
            var last = lastStored?[vehicleID]
            let fromStore = forgotten.remove(vehicleID) != nil || !resumesFromFleetSnapshot
            if fromStore { last = try store.lastPoint(vehicleID: vehicleID, atOrBefore: UTCInstant.now) }
            if let last {
                try? pipeline.resume(vehicleID: vehicleID, from: last)
                if fromStore, let engine {
                    try rebuildEngineState(vehicleID, until: last, engine: engine, pipeline: pipeline, events: &events)
                } else {
                    engine?.prime(with: last)
                }
            }
        } catch {
            throw .store(error)
        }
    }

    /// Rebuilds a vehicle's event state from its recent stored track — the last `handoverReplaySeconds` before
    /// `last`, from the fix before them — as the node that processed it had it: a vehicle handed over between nodes
    /// (or resumed by a cluster node) keeps a fence transition that was pending, which priming from its last fix
    /// alone would lose. Events the replay raises go with the batch; those already stored are skipped by the store.
    private func rebuildEngineState(
        _ vehicleID: String, until last: TrackPoint, engine: EventEngine, pipeline: PositionPipeline,
        events: inout [VehicleEvent]
    ) throws(StoreError) {
        let from = last.time.adding(seconds: -Self.handoverReplaySeconds(eventConfiguration))
        let before = try store.lastPoint(
            vehicleID: vehicleID, atOrBefore: UTCInstant(microsecondsSinceEpoch: from.microsecondsSinceEpoch - 1))
        let track = try store.track(vehicleID: vehicleID, from: from, to: last.time)
        engine.reset(vehicleID: vehicleID)
        if let before { engine.prime(with: before) }
        pipeline.replay(track, after: before) { point, planar in
            engine.evaluate(point, planar: planar, appendingTo: &events)
        }
        if track.isEmpty && before == nil { engine.prime(with: last) }
    }

    /// How much stored track a handed-over vehicle's event state is rebuilt from: long enough for every pending fence
    /// transition (three persistence windows, at least five minutes).
    static func handoverReplaySeconds(_ configuration: EventConfiguration) -> Double {
        max(300, 3 * configuration.fencePersistSeconds)
    }

    /// The pipeline, built at the first fix with a position (its UTM zone, unless a CRS was given).
    private func pipeline(for fix: Fix) throws(FleetTrackingError) -> PositionPipeline? {
        if let pipeline { return pipeline }
        guard let latitude = fix.latitude, let longitude = fix.longitude, fix.hasPosition,
            abs(latitude) <= 90, abs(longitude) <= 180, latitude != 0 || longitude != 0
        else { return nil }
        do throws(ProjError) {
            let frame: LocalFrame
            if let crs {
                frame = try LocalFrame(crs: crs)
            } else {
                frame = try LocalFrame.utm(around: Coordinate(latitude: latitude, longitude: longitude))
            }
            pipeline = try PositionPipeline(configuration: configuration, frame: frame, clock: clock)
        } catch {
            throw .frame(error)
        }
        do { try buildEngine() } catch { throw Self.trackingError(error) }
        return pipeline
    }

    /// The event engine over the store's geofences and routes, in a frame of its own (same CRS as the pipeline's).
    private func buildEngine() throws {
        guard let frameCRS = pipeline?.frame.crs else { return }
        // The revision first: a change made while the zones are read shows at the next check.
        let revision = try store.zoneRevision()
        zoneRevision = revision
        let fences = try store.geofences()
        let routes = try store.routes()
        guard !fences.isEmpty || !routes.isEmpty else { return }
        let frame = try LocalFrame(crs: frameCRS)
        let zones = try ZoneSet(
            frame: frame, fences: fences, routes: routes, assignments: try store.assignments(),
            exemptions: try store.exemptions(), limits: fenceLimits)
        report(zones.skipped)
        engine = EventEngine(zones: zones, frame: frame, configuration: eventConfiguration)
    }

    private func report(_ skipped: [ZoneSet.SkippedFence]) {
        skippedFences = skipped
        for fence in skipped { onSkippedFence?(fence) }
    }

    private static func trackingError(_ error: any Error) -> FleetTrackingError {
        switch error {
        case let error as FleetTrackingError: error
        case let error as StoreError: .store(error)
        case let error as ProjError: .frame(error)
        default: .store(.io(String(describing: error)))
        }
    }
}
