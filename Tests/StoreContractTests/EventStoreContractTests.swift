import OrbitaModel
import Testing

/// What every `ZoneStore` must do with events: store each exactly once, read them back filtered, oldest first.
@Suite("ZoneStore contract: events")
struct EventStoreContractTests {
    @Test(arguments: StoreBackend.all)
    func anEventIsStoredExactlyOnce(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        let enter = event(.geofenceEnter, "bus-1", 10)
        #expect(try store.insert([enter]) == 1)
        #expect(try store.insert([enter]) == 0)
        // Identity is (vehicle, kind, subject, time): a copy elsewhere, or raised by another fix, is the same event.
        var moved = enter
        moved.coordinate = Coordinate(latitude: 59.93, longitude: 30.31)
        moved.fixTime = at(11)
        #expect(try store.insert([moved]) == 0)
        // Change any part of the identity and it is another event.
        let others = [
            event(.geofenceEnter, "bus-2", 10), event(.geofenceExit, "bus-1", 10),
            event(.geofenceEnter, "bus-1", 10, geofence: "yard"), event(.geofenceEnter, "bus-1", 11),
        ]
        #expect(try store.insert(others) == 4)
        #expect(try store.events(EventQuery()) == [enter] + others)
    }

    @Test(arguments: StoreBackend.all)
    func eventsWithFixesAreNumberedOnceInBatchOrder(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        let events = [
            event(.geofenceEnter, "bus-1", 1), event(.geofenceEnter, "bus-1", 1), event(.overspeed, "bus-1", 2),
        ]
        let first = try store.insert([fix("bus-1", 1), fix("bus-1", 2)], events: events)
        #expect(first == InsertOutcome(inserted: 2, eventsInserted: 2))
        #expect(first.eventIDs.count == 3)
        #expect(first.eventIDs[1] == nil)  // the second copy in the batch
        let again = try store.insert([fix("bus-1", 2)], events: [events[2], event(.geofenceExit, "bus-1", 3)])
        #expect(again == InsertOutcome(duplicates: 1, skippedIndices: [0], eventsInserted: 1))
        #expect(again.eventIDs.count == 2)
        #expect(again.eventIDs[0] == nil)
        let numbers = (first.eventIDs + again.eventIDs).compactMap { $0 }
        #expect(numbers.count == 3)
        #expect(zip(numbers, numbers.dropFirst()).allSatisfy { $0 < $1 }, "\(numbers)")
        #expect(try store.events(EventQuery()).count == 3)
    }

    @Test(arguments: StoreBackend.all)
    func everyDetailOfAnEventRoundTrips(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        var deviation = event(.routeDeviation, "bus-1", 20, route: "R1")
        deviation.distanceMeters = 312.5
        deviation.progressMeters = 1450
        deviation.skippedMeters = 80.25
        deviation.durationSeconds = 95
        var overspeed = event(.overspeed, "bus-1", 30, geofence: "school")
        overspeed.speedKmh = 61.5
        overspeed.limitKmh = 40
        var missed = VehicleEvent(
            kind: .checkpointMissed, vehicleID: "bus-1", time: at(40),
            coordinate: Coordinate(latitude: -33.8688, longitude: 151.2093), fixTime: at(41), route: "R1",
            checkpoint: "Lubyanka")
        missed.progressMeters = 2000
        let events = [deviation, overspeed, missed]
        #expect(try store.insert(events) == 3)
        #expect(try store.events(EventQuery()) == events)
        #expect(try store.events(EventQuery()).allSatisfy { $0.acknowledgedAt == nil })
    }

    @Test(arguments: StoreBackend.all)
    func queriesFilterByVehicleKindsAndInclusiveTimesOldestFirst(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        let deviation = event(.routeDeviation, "bus-1", 20, route: "R1")
        let enter = event(.geofenceEnter, "bus-1", 10)
        let exit = event(.geofenceExit, "bus-2", 30)
        let back = event(.routeReturn, "bus-1", 40, route: "R1")
        #expect(try store.insert([deviation, exit]) == 2)  // stored out of time order
        #expect(try store.insert([back, enter]) == 2)
        func query(_ query: EventQuery) throws -> [VehicleEvent] { try store.events(query) }
        #expect(try query(EventQuery()) == [enter, deviation, exit, back])
        #expect(try query(EventQuery(vehicleID: "bus-1")) == [enter, deviation, back])
        #expect(try query(EventQuery(kinds: [.routeDeviation, .routeReturn])) == [deviation, back])
        #expect(try query(EventQuery(since: at(20), until: at(30))) == [deviation, exit])
        #expect(try query(EventQuery(vehicleID: "bus-1", kinds: [.geofenceEnter, .geofenceExit])) == [enter])
        #expect(try query(EventQuery(limit: 2)) == [enter, deviation])
        #expect(try query(EventQuery(since: at(15), limit: 1)) == [deviation])
        #expect(try query(EventQuery(limit: 0)).isEmpty)
        #expect(try query(EventQuery(vehicleID: "nobody")).isEmpty)
    }
}
