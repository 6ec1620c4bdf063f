import Foundation
import GeoJSON
import Geodesy
import Geofencing
import OrbitaModel
import OrbitaTesting
import Testing
import Tracking

/// Real buses (WMATA, Washington DC: 20,777 GTFS-realtime positions of 31 buses on 132 trips) and Lviv's GTFS shapes.
@Suite("route deviation on real routes", .enabled(if: Corpus.isPresent, "../shared/corpus absent"))
struct RouteCorpusTests {
    struct Trip {
        var vehicle: String
        var tripID: String
        var shape: String
        var points: [TrackPoint]
    }

    /// The WMATA positions grouped by (vehicle, trip), in time order, each trip on its shape.
    static func wmataTrips() throws -> (shapes: [String: [Coordinate]], trips: [Trip])? {
        let folder = Corpus.url("routes/wmata-dc").path
        guard FileManager.default.fileExists(atPath: folder + "/shapes.txt") else { return nil }
        let shapes = try GTFS.shapes(inFeed: folder)
        var shapeOfTrip: [String: String] = [:]
        for row in try GTFS.table(at: folder + "/trips.txt") {
            if let trip = row["trip_id"], let shape = row["shape_id"] { shapeOfTrip[trip] = shape }
        }
        var grouped: [String: Trip] = [:]
        for row in try GTFS.table(at: folder + "/vehicle_positions_gtfsrt_2026-02-16.csv") {
            guard let vehicle = row["vehicle.vehicle.id"], let trip = row["vehicle.trip.trip_id"],
                let shape = shapeOfTrip[trip], let lat = row["vehicle.position.latitude"].flatMap(Double.init),
                let lon = row["vehicle.position.longitude"].flatMap(Double.init),
                let seconds = row["vehicle.timestamp"].flatMap(Double.init)
            else { continue }
            let point = TrackPoint(
                vehicleID: vehicle, time: UTCInstant(microsecondsSinceEpoch: Int64(seconds) * 1_000_000),
                coordinate: Coordinate(latitude: lat, longitude: lon),
                speedMetersPerSecond: row["vehicle.position.speed"].flatMap(Double.init),
                courseDegrees: row["vehicle.position.bearing"].flatMap(Double.init), mode: .twoDimensional)
            grouped["\(vehicle)/\(trip)", default: Trip(vehicle: vehicle, tripID: trip, shape: shape, points: [])]
                .points.append(point)
        }
        let trips = grouped.values.map { trip -> Trip in
            var sorted = trip
            sorted.points.sort { $0.time < $1.time }
            // The feed repeats a position while the bus reports nothing new: one fix per timestamp.
            var unique: [TrackPoint] = []
            for point in sorted.points where unique.last?.time != point.time { unique.append(point) }
            sorted.points = unique
            return sorted
        }.filter { $0.points.count >= 2 }.sorted { ($0.points[0].time, $0.vehicle) < ($1.points[0].time, $1.vehicle) }
        return (shapes, trips)
    }

    /// Runs every trip through one engine, each trip assigned to its shape for its own time span.
    static func evaluate(_ trips: [Trip], shapes: [String: [Coordinate]], frame: LocalFrame) throws -> [VehicleEvent] {
        let routes = Set(trips.map(\.shape)).sorted().map { Route(name: $0, line: shapes[$0]!) }
        let assignments = trips.map { trip in
            RouteAssignment(
                vehicleID: trip.vehicle, route: trip.shape, from: trip.points.first!.time, to: trip.points.last!.time)
        }
        let zones = try ZoneSet(frame: frame, routes: routes, assignments: assignments)
        let engine = EventEngine(zones: zones, frame: frame)
        // Per vehicle in time order (a vehicle's trips follow each other).
        var events: [VehicleEvent] = []
        for (_, vehicleTrips) in Dictionary(grouping: trips, by: \.vehicle).sorted(by: { $0.key < $1.key }) {
            for point in vehicleTrips.flatMap(\.points).sorted(by: { $0.time < $1.time }) {
                engine.evaluate(point, appendingTo: &events)
            }
        }
        return events
    }

    @Test func realBusesOnTheirShapesRaiseNoDeviationAwayFromTerminals() throws {
        guard let (shapes, trips) = try Self.wmataTrips() else {
            print("skipped: ../shared/corpus/routes/wmata-dc absent")
            return
        }
        let frame = try LocalFrame.utm(around: trips[0].points[0].coordinate)
        #expect(trips.count >= 120)
        let events = try Self.evaluate(trips, shapes: shapes, frame: frame)
        let deviations = events.filter { $0.kind == .routeDeviation }
        var farFromTerminals: [VehicleEvent] = []
        for event in deviations {
            let line = try shapes[event.route ?? ""].map { try $0.map { try frame.project($0) } } ?? []
            let here = try frame.project(event.coordinate)
            let nearest = [line.first!, line.last!].map {
                (($0.x - here.x) * ($0.x - here.x) + ($0.y - here.y) * ($0.y - here.y)).squareRoot()
            }.min()!
            if nearest > 300 { farFromTerminals.append(event) }
        }
        #expect(
            farFromTerminals.isEmpty,
            "\(farFromTerminals.count) deviations > 300 m from a terminal: \(farFromTerminals.prefix(3))")
        print(
            "wmata: \(trips.count) trips, \(trips.reduce(0) { $0 + $1.points.count }) fixes, events \(Dictionary(grouping: events, by: \.kind).mapValues(\.count))"
        )
    }

    @Test func injectedDetoursAreFoundWithinOneFix() throws {
        guard let (shapes, trips) = try Self.wmataTrips() else {
            print("skipped: ../shared/corpus/routes/wmata-dc absent")
            return
        }
        let frame = try LocalFrame.utm(around: trips[0].points[0].coordinate)
        // In every trip long enough, the first run of fixes in the middle of the route (30–70% of the shape's
        // length, by the fix's own projection on it) over which the bus drives ≥ 500 m is moved 400 m sideways
        // (perpendicular to its direction of travel): a detour of ≥ 500 m, then back.
        var detoured: [Trip] = []
        var truth:
            [String: (leave: UTCInstant, back: UTCInstant, nextAfterLeave: UTCInstant, nextAfterBack: UTCInstant)] = [:]
        for var trip in trips where trip.points.count >= 30 {
            let planar = try trip.points.map { try frame.project($0.coordinate) }
            let shape = Polyline(try shapes[trip.shape]!.map { try frame.project($0) })
            let middle = planar.map { point in
                shape.project(point).map {
                    $0.distance < 30 && $0.along > 0.3 * shape.length && $0.along < 0.7 * shape.length
                } ?? false
            }
            var chosen: (Int, Int)?
            // After two fixes on the route in the middle section, the last one at most 120 s before: the detour
            // leaves a trip in progress (a vehicle first seen off its route, or after a long gap, cannot be judged).
            search: for first in planar.indices.dropFirst(2)
            where middle[first] && middle[first - 1] && middle[first - 2]
                && trip.points[first].time.microsecondsSinceEpoch - trip.points[first - 1].time.microsecondsSinceEpoch
                    <= 120_000_000
            {
                var driven = 0.0
                for last in (first + 1)..<min(planar.count, first + 20) where middle[last] {
                    let a = planar[last - 1]
                    let b = planar[last]
                    driven += ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot()
                    let seconds =
                        Double(
                            trip.points[last].time.microsecondsSinceEpoch
                                - trip.points[first].time.microsecondsSinceEpoch) / 1e6
                    if driven >= 500, last - first + 1 >= 4, seconds >= 60 {
                        chosen = (first, last)
                        break search
                    }
                }
            }
            guard let (first, last) = chosen, last + 2 < trip.points.count else { continue }
            let dx = planar[last].x - planar[first].x
            let dy = planar[last].y - planar[first].y
            let length = max(1, (dx * dx + dy * dy).squareRoot())
            let moved = (first...last).map {
                PlanarPoint(x: planar[$0].x - 400 * dy / length, y: planar[$0].y + 400 * dx / length)
            }
            // A real detour: every moved fix stays > 150 m (3 corridors) from the whole shape, not only from where
            // the bus was (moved 400 m sideways, a fix can land on another part of a winding route).
            guard moved.allSatisfy({ shape.project($0).map { $0.distance > 150 } ?? true }) else { continue }
            for (offset, index) in (first...last).enumerated() {
                trip.points[index].coordinate = try frame.unproject(moved[offset])
            }
            truth["\(trip.vehicle)/\(trip.shape)/\(trip.tripID)"] = (
                trip.points[first].time, trip.points[last + 1].time, trip.points[first + 1].time,
                trip.points[last + 2].time
            )
            detoured.append(trip)
        }
        #expect(detoured.count >= 50)
        let events = try Self.evaluate(
            trips.filter { trip in !detoured.contains { $0.tripID == trip.tripID && $0.vehicle == trip.vehicle } }
                + detoured, shapes: shapes, frame: frame)
        var found = 0
        var misses: [String] = []
        for trip in detoured {
            let expected = truth["\(trip.vehicle)/\(trip.shape)/\(trip.tripID)"]!
            let mine = events.filter {
                $0.vehicleID == trip.vehicle && $0.route == trip.shape && $0.time >= trip.points.first!.time
                    && $0.time <= trip.points.last!.time
            }
            let leave = mine.first { $0.kind == .routeDeviation }
            let back = mine.first { $0.kind == .routeReturn }
            if let leave, let back, leave.time == expected.leave || leave.time == expected.nextAfterLeave,
                back.time == expected.back || back.time == expected.nextAfterBack
            {
                found += 1
            } else {
                misses.append(
                    "\(trip.vehicle) trip \(trip.tripID): leave \(leave?.time.iso8601 ?? "none") vs \(expected.leave.iso8601), back \(back?.time.iso8601 ?? "none") vs \(expected.back.iso8601)"
                )
            }
        }
        #expect(
            found == detoured.count, "\(found) of \(detoured.count) detours found within one fix; \(misses.prefix(5))")
        print("wmata detours: \(found) of \(detoured.count) found within one fix")
    }

    @Test func simulatedVehiclesOnLvivShapesIncludingOutAndBackRaiseNoDeviation() throws {
        let folder = Corpus.url("routes/lviv-ua").path
        guard FileManager.default.fileExists(atPath: folder + "/shapes.txt") else {
            print("skipped: ../shared/corpus/routes/lviv-ua absent")
            return
        }
        let shapes = try GTFS.shapes(inFeed: folder)
        var byRoute: [String: [String: String]] = [:]  // route → direction → shape
        for row in try GTFS.table(at: folder + "/trips.txt") {
            if let route = row["route_id"], let direction = row["direction_id"], let shape = row["shape_id"] {
                byRoute[route, default: [:]][direction] = shape
            }
        }
        var routes = shapes.sorted { $0.key < $1.key }.map { Route(name: "shape-\($0.key)", line: $0.value) }
        // Out and back: each route's two directions joined into one route driven there and back.
        for (route, directions) in byRoute.sorted(by: { $0.key < $1.key }) {
            if let out = directions["0"].flatMap({ shapes[$0] }), let back = directions["1"].flatMap({ shapes[$0] }) {
                routes.append(Route(name: "out-and-back-\(route)", line: out + back))
            }
        }
        let frame = try LocalFrame.utm(around: routes[0].line[0])
        var rng = SeededGenerator(seed: 49)
        var assignments: [RouteAssignment] = []
        var runs: [[TrackPoint]] = []
        for route in routes {
            let line = Polyline(try route.line.map { try frame.project($0) })
            // 8 m/s with stops, a fix every 5 s, ±6 m of receiver noise.
            var along = 0.0
            var second = 0.0
            var points: [TrackPoint] = []
            let vehicle = "sim-\(route.name)"
            while along <= line.length {
                let here = line.point(at: along)
                let noisy = PlanarPoint(
                    x: here.x + Double.random(in: -6...6, using: &rng),
                    y: here.y + Double.random(in: -6...6, using: &rng))
                let segment = line.segment(at: along)
                points.append(
                    TrackPoint(
                        vehicleID: vehicle,
                        time: UTCInstant(microsecondsSinceEpoch: 1_780_000_000_000_000 + Int64(second * 1e6)),
                        coordinate: try frame.unproject(noisy), speedMetersPerSecond: 8,
                        courseDegrees: line.bearing(ofSegment: segment), mode: .threeDimensional, hdop: 0.9,
                        satellitesUsed: 10))
                second += 5
                along += Int(second) % 300 == 0 ? 0 : 40  // a stop every 5 minutes
            }
            assignments.append(RouteAssignment(vehicleID: vehicle, route: route.name))
            runs.append(points)
        }
        let zones = try ZoneSet(frame: frame, routes: routes, assignments: assignments)
        let engine = EventEngine(zones: zones, frame: frame)
        var events: [VehicleEvent] = []
        for run in runs { for point in run { engine.evaluate(point, appendingTo: &events) } }
        let bad = events.filter { $0.kind == .routeDeviation || $0.kind == .wrongDirection }
        #expect(routes.count >= 20)
        #expect(bad.isEmpty, "\(bad.count) false alarms: \(bad.prefix(3).map { "\($0.kind) \($0.route ?? "")" })")
    }
}
