import OrbitaModel
import Storage
import Testing

/// What the SQLite store adds for the dispatch API (events stored once and filtered are the ZoneStore contract's).
@Suite("SQLite dispatch store")
struct SQLiteDispatchStoreTests {
    @Test func offRouteVehiclesAreThoseWhoseLatestRouteEventIsADeviation() throws {
        let store = try SQLiteTrackStore()
        func event(_ kind: EventKind, _ vehicle: String, _ second: Int64) -> VehicleEvent {
            VehicleEvent(
                kind: kind, vehicleID: vehicle, time: instant(second),
                coordinate: Coordinate(latitude: 55.7558, longitude: 37.6173), fixTime: instant(second), route: "R1")
        }
        // bus-1 deviated; bus-2 deviated, then returned; bus-4 returned, then deviated again; bus-3 only entered a
        // geofence.
        var enter = event(.geofenceEnter, "bus-3", 10)
        enter.route = nil
        enter.geofence = "depot"
        #expect(
            try store.insert([
                event(.routeDeviation, "bus-1", 20), event(.routeDeviation, "bus-2", 40),
                event(.routeReturn, "bus-2", 50),
                event(.routeReturn, "bus-4", 40), event(.routeDeviation, "bus-4", 60), enter,
            ]) == 6)
        #expect(try store.offRouteVehicles() == ["bus-1", "bus-4"])
    }
}
