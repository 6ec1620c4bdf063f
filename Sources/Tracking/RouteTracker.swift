import Geofencing
import OrbitaModel

/// One vehicle on one assigned route: progress by linear referencing and the deviation state machine of
/// ../shared/notes/ROUTE-DEVIATION.md.
///
/// - Progress `along` (metres from the start) is searched only in a window `[along − 50 m, along + v_max·Δt + 100 m]`
///   (on the route also at most 1.5 × the straight-line distance from the last on-route fix + 150 m), so an
///   out-and-back route never snaps to its opposite leg; moving vehicles prefer segments they drive along. Until the
///   trip has started the whole line is searched.
/// - Only good fixes are judged (HDOP ≤ 5, ≥ 4 satellites); a gap over 120 s restarts the counters.
/// - The corridor widens for poor fixes: max(corridor, 3 × 5 m × HDOP + 10 m), at most 200 m.
/// - Leave: ≥ 3 consecutive judged fixes outside AND ≥ 30 s AND ≥ 100 m driven outside → `routeDeviation`, dated at
///   the first fix outside. Return: 2 consecutive fixes within 0.6 × the corridor → `routeReturn` with the route length
///   skipped and the duration; checkpoints skipped meanwhile → `checkpointMissed`.
/// - Nothing is judged within 300 m of either terminal, before the trip has left the start terminal, after it reached
///   the end terminal, or while the vehicle is exempt (approved detour, silenced).
/// - Course more than 120° from the route's bearing at ≥ 10 km/h for 3 fixes → `wrongDirection` (once, until the
///   course agrees again).
struct RouteTracker {
    let route: ZoneSet.CompiledRoute
    let assignment: RouteAssignment
    let configuration: EventConfiguration
    /// The zone set it was built from.
    var generation = 0

    enum Status { case onRoute, offRoute }

    var status = Status.onRoute
    /// Progress along the route, metres (nil until the first judged fix), and when it was last on the route.
    var along: Double?
    var alongTime: UTCInstant?
    var alongPlanar: PlanarPoint?
    var lastJudged: (time: UTCInstant, planar: PlanarPoint)?
    var tripStarted = false
    var tripFinished = false
    /// Candidate leave: first fix outside, progress there, count, metres driven outside.
    var leave: (first: TrackPoint, along: Double, count: Int, driven: Double, maxDistance: Double)?
    /// The confirmed deviation.
    var deviation: (first: TrackPoint, along: Double, maxDistance: Double)?
    var returning: (first: TrackPoint, along: Double, count: Int)?
    var wrongCount = 0
    var wrongReported = false
    var nextCheckpoint = 0

    init(route: ZoneSet.CompiledRoute, assignment: RouteAssignment, configuration: EventConfiguration) {
        self.route = route
        self.assignment = assignment
        self.configuration = configuration
    }

    mutating func evaluate(_ point: TrackPoint, _ planar: PlanarPoint, exempt: Bool, events: inout [VehicleEvent]) {
        let line = route.line
        guard line.points.count >= 2 else { return }
        if let hdop = point.hdop, hdop > configuration.routeMaximumHDOP { return }
        if let satellites = point.satellitesUsed, satellites < configuration.routeMinimumSatellites { return }
        let time = point.time
        if let last = lastJudged {
            let seconds = time.seconds(since: last.time)
            if seconds > configuration.maximumGapSeconds {
                // Nothing is decided across a gap: counters start again.
                leave = nil
                returning = nil
                wrongCount = 0
            }
        }
        let driven = lastJudged.map { $0.planar.distance(to: planar) } ?? 0
        lastJudged = (time, planar)

        let width = max(
            route.route.corridorMeters,
            min(
                configuration.routeMaximumWidthMeters,
                3 * configuration.routeMetersPerHDOP * (point.hdop ?? 1) + configuration.routeWidthPaddingMeters))
        guard let projection = project(planar, point: point, width: width) else { return }
        let inside = projection.distance <= width
        let nearTerminal =
            planar.distance(to: line.points[0]) <= configuration.terminalMeters
            || planar.distance(to: line.points[line.points.count - 1]) <= configuration.terminalMeters

        // Trip boundaries: started once the vehicle is on the route past the start terminal (a bus that leaves the
        // terminal any other way is deadheading, not yet on its trip), finished at the end terminal.
        // A finished trip that comes back to the start terminal begins the next one (an assignment for a whole day).
        if tripFinished, planar.distance(to: line.points[0]) <= configuration.terminalMeters {
            startNextTrip()
        }
        if !tripStarted, !nearTerminal, inside, projection.along > configuration.terminalMeters {
            tripStarted = true
            // Checkpoints behind where the trip is first seen under way are not owed.
            while nextCheckpoint < route.checkpoints.count,
                route.checkpoints[nextCheckpoint].along + route.checkpoints[nextCheckpoint].checkpoint.radiusMeters
                    < projection.along
            {
                nextCheckpoint += 1
            }
        }
        if inside, tripStarted, projection.along >= line.length - configuration.terminalMeters { tripFinished = true }
        let judged = tripStarted && !tripFinished && !nearTerminal && !exempt

        switch status {
        case .onRoute:
            if inside {
                along = projection.along
                alongTime = time
                alongPlanar = planar
                leave = nil
                if judged { checkDirection(point, segment: projection.segment, events: &events) }
                checkCheckpoints(point, planar, events: &events)
            } else if judged {
                var candidate = leave ?? (point, along ?? projection.along, 0, 0, 0)
                candidate.count += 1
                if candidate.count > 1 { candidate.driven += driven }
                candidate.maxDistance = max(candidate.maxDistance, projection.distance)
                let outsideSeconds = time.seconds(since: candidate.first.time)
                if candidate.count >= configuration.leaveFixes, outsideSeconds >= configuration.leaveSeconds,
                    candidate.driven >= configuration.leaveMeters
                {
                    var event = VehicleEvent(
                        kind: .routeDeviation, vehicleID: point.vehicleID, time: candidate.first.time,
                        coordinate: candidate.first.coordinate, fixTime: candidate.first.time,
                        route: route.route.name)
                    event.distanceMeters = candidate.maxDistance
                    event.progressMeters = candidate.along
                    events.append(event)
                    deviation = (candidate.first, candidate.along, candidate.maxDistance)
                    status = .offRoute
                    leave = nil
                    returning = nil
                } else {
                    leave = candidate
                }
            } else {
                leave = nil
            }
        case .offRoute:
            if exempt {
                // An approved detour ends the deviation without a return event being owed.
                status = .onRoute
                deviation = nil
                returning = nil
                return
            }
            if projection.distance <= width * configuration.returnWidthFraction {
                var candidate = returning ?? (point, projection.along, 0)
                candidate.count += 1
                if candidate.count >= configuration.returnFixes, let deviation {
                    var event = VehicleEvent(
                        kind: .routeReturn, vehicleID: point.vehicleID, time: candidate.first.time,
                        coordinate: candidate.first.coordinate, fixTime: candidate.first.time, route: route.route.name)
                    event.progressMeters = candidate.along
                    event.skippedMeters = max(0, candidate.along - deviation.along)
                    event.durationSeconds =
                        candidate.first.time.seconds(since: deviation.first.time)
                    event.distanceMeters = deviation.maxDistance
                    events.append(event)
                    missCheckpoints(upTo: candidate.along, at: candidate.first, events: &events)
                    status = .onRoute
                    self.deviation = nil
                    returning = nil
                    along = projection.along
                    alongTime = time
                    alongPlanar = planar
                    if projection.along >= line.length - configuration.terminalMeters { tripFinished = true }
                } else {
                    returning = candidate
                }
            } else {
                returning = nil
                if !inside, var deviation {
                    deviation.maxDistance = max(deviation.maxDistance, projection.distance)
                    self.deviation = deviation
                }
            }
        }
    }

    /// The closest point of the route in the search window (the whole route for the first fix).
    private func project(_ planar: PlanarPoint, point: TrackPoint, width: Double)
        -> Polyline.Projection?
    {
        let line = route.line
        guard tripStarted, let current = along, let since = alongTime else {
            return firstProjection(planar, point: point, width: width)
        }
        // The vehicle can be at most v_max × (time since it was last on the route) further along, and the route
        // between there and here cannot be much longer than the straight line (else it took a shortcut: not on
        // the route, even where its path comes near a later part of it).
        let elapsed = point.time.seconds(since: since)
        // Off the route, the rejoin may be anywhere the vehicle could have reached (a skipped section).
        let straight = status == .onRoute ? alongPlanar.map { $0.distance(to: planar) } ?? .infinity : .infinity
        let upper =
            current
            + min(
                configuration.maximumRouteSpeed * max(0, elapsed),
                configuration.routeToStraightRatio * straight + configuration.straightSlackMeters)
            + configuration.forwardSlackMeters
        // A vehicle driving the route backwards (wrong direction, reported) is followed backwards too, so that it is
        // not also called off the route.
        let lower =
            wrongReported
            ? current - configuration.maximumRouteSpeed * max(0, elapsed) - configuration.forwardSlackMeters
            : current - configuration.backwardToleranceMeters
        let window = max(0, lower)...min(line.length, max(upper, current))
        // Moving with a known course: among the places within the corridor prefer those the vehicle drives along, so
        // that a spur or a hairpin of the route (out and back on the same street) does not flip progress to the other
        // leg. Otherwise, or when none matches, the nearest place.
        guard let nearest = line.project(planar, window: window, radius: .infinity) else { return nil }
        if let course = point.courseDegrees, let speed = point.speedMetersPerSecond,
            speed >= configuration.directionMinimumSpeed,
            Self.angle(course, line.bearing(ofSegment: nearest.segment)) > configuration.alongRouteDegrees
        {
            let matching = line.projections(planar, window: window, radius: width).filter {
                Self.angle(course, line.bearing(ofSegment: $0.segment)) <= configuration.alongRouteDegrees
            }
            if let best = matching.min(by: { ($0.distance, $0.along) < ($1.distance, $1.along) }) { return best }
        }
        return nearest
    }

    private func firstProjection(_ planar: PlanarPoint, point: TrackPoint, width: Double) -> Polyline.Projection? {
        let line = route.line
        // Near the route the segment grid finds the nearest place; the whole line is read only when it is far.
        guard
            let nearest = line.project(
                planar, radius: max(configuration.firstSearchMeters, configuration.firstSearchWidths * width))
                ?? line.project(planar)
        else {
            return nil
        }
        guard let course = point.courseDegrees, let speed = point.speedMetersPerSecond,
            speed >= configuration.directionMinimumSpeed
        else { return nearest }
        // Moving: among the segments within the corridor prefer one the vehicle drives along (out-and-back routes).
        let matching = line.projections(planar, window: 0...line.length, radius: width).filter {
            Self.angle(course, line.bearing(ofSegment: $0.segment)) <= configuration.firstFixAlongRouteDegrees
        }
        return matching.min(by: { ($0.distance, $0.along) < ($1.distance, $1.along) }) ?? nearest
    }

    /// Back at the start terminal after finishing: everything about the trip starts again.
    private mutating func startNextTrip() {
        status = .onRoute
        along = nil
        alongTime = nil
        alongPlanar = nil
        tripStarted = false
        tripFinished = false
        leave = nil
        deviation = nil
        returning = nil
        wrongCount = 0
        wrongReported = false
        nextCheckpoint = 0
    }

    static func angle(_ a: Double, _ b: Double) -> Double {
        let difference = abs(a - b).truncatingRemainder(dividingBy: 360)
        return difference > 180 ? 360 - difference : difference
    }

    private mutating func checkDirection(_ point: TrackPoint, segment: Int, events: inout [VehicleEvent]) {
        guard let course = point.courseDegrees, let speed = point.speedMetersPerSecond,
            speed >= configuration.directionMinimumSpeed
        else { return }
        let difference = Self.angle(course, route.line.bearing(ofSegment: segment))
        if difference > configuration.wrongDirectionDegrees {
            wrongCount += 1
            if wrongCount >= configuration.wrongDirectionFixes, !wrongReported {
                wrongReported = true
                var event = VehicleEvent(
                    kind: .wrongDirection, vehicleID: point.vehicleID, time: point.time, coordinate: point.coordinate,
                    fixTime: point.time, route: route.route.name)
                event.progressMeters = along
                events.append(event)
            }
        } else if difference <= configuration.rightDirectionDegrees {
            wrongCount = 0
            wrongReported = false
        }
    }

    private mutating func checkCheckpoints(_ point: TrackPoint, _ planar: PlanarPoint, events: inout [VehicleEvent]) {
        while nextCheckpoint < route.checkpoints.count {
            let next = route.checkpoints[nextCheckpoint]
            if planar.distance(to: next.point) <= next.checkpoint.radiusMeters {
                var event = VehicleEvent(
                    kind: .checkpointArrive, vehicleID: point.vehicleID, time: point.time,
                    coordinate: point.coordinate, fixTime: point.time, route: route.route.name,
                    checkpoint: next.checkpoint.name)
                event.progressMeters = along
                events.append(event)
                nextCheckpoint += 1
            } else if let along,
                along > next.along + next.checkpoint.radiusMeters + configuration.checkpointMissSlackMeters
            {
                missCheckpoints(upTo: along, at: point, events: &events)
            } else {
                return
            }
        }
    }

    /// `checkpointMissed` for every checkpoint not reached before `limit` along the route.
    private mutating func missCheckpoints(upTo limit: Double, at point: TrackPoint, events: inout [VehicleEvent]) {
        while nextCheckpoint < route.checkpoints.count {
            let next = route.checkpoints[nextCheckpoint]
            guard next.along + next.checkpoint.radiusMeters < limit else { return }
            var event = VehicleEvent(
                kind: .checkpointMissed, vehicleID: point.vehicleID, time: point.time, coordinate: point.coordinate,
                fixTime: point.time, route: route.route.name, checkpoint: next.checkpoint.name)
            event.progressMeters = next.along
            events.append(event)
            nextCheckpoint += 1
        }
    }
}
