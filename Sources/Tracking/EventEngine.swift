public import Geodesy
import Geofencing
public import OrbitaModel

/// Turns each vehicle's accepted fixes, in time order, into geofence and route events.
///
/// Membership (which fences hold the fix) is computed from the index; transitions compare it with the vehicle's
/// confirmed membership, with hysteresis: a change is confirmed when the fix is `fenceMarginMeters` beyond the edge, or
/// after `fencePersistFixes` fixes or `fencePersistSeconds` on the new side; the event carries the time and position of
/// the first fix on the new side. Initial state: a vehicle's first fix, and the first fix after a fence was added,
/// set membership silently (a fence drawn around a parked vehicle raises no `geofenceEnter`). Route judgement follows
/// `RouteTracker`.
///
/// Late fixes (flagged `.late`) must not be given to `evaluate`: they are replayed in order by the caller
/// (`TrackImporter` re-runs the vehicle's stored track from before the late data).
public final class EventEngine {
    /// The thresholds.
    public let configuration: EventConfiguration
    /// The frame fixes are projected into (the zones' frame).
    public let frame: LocalFrame
    /// The zones in force.
    public private(set) var zones: ZoneSet
    private var vehicles: [String: VehicleZoneState] = [:]
    /// Vehicle kinds, for fences limited to kinds.
    public var kinds: [String: VehicleKind] = [:]

    /// Creates an engine over compiled zones.
    public init(zones: ZoneSet, frame: LocalFrame, configuration: EventConfiguration = EventConfiguration()) {
        self.zones = zones
        self.frame = frame
        self.configuration = configuration
    }

    /// Replaces the zones (built with `previous:` set to the current ones, so that new fences start silently).
    public func replaceZones(_ zones: ZoneSet) {
        let old = self.zones
        var offsets: [String: Int] = [:]
        for (offset, fence) in zones.fences.enumerated() { offsets[fence.name] = offset }
        // Memberships follow their fence by name; removed fences are forgotten, new ones start silently.
        for state in vehicles.values {
            var moved: [FenceKey: FenceMembership] = [:]
            for (key, member) in state.membership {
                if let offset = offsets[old.fences[key.offset].name] { moved[FenceKey(offset: offset)] = member }
            }
            state.membership = moved
        }
        self.zones = zones
    }

    /// Forgets a vehicle (its next fix starts silently).
    public func reset(vehicleID: String) { vehicles[vehicleID] = nil }

    /// Sets a vehicle's state from a fix without raising events (resume after a restart or before newer data).
    public func prime(with point: TrackPoint) {
        let state = VehicleZoneState()
        vehicles[point.vehicleID] = state
        state.silentNext = true
        var ignored: [VehicleEvent] = []
        evaluate(point, appendingTo: &ignored)
    }

    /// Evaluates a vehicle's next fix (in time order) and appends the events it raises.
    /// - Parameter planar: the fix in the engine's frame when the caller has it (the pipeline projected it already);
    ///   nil projects it here.
    public func evaluate(
        _ point: TrackPoint, planar known: PlanarPoint? = nil, appendingTo events: inout [VehicleEvent]
    ) {
        guard let planar = known ?? (try? frame.project(point.coordinate)) else { return }
        let state: VehicleZoneState
        if let known = vehicles[point.vehicleID] {
            state = known
        } else {
            state = VehicleZoneState()
            state.silentNext = true
            vehicles[point.vehicleID] = state
        }
        let silent = state.silentNext
        state.silentNext = false
        evaluateFences(point, planar, state, silent: silent, events: &events)
        evaluateRoute(point, planar, state, events: &events)
        state.lastPlanar = planar
        state.lastPoint = point
        state.generation = zones.generation
    }

    // MARK: - Geofences

    private func applies(_ index: Int, to vehicleID: String) -> Bool {
        zones.appliesToAll[index] || zones.fences[index].applies(to: vehicleID, kind: kinds[vehicleID])
    }

    private func evaluateFences(
        _ point: TrackPoint, _ planar: PlanarPoint, _ state: VehicleZoneState, silent: Bool,
        events: inout [VehicleEvent]
    ) {
        let index = zones.index
        var raw: [Int] = []
        index.forEachContaining(planar) { fence in
            if applies(fence, to: point.vehicleID) { raw.append(fence) }
        }
        let time = point.time
        // Fences the fix is in, and fences the vehicle is (or may be becoming) in.
        var touched = Set(raw)
        for key in state.membership.keys { touched.insert(key.offset) }
        for fence in touched.sorted() {
            let isIn = raw.contains(fence)
            let key = FenceKey(offset: fence)
            var member = state.membership[key] ?? FenceMembership(inside: false, since: time)
            let isNew = zones.generations[fence] > state.generation
            if silent || isNew {
                member = FenceMembership(inside: isIn, since: time)
                member.dwellReported = true  // no dwell for a stay whose start we did not see
                state.membership[key] = isIn ? member : nil
                continue
            }
            if isIn == member.inside {
                member.pending = nil
            } else {
                var pending = member.pending ?? PendingTransition(first: point, count: 0)
                pending.count += 1
                let depth = index.shapes[fence].signedDistance(planar, limit: configuration.fenceMarginMeters)
                let beyondMargin =
                    isIn ? depth <= -configuration.fenceMarginMeters : depth >= configuration.fenceMarginMeters
                let persisted =
                    pending.count >= configuration.fencePersistFixes
                    || time.seconds(since: pending.first.time) >= configuration.fencePersistSeconds
                if beyondMargin || persisted {
                    var event = VehicleEvent(
                        kind: isIn ? .geofenceEnter : .geofenceExit, vehicleID: point.vehicleID,
                        time: pending.first.time, coordinate: pending.first.coordinate, fixTime: pending.first.time,
                        geofence: zones.fences[fence].name)
                    if !isIn {
                        event.durationSeconds = pending.first.time.seconds(since: member.since)
                    }
                    events.append(event)
                    member = FenceMembership(inside: isIn, since: pending.first.time)
                } else {
                    member.pending = pending
                }
            }
            if member.inside {
                checkDwellAndSpeed(fence, point, &member, events: &events)
                state.membership[key] = member
            } else {
                state.membership[key] = member.pending == nil ? nil : member
            }
        }
        if !silent { checkCrossings(point, planar, raw: raw, state, events: &events) }
    }

    private func checkDwellAndSpeed(
        _ fence: Int, _ point: TrackPoint, _ member: inout FenceMembership, events: inout [VehicleEvent]
    ) {
        let definition = zones.fences[fence]
        if let dwell = definition.dwellSeconds, !member.dwellReported {
            let inside = point.time.seconds(since: member.since)
            if inside >= dwell {
                member.dwellReported = true
                var event = VehicleEvent(
                    kind: .geofenceDwell, vehicleID: point.vehicleID, time: point.time, coordinate: point.coordinate,
                    fixTime: point.time, geofence: definition.name)
                event.durationSeconds = inside
                events.append(event)
            }
        }
        if let limit = definition.speedLimitKmh, let speed = point.speedMetersPerSecond.map({ $0 * 3.6 }) {
            if speed > limit, !member.overspeeding {
                member.overspeeding = true
                var event = VehicleEvent(
                    kind: .overspeed, vehicleID: point.vehicleID, time: point.time, coordinate: point.coordinate,
                    fixTime: point.time, geofence: definition.name)
                event.speedKmh = speed
                event.limitKmh = limit
                events.append(event)
            } else if speed <= limit - configuration.overspeedResetKmh {
                member.overspeeding = false
            }
        }
    }

    /// `geofenceCross`: the straight segment from the previous fix passes through a fence that neither fix is in.
    private func checkCrossings(
        _ point: TrackPoint, _ planar: PlanarPoint, raw: [Int], _ state: VehicleZoneState,
        events: inout [VehicleEvent]
    ) {
        guard !zones.fences.isEmpty, let previous = state.lastPoint, let from = state.lastPlanar, from != planar
        else { return }
        let gap = point.time.seconds(since: previous.time)
        guard gap > 0, gap <= configuration.crossMaximumGapSeconds else { return }
        let index = zones.index
        for fence in index.candidates(in: Box(around: [from, planar])) where !raw.contains(fence) {
            guard applies(fence, to: point.vehicleID), zones.generations[fence] <= state.generation,
                state.membership[FenceKey(offset: fence)]?.inside != true,
                !index.shapes[fence].contains(from),
                let t = index.shapes[fence].firstEntry(from: from, to: planar)
            else { continue }
            let time = previous.time.adding(seconds: gap * t)
            let coordinate = Coordinate(
                latitude: previous.coordinate.latitude + t * (point.coordinate.latitude - previous.coordinate.latitude),
                longitude: previous.coordinate.longitude + t
                    * (point.coordinate.longitude - previous.coordinate.longitude))
            events.append(
                VehicleEvent(
                    kind: .geofenceCross, vehicleID: point.vehicleID, time: time, coordinate: coordinate,
                    fixTime: point.time, geofence: zones.fences[fence].name))
        }
    }

    // MARK: - Routes

    private func evaluateRoute(
        _ point: TrackPoint, _ planar: PlanarPoint, _ state: VehicleZoneState, events: inout [VehicleEvent]
    ) {
        // The vehicle's assignments are looked up once per zone set (most vehicles have one or two).
        if state.assignmentsGeneration != zones.generation {
            state.assignments = zones.assignments[point.vehicleID] ?? []
            state.assignmentsGeneration = zones.generation
        }
        guard let assignment = state.assignments.last(where: { $0.covers(point.time) }) else {
            state.route = nil
            return
        }
        if state.route?.assignment != assignment || state.route?.generation != zones.generation {
            guard let route = zones.routes[assignment.route] else {
                state.route = nil
                return
            }
            if state.route?.assignment == assignment, state.route?.route.route == route.route {
                // New zones, same route: the trip in progress (and an open deviation) carries on.
                state.route?.generation = zones.generation
            } else {
                state.route = RouteTracker(route: route, assignment: assignment, configuration: configuration)
                state.route?.generation = zones.generation
            }
        }
        let exempt = zones.isExempt(point.vehicleID, at: point.time)
        state.route?.evaluate(point, planar, exempt: exempt, events: &events)
    }
}

/// Identifies a fence within the current zone set.
struct FenceKey: Hashable {
    let offset: Int
}

/// A vehicle's confirmed membership of one fence.
struct FenceMembership {
    var inside: Bool
    var since: UTCInstant
    var pending: PendingTransition?
    var dwellReported = false
    var overspeeding = false

    init(inside: Bool, since: UTCInstant) {
        self.inside = inside
        self.since = since
    }
}

/// A change of side not yet confirmed.
struct PendingTransition {
    var first: TrackPoint
    var count: Int
}

/// Everything the engine remembers about one vehicle.
final class VehicleZoneState {
    var membership: [FenceKey: FenceMembership] = [:]
    var lastPoint: TrackPoint?
    var lastPlanar: PlanarPoint?
    var generation = 0
    var silentNext = false
    var route: RouteTracker?
    var assignments: [RouteAssignment] = []
    var assignmentsGeneration = -1
}
