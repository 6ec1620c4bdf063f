import Foundation
import Geodesy
import Geofencing
import OrbitaModel
import Testing
import Tracking

/// A little world in UTM 37N around Moscow: positions are given in metres east/north of an origin.
final class World {
    let frame: LocalFrame
    let origin = PlanarPoint(x: 410_000, y: 6_180_000)

    init() throws { frame = try LocalFrame(crs: "EPSG:32637") }

    func coordinate(_ east: Double, _ north: Double) -> Coordinate {
        (try? frame.unproject(PlanarPoint(x: origin.x + east, y: origin.y + north)))!
    }

    /// A square polygon fence (ground metres ≈ planar metres here; scale 0.9996–0.9997).
    func square(
        _ name: String, west: Double, south: Double, side: Double, speedLimit: Double? = nil, dwell: Double? = nil
    )
        -> Geofence
    {
        let ring = [
            coordinate(west, south), coordinate(west + side, south), coordinate(west + side, south + side),
            coordinate(west, south + side),
        ]
        return Geofence(name: name, shape: .polygons([[ring]]), speedLimitKmh: speedLimit, dwellSeconds: dwell)
    }

    func point(
        _ vehicle: String, _ second: Double, _ east: Double, _ north: Double, speed: Double? = 10,
        course: Double? = nil, hdop: Double? = 0.9
    ) -> TrackPoint {
        TrackPoint(
            vehicleID: vehicle,
            time: UTCInstant(microsecondsSinceEpoch: start.microsecondsSinceEpoch + Int64(second * 1_000_000)),
            coordinate: coordinate(east, north), speedMetersPerSecond: speed, courseDegrees: course,
            mode: .threeDimensional, hdop: hdop, satellitesUsed: 9)
    }

    func engine(
        fences: [Geofence] = [], routes: [Route] = [], assignments: [RouteAssignment] = [],
        exemptions: [RouteExemption] = []
    ) throws -> EventEngine {
        let zones = try ZoneSet(
            frame: frame, fences: fences, routes: routes, assignments: assignments, exemptions: exemptions)
        return EventEngine(zones: zones, frame: try LocalFrame(crs: "EPSG:32637"))
    }
}

func run(_ engine: EventEngine, _ points: [TrackPoint]) -> [VehicleEvent] {
    var events: [VehicleEvent] = []
    for point in points { engine.evaluate(point, appendingTo: &events) }
    return events
}

@Suite("event engine: geofences")
struct GeofenceEventTests {
    @Test func enterAndExitCarryTheFirstFixOnTheNewSide() throws {
        let world = try World()
        let engine = try world.engine(fences: [world.square("yard", west: 0, south: 0, side: 200)])
        // West to east through the square at y = 100, 10 m a second.
        let points = stride(from: -105.0, through: 305, by: 10).enumerated().map { index, east in
            world.point("bus-1", Double(index), east, 100)
        }
        let events = run(engine, points)
        #expect(events.map(\.kind) == [.geofenceEnter, .geofenceExit])
        #expect(events[0].time == points[11].time)  // east = 5: first fix inside
        #expect(events[1].time == points[31].time)  // east = 205: first fix outside
        #expect(events[1].durationSeconds == 20)
        #expect(events.allSatisfy { $0.geofence == "yard" && $0.vehicleID == "bus-1" })
    }

    @Test func jitterAtTheEdgeDoesNotFlap() throws {
        let world = try World()
        let engine = try world.engine(fences: [world.square("yard", west: 0, south: 0, side: 200)])
        var points = [world.point("bus-1", 0, -50, 100)]
        // Alternating 3 m inside / 3 m outside the west edge, one fix each: never persistent, never beyond the margin.
        for second in 1...21 { points.append(world.point("bus-1", Double(second), second % 2 == 0 ? 3 : -3, 100)) }
        #expect(run(engine, points).isEmpty)
        // Then well inside: one enter, dated at the first fix of the run that persisted.
        let more = [world.point("bus-1", 22, 30, 100), world.point("bus-1", 23, 40, 100)]
        let events = run(engine, more)
        #expect(events.map(\.kind) == [.geofenceEnter])
        #expect(events.first?.time == more[0].time)
    }

    @Test func twoFixesJustInsideConfirmWithoutTheMargin() throws {
        let world = try World()
        let engine = try world.engine(fences: [world.square("yard", west: 0, south: 0, side: 200)])
        let points = [
            world.point("v", 0, -50, 100), world.point("v", 1, 2, 100), world.point("v", 2, 3, 100),
        ]
        let events = run(engine, points)
        #expect(events.map(\.kind) == [.geofenceEnter])
        #expect(events.first?.time == points[1].time)
    }

    @Test func aVehicleParkedInsideANewFenceRaisesNoEnter() throws {
        let world = try World()
        var engine = try world.engine()
        _ = run(engine, [world.point("amb-1", 0, 100, 100, speed: 0)])
        // The dispatcher draws a fence around the parked ambulance; the zones are swapped.
        let zones = try ZoneSet(
            frame: world.frame, fences: [world.square("station", west: 0, south: 0, side: 200)],
            previous: engine.zones)
        engine.replaceZones(zones)
        #expect(run(engine, (1...5).map { world.point("amb-1", Double($0), 100, 100, speed: 0) }).isEmpty)
        // It leaves: an exit (the membership was learned silently).
        let leaving = run(engine, (6...40).map { world.point("amb-1", Double($0), 100 + Double($0 - 5) * 10, 100) })
        #expect(leaving.map(\.kind) == [.geofenceExit])
        // A vehicle whose first ever fix is inside also starts silently.
        engine = try world.engine(fences: [world.square("station", west: 0, south: 0, side: 200)])
        #expect(run(engine, [world.point("amb-2", 0, 50, 50), world.point("amb-2", 1, 60, 50)]).isEmpty)
    }

    @Test func sparseFixesAcrossAFenceRaiseCrossWithAnInterpolatedTime() throws {
        let world = try World()
        let engine = try world.engine(fences: [world.square("bridge", west: 1000, south: -50, side: 100)])
        // Fixes 60 s apart, 1 km apart: the fence lies between 1000 and 1100 m east.
        let points = [world.point("truck", 0, 0, 0), world.point("truck", 60, 2000, 0)]
        let events = run(engine, points)
        #expect(events.map(\.kind) == [.geofenceCross])
        // Entry at 1000 m of 2000 m: half-way, 30 s.
        let seconds = Double(events[0].time.microsecondsSinceEpoch - points[0].time.microsecondsSinceEpoch) / 1e6
        #expect(abs(seconds - 30) < 0.1)
        #expect(events[0].fixTime == points[1].time)
    }

    @Test func dwellAndOverspeedFireOncePerVisit() throws {
        let world = try World()
        let engine = try world.engine(fences: [
            world.square("school", west: 0, south: 0, side: 1000, speedLimit: 30, dwell: 60)
        ])
        var points = [world.point("bus", 0, -100, 500, speed: 8)]
        // Inside from t = 1 at 8 m/s (29 km/h), then 12 m/s (43 km/h) for a while, then slow again.
        for second in 1...100 {
            let speed = (20...40).contains(second) ? 12.0 : 8.0
            points.append(world.point("bus", Double(second), Double(second) * 5, 500, speed: speed))
        }
        let events = run(engine, points)
        #expect(events.map(\.kind) == [.geofenceEnter, .overspeed, .geofenceDwell])
        #expect(events[1].speedKmh.map { abs($0 - 43.2) < 0.01 } == true)
        #expect(events[1].limitKmh == 30)
        #expect(events[2].time == points[61].time)
    }

    @Test func fencesLimitedToVehiclesOrKindsIgnoreOthers() throws {
        let world = try World()
        var fence = world.square("depot", west: 0, south: 0, side: 200)
        fence.kinds = [.ambulance]
        fence.vehicleIDs = ["truck-7"]
        let engine = try world.engine(fences: [fence])
        engine.kinds = ["amb-1": .ambulance, "bus-1": .bus]
        func drive(_ vehicle: String) -> [VehicleEvent] {
            run(
                engine,
                stride(from: -50.0, through: 100, by: 10).enumerated().map { world.point(vehicle, Double($0), $1, 100) }
            )
        }
        #expect(drive("amb-1").map(\.kind) == [.geofenceEnter])
        #expect(drive("truck-7").map(\.kind) == [.geofenceEnter])
        #expect(drive("bus-1").isEmpty)
    }
}

@Suite("event engine: routes")
struct RouteEventTests {
    /// A straight 5 km route east along y = 0 with a checkpoint every kilometre.
    func straightRoute(_ world: World) -> Route {
        Route(
            name: "R1", line: [world.coordinate(0, 0), world.coordinate(5000, 0)],
            checkpoints: (1...4).map {
                Checkpoint(name: "stop\($0)", coordinate: world.coordinate(Double($0) * 1000, 0))
            })
    }

    /// A vehicle driving east at 10 m/s, one fix every 5 s; `offset(east)` gives its distance north of the route.
    func drive(_ world: World, until: Double = 5000, offset: (Double) -> Double) -> [TrackPoint] {
        stride(from: 0.0, through: until, by: 50).map { east in
            world.point("bus", east / 10, east, offset(east), speed: 10, course: 90)
        }
    }

    @Test func aCleanRunRaisesOnlyCheckpointArrivals() throws {
        let world = try World()
        let engine = try world.engine(
            routes: [straightRoute(world)], assignments: [RouteAssignment(vehicleID: "bus", route: "R1")])
        let events = run(engine, drive(world) { east in 8 * sin(east / 300) })  // ±8 m of GNSS noise
        #expect(events.map(\.kind) == Array(repeating: .checkpointArrive, count: 4))
        #expect(events.map(\.checkpoint) == ["stop1", "stop2", "stop3", "stop4"])
    }

    @Test func aDetourIsReportedAtItsFirstFixAndTheReturnAtItsFirst() throws {
        let world = try World()
        let engine = try world.engine(
            routes: [straightRoute(world)], assignments: [RouteAssignment(vehicleID: "bus", route: "R1")])
        // Off by 300 m from 1,500 m to 2,600 m (skipping stop2 at 2,000 m).
        let points = drive(world) { east in (1500...2600).contains(east) ? 300 : 0 }
        let events = run(engine, points)
        #expect(
            events.map(\.kind) == [
                .checkpointArrive, .routeDeviation, .routeReturn, .checkpointMissed, .checkpointArrive,
                .checkpointArrive,
            ])
        let deviation = try #require(events.first { $0.kind == .routeDeviation })
        let back = try #require(events.first { $0.kind == .routeReturn })
        #expect(deviation.time == points.first { $0.coordinate == world.coordinate(1500, 300) }?.time)
        #expect(back.time == points.first { $0.coordinate == world.coordinate(2650, 0) }?.time)
        #expect(abs((deviation.progressMeters ?? 0) - 1450) < 1)
        #expect(abs((back.skippedMeters ?? 0) - 1200) < 1)
        #expect(abs((back.durationSeconds ?? 0) - 115) < 0.01)
        #expect(abs((deviation.distanceMeters ?? 0) - 300) < 1)
        #expect(events.first { $0.kind == .checkpointMissed }?.checkpoint == "stop2")
    }

    @Test func briefExcursionsAndTerminalsAreNotDeviations() throws {
        let world = try World()
        let engine = try world.engine(
            routes: [straightRoute(world)], assignments: [RouteAssignment(vehicleID: "bus", route: "R1")])
        // Two fixes 120 m off (fewer than 3), and 150 m off within 300 m of both terminals.
        let points = drive(world) { east in
            if east == 2000 || east == 2050 { return 120 }
            if east < 250 || east > 4800 { return 150 }
            return 0
        }
        #expect(run(engine, points).filter { $0.kind == .routeDeviation }.isEmpty)
    }

    @Test func anApprovedDetourIsNotJudged() throws {
        let world = try World()
        let exemption = RouteExemption(
            vehicleID: "bus", from: UTCInstant(microsecondsSinceEpoch: start.microsecondsSinceEpoch + 100_000_000),
            to: UTCInstant(microsecondsSinceEpoch: start.microsecondsSinceEpoch + 300_000_000))
        let engine = try world.engine(
            routes: [straightRoute(world)], assignments: [RouteAssignment(vehicleID: "bus", route: "R1")],
            exemptions: [exemption])
        let events = run(engine, drive(world) { east in (1500...2600).contains(east) ? 300 : 0 })
        #expect(events.filter { $0.kind == .routeDeviation || $0.kind == .routeReturn }.isEmpty)
    }

    @Test func anOutAndBackRouteDoesNotSnapToTheOtherLeg() throws {
        let world = try World()
        // Out along y = 0 to 3 km, back along y = 40 (a parallel street 40 m away, inside the corridor of both legs).
        let route = Route(
            name: "loop",
            line: [
                world.coordinate(0, 0), world.coordinate(3000, 0), world.coordinate(3000, 40), world.coordinate(0, 40),
            ])
        let engine = try world.engine(routes: [route], assignments: [RouteAssignment(vehicleID: "bus", route: "loop")])
        var points: [TrackPoint] = []
        var second = 0.0
        for east in stride(from: 0.0, through: 3000, by: 50) {
            points.append(world.point("bus", second, east, 0, course: 90))
            second += 5
        }
        for east in stride(from: 3000.0, through: 0, by: -50) {
            points.append(world.point("bus", second, east, 40, course: 270))
            second += 5
        }
        let events = run(engine, points)
        #expect(events.isEmpty, "\(events.map(\.kind))")
    }

    @Test func drivingTheRouteBackwardsIsWrongDirection() throws {
        let world = try World()
        let engine = try world.engine(
            routes: [straightRoute(world)], assignments: [RouteAssignment(vehicleID: "bus", route: "R1")])
        // Starts mid-route heading west.
        let points = stride(from: 2900.0, through: 2000, by: -50).enumerated().map { index, east in
            world.point("bus", Double(index) * 5, east, 0, speed: 10, course: 270)
        }
        let events = run(engine, points)
        #expect(events.map(\.kind) == [.wrongDirection])
        #expect(events.first?.time == points[2].time)
    }

    @Test func poorFixesAndGapsAreNotJudged() throws {
        let world = try World()
        let engine = try world.engine(
            routes: [straightRoute(world)], assignments: [RouteAssignment(vehicleID: "bus", route: "R1")])
        var points = drive(world, until: 1500) { _ in 0 }
        // 300 m off but HDOP 8: never judged.
        points += stride(from: 1550.0, through: 2500, by: 50).map { east in
            world.point("bus", east / 10, east, 300, hdop: 8)
        }
        points += stride(from: 2550.0, through: 3000, by: 50).map { world.point("bus", $0 / 10, $0, 0) }
        #expect(run(engine, points).filter { $0.kind == .routeDeviation }.isEmpty)
    }

    @Test func aDayLongAssignmentJudgesEveryTrip() throws {
        let world = try World()
        let engine = try world.engine(
            routes: [straightRoute(world)], assignments: [RouteAssignment(vehicleID: "bus", route: "R1")])
        // Trip 1 clean; back to the start terminal (deadheading 1 km north of the route, not judged); trip 2 with a
        // detour.
        var points = drive(world) { _ in 0 }
        var second =
            points.last.map { Double($0.time.microsecondsSinceEpoch - start.microsecondsSinceEpoch) / 1e6 } ?? 0
        for east in stride(from: 5000.0, through: 0, by: -100) {
            second += 10
            points.append(world.point("bus", second, east, 1000, course: 270))
        }
        for east in stride(from: 0.0, through: 5000, by: 50) {
            second += 5
            points.append(world.point("bus", second, east, (1500...2600).contains(east) ? 300 : 0, course: 90))
        }
        let events = run(engine, points).filter { $0.kind != .checkpointArrive }
        #expect(events.map(\.kind) == [.routeDeviation, .routeReturn, .checkpointMissed], "\(events.map(\.kind))")
    }

    @Test func checkpointsArePlacedAtTheirFirstPassAlongTheRoute() throws {
        let world = try World()
        // Out 1 km and back 10 m north: C1 lies between the legs (nearer the way back), C2 on the way out.
        let route = Route(
            name: "spur",
            line: [
                world.coordinate(0, 0), world.coordinate(1000, 0), world.coordinate(1000, 10), world.coordinate(0, 10),
            ],
            checkpoints: [
                Checkpoint(name: "C1", coordinate: world.coordinate(500, 6)),
                Checkpoint(name: "C2", coordinate: world.coordinate(800, 0)),
            ])
        let zones = try ZoneSet(frame: world.frame, routes: [route])
        let placed = try #require(zones.routes["spur"]).checkpoints.map(\.along)
        #expect(abs(placed[0] - 500) < 1e-6)
        #expect(abs(placed[1] - 800) < 1e-6)
    }

    @Test func noRouteEventsOutsideTheAssignmentPeriod() throws {
        let world = try World()
        let assignment = RouteAssignment(
            vehicleID: "bus", route: "R1",
            from: UTCInstant(microsecondsSinceEpoch: start.microsecondsSinceEpoch + 1_000_000_000))
        let engine = try world.engine(routes: [straightRoute(world)], assignments: [assignment])
        #expect(run(engine, drive(world) { east in (1500...2600).contains(east) ? 300 : 0 }).isEmpty)
    }
}
