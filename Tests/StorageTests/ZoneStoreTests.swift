import Foundation
import OrbitaModel
import Storage
import Testing

@Suite("SQLite zone store: geofences, routes, events")
struct ZoneStoreTests {
    let moscow = Coordinate(latitude: 55.7558, longitude: 37.6173)

    @Test func geofencesRoundTripEveryShapeAndRule() throws {
        let store = try SQLiteTrackStore()
        let square = [
            Coordinate(latitude: 55.70, longitude: 37.50), Coordinate(latitude: 55.70, longitude: 37.60),
            Coordinate(latitude: 55.80, longitude: 37.60), Coordinate(latitude: 55.80, longitude: 37.50),
        ]
        let hole = [
            Coordinate(latitude: 55.74, longitude: 37.54), Coordinate(latitude: 55.74, longitude: 37.56),
            Coordinate(latitude: 55.76, longitude: 37.56),
        ]
        let fences = [
            Geofence(name: "a-polygon", shape: .polygons([[square, hole]]), kinds: [.bus, .tram], speedLimitKmh: 40),
            Geofence(name: "b-circle", shape: .circle(center: moscow, radiusMeters: 250), vehicleIDs: ["amb-1"]),
            Geofence(
                name: "c-corridor", shape: .corridor(line: [moscow, square[0]], halfWidthMeters: 35),
                dwellSeconds: 600),
        ]
        for fence in fences { try store.save(fence) }
        #expect(try store.geofences() == fences)
        // Saving under an existing name replaces it.
        var moved = fences[1]
        moved.shape = .circle(center: square[2], radiusMeters: 100)
        try store.save(moved)
        #expect(try store.geofences()[1] == moved)
        #expect(try store.removeGeofence(named: "b-circle"))
        #expect(try !store.removeGeofence(named: "b-circle"))
        #expect(try store.geofences().map(\.name) == ["a-polygon", "c-corridor"])
    }

    @Test func routesAssignmentsAndExemptions() throws {
        let store = try SQLiteTrackStore()
        let route = Route(
            name: "T7", line: [moscow, Coordinate(latitude: 55.76, longitude: 37.63)], corridorMeters: 40,
            checkpoints: [Checkpoint(name: "Lubyanka", coordinate: moscow, radiusMeters: 25)])
        try store.save(route)
        #expect(try store.routes() == [route])
        let from = UTCInstant(microsecondsSinceEpoch: 1_700_000_000_000_000)
        try store.assign(RouteAssignment(vehicleID: "tram-1", route: "T7", from: from))
        #expect(try store.assignments() == [RouteAssignment(vehicleID: "tram-1", route: "T7", from: from)])
        #expect(throws: StoreError.self) { try store.assign(RouteAssignment(vehicleID: "tram-1", route: "nope")) }
        let exemption = RouteExemption(
            vehicleID: "tram-1", from: from, to: UTCInstant(microsecondsSinceEpoch: from.microsecondsSinceEpoch + 1),
            reason: "road works")
        try store.exempt(exemption)
        #expect(try store.exemptions() == [exemption])
        // Removing the route removes its assignments.
        #expect(try store.removeRoute(named: "T7"))
        #expect(try store.assignments().isEmpty)
    }

    @Test func eventsAreStoredOnceAndFiltered() throws {
        let store = try SQLiteTrackStore()
        func event(_ kind: EventKind, _ vehicle: String, _ second: Int64, fence: String? = nil) -> VehicleEvent {
            let time = UTCInstant(microsecondsSinceEpoch: 1_700_000_000_000_000 + second * 1_000_000)
            var event = VehicleEvent(
                kind: kind, vehicleID: vehicle, time: time, coordinate: moscow, fixTime: time, geofence: fence,
                route: fence == nil ? "R1" : nil)
            if kind == .routeDeviation {
                event.distanceMeters = 312.5
                event.progressMeters = 1450
            }
            return event
        }
        let events = [
            event(.geofenceEnter, "bus-1", 10, fence: "depot"), event(.routeDeviation, "bus-1", 20),
            event(.geofenceExit, "bus-2", 30, fence: "depot"),
        ]
        #expect(try store.insert(events) == 3)
        #expect(try store.insert(events) == 0)  // the same events again: nothing new
        #expect(try store.events(EventQuery()) == events)
        #expect(try store.events(EventQuery(vehicleID: "bus-1")).count == 2)
        #expect(try store.events(EventQuery(kinds: [.routeDeviation])) == [events[1]])
        #expect(
            try store.events(EventQuery(since: events[1].time)).map(\.kind) == [.routeDeviation, .geofenceExit])
        #expect(try store.events(EventQuery(limit: 1)).count == 1)
        // Fixes and their events go in one transaction.
        let point = TrackPoint(
            vehicleID: "bus-3", time: events[0].time, coordinate: moscow, mode: .threeDimensional)
        let outcome = try store.insert([point], events: [event(.geofenceEnter, "bus-3", 10, fence: "depot")])
        #expect(outcome.inserted == 1 && outcome.eventsInserted == 1)
        // Off route now: bus-1's latest route event is a deviation; bus-2 deviated, then returned; bus-4 returned,
        // then deviated again.
        #expect(
            try store.insert([
                event(.routeDeviation, "bus-2", 40), event(.routeReturn, "bus-2", 50), event(.routeReturn, "bus-4", 40),
                event(.routeDeviation, "bus-4", 60),
            ]) == 4)
        #expect(try store.offRouteVehicles() == ["bus-1", "bus-4"])
    }
}
