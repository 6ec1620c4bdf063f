import OrbitaModel
import Testing

/// What every `TrackStore` must do: fixes unique per (vehicle, time), all-or-nothing batches, tracks in time order.
@Suite("TrackStore contract")
struct TrackStoreContractTests {
    @Test(arguments: StoreBackend.all)
    func reinsertingFixesAddsNothingAndSaysWhichWereSkipped(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        let batch = (0..<100).map { fix("bus-1", $0) }
        #expect(try store.insert(batch) == InsertOutcome(inserted: 100))
        #expect(try store.insert(batch) == InsertOutcome(duplicates: 100, skippedIndices: Array(0..<100)))
        #expect(
            try store.insert([fix("bus-1", 100), fix("bus-1", 5), fix("bus-2", 5)])
                == InsertOutcome(inserted: 2, duplicates: 1, skippedIndices: [1]))
        // The same fix twice in one batch: the second is the duplicate.
        #expect(
            try store.insert([fix("bus-3", 0), fix("bus-3", 0)])
                == InsertOutcome(inserted: 1, duplicates: 1, skippedIndices: [1]))
        #expect(try store.track(vehicleID: "bus-1", from: nil, to: nil).count == 101)
        #expect(try store.insert([]) == InsertOutcome())
    }

    @Test(arguments: StoreBackend.all)
    func addedFixesAreNumberedInIncreasingOrder(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        let first = try store.insert([fix("bus-1", 0), fix("bus-1", 1)])
        let second = try store.insert([fix("bus-1", 1), fix("bus-2", 0), fix("bus-1", 2)])
        #expect(first.fixIDs.count == 2)
        #expect(second.fixIDs.count == 2)  // the skipped fix has none
        let numbers = first.fixIDs + second.fixIDs
        #expect(zip(numbers, numbers.dropFirst()).allSatisfy { $0 < $1 }, "\(numbers)")
    }

    /// Resuming many vehicles at once (a cluster node's claimed shards) reads what one query per vehicle would.
    @Test(arguments: StoreBackend.all)
    func recentTracksOfManyVehiclesAreWhatEachVehiclesQueriesGive(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        // bus-1 reports before and inside the window, bus-2 only before it, bus-3 only inside, bus-4 never.
        _ = try store.insert((0..<40).map { fix("bus-1", $0 * 10) } + [fix("bus-2", 5), fix("bus-2", 50)])
        _ = try store.insert([fix("bus-3", 300), fix("bus-3", 390), fix("bus-1", 1_000)])
        try store.save(Vehicle(id: "bus-4", kind: .ambulance))
        let from = at(200)
        let recent = try store.recentTracks(
            vehicleIDs: ["bus-1", "bus-2", "bus-3", "bus-4", "nobody", "bus-1"], from: from)
        #expect(Set(recent.keys) == ["bus-1", "bus-2", "bus-3", "bus-4"])
        for id in ["bus-1", "bus-2", "bus-3", "bus-4"] {
            let expected = RecentTrack(
                kind: try store.vehicle(id: id)!.kind,
                before: try store.lastPoint(vehicleID: id, atOrBefore: at(200).adding(seconds: -1e-6)),
                track: try store.track(vehicleID: id, from: from, to: nil))
            #expect(recent[id] == expected, "\(id)")
        }
        #expect(recent["bus-1"]?.track.count == 21)
        #expect(recent["bus-1"]?.before?.time == at(190))
        #expect(recent["bus-2"]?.track.isEmpty == true)
        #expect(recent["bus-3"]?.before == nil)
        #expect(recent["bus-4"]?.kind == .ambulance)
    }

    /// A late replay retracts what it no longer raises: only the vehicle's, only the kinds asked, only from the
    /// instant asked, never an acknowledged event nor one it keeps.
    @Test(arguments: StoreBackend.all)
    func retractingEventsRemovesOnlyWhatWasAskedAndNothingAcknowledged(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        let events = [
            event(.geofenceEnter, "bus-1", 10), event(.geofenceExit, "bus-1", 20), event(.geofenceEnter, "bus-1", 30),
            event(.geofenceEnter, "bus-1", 35), event(.overspeed, "bus-1", 40, geofence: nil),
            event(.geofenceEnter, "bus-2", 50), event(.geofenceExit, "bus-1", 60, geofence: "yard"),
        ]
        let outcome = try store.insert([], events: events)
        #expect(outcome.eventsInserted == events.count)
        _ = try store.acknowledgeEvent(id: outcome.eventIDs[2]!, at: at(100))
        let removed = try store.retractEvents(
            vehicleID: "bus-1", kinds: [.geofenceEnter, .geofenceExit], from: at(15), keeping: [events[1], events[6]])
        #expect(removed == 1)
        let left = try store.storedEvents(EventQuery(limit: 100), order: .oldestFirst, afterID: nil).map(\.event)
        #expect(
            left.map { $0.vehicleID + " " + $0.storedIdentity }
                == events.enumerated().filter { $0.offset != 3 }.map {
                    $0.element.vehicleID + " " + $0.element.storedIdentity
                })
        #expect(try store.retractEvents(vehicleID: "nobody", kinds: [.geofenceEnter], from: at(0), keeping: []) == 0)
    }

    /// PostgreSQL's batches travel as text (`COPY`): every double must come back with the same bits, as from SQLite.
    @Test(arguments: StoreBackend.all)
    func measuresKeepEveryBit(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        let awkward: [Double] = [
            55.94157666666667, 0.1 + 0.2, 1e-7, .leastNonzeroMagnitude, .ulpOfOne, 37.617299999999994,
            1.7976931348623157e+300,
            123_456.789_012_345_67,
        ]
        let points = awkward.enumerated().map { index, value in
            var point = fix("bits-1", Int64(index), segment: value.magnitude)
            point.coordinate = Coordinate(
                latitude: (value.truncatingRemainder(dividingBy: 90)),
                longitude: -(index == 0 ? 37.61729999999999 : 1e-9))
            point.altitudeMSL = value.truncatingRemainder(dividingBy: 1_000)
            point.speedMetersPerSecond = value.magnitude.truncatingRemainder(dividingBy: 600)
            point.courseDegrees = value.magnitude.truncatingRemainder(dividingBy: 360)
            point.hdop = value.magnitude.truncatingRemainder(dividingBy: 99)
            return point
        }
        #expect(try store.insert(points).inserted == points.count)
        let stored = try store.track(vehicleID: "bits-1", from: nil, to: nil)
        #expect(stored == points)
        for (read, written) in zip(stored, points) {
            #expect(read.coordinate.latitude.bitPattern == written.coordinate.latitude.bitPattern)
            #expect(read.segmentMeters?.bitPattern == written.segmentMeters?.bitPattern)
        }
    }

    @Test(arguments: StoreBackend.all)
    func everyFieldAndFlagRoundTrips(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        var full = fix("amb-3", 0, segment: nil)
        full.coordinate = Coordinate(latitude: -33.8688, longitude: 151.2093)
        full.altitudeMSL = 58.25
        full.speedMetersPerSecond = 13.5
        full.courseDegrees = 359.5
        full.quality = .rtkFloat
        full.hdop = 0.7
        full.satellitesUsed = 14
        for (count, constellation) in Constellation.allCases.enumerated() {
            full.satellitesInView[constellation] = count + 3
        }
        full.datum = .pz90
        full.source = "import:/data/amb-3 2024.nmea"
        var sparse = TrackPoint(
            vehicleID: "amb-3", time: at(1), coordinate: Coordinate(latitude: 90, longitude: -180), mode: .noFix,
            quality: .invalid, source: "")
        sparse.segmentMeters = 0
        let flagged: [FixFlags] = [.late, .ahead, .held, .datumConverted, [.late, .held, .datumConverted, .ahead]]
        let points = [full, sparse] + flagged.enumerated().map { fix("amb-3", Int64($0 + 2), flags: $1) }
        #expect(try store.insert(points).inserted == points.count)
        #expect(try store.track(vehicleID: "amb-3", from: nil, to: nil) == points)
    }

    @Test(arguments: StoreBackend.all)
    func tracksAreInTimeOrderWithinInclusiveBounds(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        _ = try store.insert([fix("t", 5), fix("t", 1), fix("u", 2), fix("t", 3)])
        _ = try store.insert([fix("t", 4)])
        func times(_ from: Int64?, _ to: Int64?) throws -> [UTCInstant] {
            try store.track(vehicleID: "t", from: from.map(at), to: to.map(at)).map(\.time)
        }
        #expect(try times(nil, nil) == [1, 3, 4, 5].map(at))
        #expect(try times(3, 5) == [3, 4, 5].map(at))
        #expect(try times(4, nil) == [4, 5].map(at))
        #expect(try times(nil, 3) == [1, 3].map(at))
        #expect(try times(2, 2).isEmpty)
        #expect(try times(5, 1).isEmpty)
        #expect(try store.track(vehicleID: "nobody", from: nil, to: nil).isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func vehiclesAreSavedUpdatedAndRegisteredByTheirFirstFix(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        try store.save(Vehicle(id: "bus-7", name: "Route 7", kind: .bus))
        try store.save(Vehicle(id: "bus-7", name: "Route 7A", kind: .bus, registration: "A123BC77"))
        _ = try store.insert([fix("truck", 0), fix("bus-7", 0)])
        #expect(
            try store.vehicles() == [
                Vehicle(id: "bus-7", name: "Route 7A", kind: .bus, registration: "A123BC77"),
                Vehicle(id: "truck", name: "truck", kind: .other),
            ])
        #expect(try store.vehicle(id: "truck") == Vehicle(id: "truck"))
        #expect(try store.vehicle(id: "nobody") == nil)
    }

    @Test(arguments: StoreBackend.all)
    func summariesCountFixesTimesAndDistance(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        try store.save(Vehicle(id: "bus-7", name: "Route 7", kind: .bus, registration: "A123BC77"))
        try store.save(Vehicle(id: "idle", kind: .municipal))
        _ = try store.insert([fix("bus-7", 0, segment: 0), fix("bus-7", 2, segment: 12.5), fix("truck", 9)])
        _ = try store.insert([fix("bus-7", 1, segment: nil, flags: .late)])  // a late fix has no segment
        #expect(
            try store.summaries() == [
                VehicleSummary(
                    vehicle: Vehicle(id: "bus-7", name: "Route 7", kind: .bus, registration: "A123BC77"), fixCount: 3,
                    firstTime: at(0), lastTime: at(2), distanceMeters: 12.5),
                VehicleSummary(
                    vehicle: Vehicle(id: "idle", kind: .municipal), fixCount: 0, firstTime: nil, lastTime: nil,
                    distanceMeters: 0),
                VehicleSummary(
                    vehicle: Vehicle(id: "truck"), fixCount: 1, firstTime: at(9), lastTime: at(9), distanceMeters: 10),
            ])
    }

    @Test(arguments: StoreBackend.all)
    func lastPositionsAreTheLatestFixesNotThoseAheadOfTheClock(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        _ = try store.insert([fix("bus-7", 1), fix("bus-7", 3), fix("bus-7", 60, flags: .ahead)])
        _ = try store.insert([fix("bus-7", 2, flags: .late), fix("clockless", 90, flags: .ahead), fix("tram", 5)])
        try store.save(Vehicle(id: "idle"))
        #expect(try store.lastPositions() == [fix("bus-7", 3), fix("tram", 5)])
    }

    @Test(arguments: StoreBackend.all)
    func lastPointIsTheLatestStoredFixAtOrBeforeAnInstant(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        _ = try store.insert([fix("bus-7", 1), fix("bus-7", 3), fix("bus-7", 60, flags: .ahead), fix("tram", 2)])
        #expect(try store.lastPoint(vehicleID: "bus-7", atOrBefore: at(3)) == fix("bus-7", 3))
        #expect(try store.lastPoint(vehicleID: "bus-7", atOrBefore: at(2)) == fix("bus-7", 1))
        #expect(try store.lastPoint(vehicleID: "bus-7", atOrBefore: at(0)) == nil)
        #expect(try store.lastPoint(vehicleID: "bus-7", atOrBefore: nil) == fix("bus-7", 60, flags: .ahead))
        #expect(try store.lastPoint(vehicleID: "nobody", atOrBefore: nil) == nil)
    }

    @Test(arguments: StoreBackend.all)
    func aBatchWithABadRowIsRefusedWholeWithItsEventsAndVehicles(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        _ = try store.insert([fix("bus-1", 0)])
        var bad = fix("new-1", 2)
        bad.coordinate = Coordinate(latitude: 91, longitude: 37.61)
        let error = #expect(throws: StoreError.self) {
            try store.insert([fix("bus-1", 1), fix("new-1", 1), bad], events: [event(.geofenceEnter, "new-1", 1)])
        }
        #expect(error?.category == "constraint")
        #expect(try store.track(vehicleID: "bus-1", from: nil, to: nil) == [fix("bus-1", 0)])
        #expect(try store.vehicles().map(\.id) == ["bus-1"])
        #expect(try store.events(EventQuery()).isEmpty)
        // The refused batch's new vehicle was rolled back with it; the next batch registers it again.
        #expect(
            try store.insert([fix("new-1", 1)], events: [event(.geofenceEnter, "new-1", 1)])
                == InsertOutcome(inserted: 1, eventsInserted: 1))
        #expect(try store.vehicles().map(\.id) == ["bus-1", "new-1"])
    }

    @Test(arguments: StoreBackend.all)
    func whatOneConnectionCommitsAnotherReads(backend: StoreBackend) throws {
        let database = try backend.makeDatabase()
        let writer = try database.connect()
        let reader = try database.connect()
        _ = try writer.insert([fix("bus-1", 0)])
        #expect(try reader.track(vehicleID: "bus-1", from: nil, to: nil) == [fix("bus-1", 0)])
        // A fix the other connection stored is a duplicate here too.
        #expect(try reader.insert([fix("bus-1", 0)]) == InsertOutcome(duplicates: 1, skippedIndices: [0]))
    }
}
