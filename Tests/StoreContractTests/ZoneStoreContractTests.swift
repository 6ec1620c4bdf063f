import OrbitaModel
import Testing

/// What every `ZoneStore` must do with geofences, routes, assignments and exemptions, and their revision.
@Suite("ZoneStore contract: zones and their revision")
struct ZoneStoreContractTests {
    static let moscow = Coordinate(latitude: 55.7558, longitude: 37.6173)
    static let square = [
        Coordinate(latitude: 55.70, longitude: 37.50), Coordinate(latitude: 55.70, longitude: 37.60),
        Coordinate(latitude: 55.80, longitude: 37.60), Coordinate(latitude: 55.80, longitude: 37.50),
    ]
    static let route = Route(
        name: "T7", line: [moscow, Coordinate(latitude: 55.76, longitude: 37.63)], corridorMeters: 40,
        checkpoints: [Checkpoint(name: "Lubyanka", coordinate: moscow, radiusMeters: 25)])

    @Test(arguments: StoreBackend.all)
    func geofencesRoundTripEveryShapeAndRule(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        let hole = [
            Coordinate(latitude: 55.74, longitude: 37.54), Coordinate(latitude: 55.74, longitude: 37.56),
            Coordinate(latitude: 55.76, longitude: 37.56),
        ]
        let fences = [
            Geofence(
                name: "a-polygon", shape: .polygons([[Self.square, hole]]), kinds: [.bus, .tram], speedLimitKmh: 40),
            Geofence(name: "b-circle", shape: .circle(center: Self.moscow, radiusMeters: 250), vehicleIDs: ["amb-1"]),
            Geofence(
                name: "c-corridor", shape: .corridor(line: [Self.moscow, Self.square[0]], halfWidthMeters: 35),
                dwellSeconds: 600),
        ]
        try store.save(fences[2])
        try store.save(Array(fences[0...1]))
        #expect(try store.geofences() == fences)
        // Saving under an existing name replaces it.
        var moved = fences[1]
        moved.shape = .circle(center: Self.square[2], radiusMeters: 100)
        try store.save(moved)
        #expect(try store.geofences() == [fences[0], moved, fences[2]])
        #expect(try store.removeGeofence(named: "b-circle"))
        #expect(try !store.removeGeofence(named: "b-circle"))
        #expect(try store.geofences() == [fences[0], fences[2]])
    }

    @Test(arguments: StoreBackend.all)
    func geofencesSavedTogetherAreSavedAllOrNone(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        let good = Geofence(name: "depot", shape: .circle(center: Self.moscow, radiusMeters: 50))
        let unnamed = Geofence(name: "", shape: .circle(center: Self.moscow, radiusMeters: 50))
        let error = #expect(throws: StoreError.self) { try store.save([good, unnamed]) }
        #expect(error?.category == "constraint")
        #expect(try store.geofences().isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func routesAssignmentsAndExemptionsRoundTrip(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        try store.save(Self.route)
        #expect(try store.routes() == [Self.route])
        var longer = Self.route
        longer.corridorMeters = 60
        try store.save(longer)  // replaces by name
        #expect(try store.routes() == [longer])
        let assignments = [
            RouteAssignment(vehicleID: "bus-2", route: "T7"),
            RouteAssignment(vehicleID: "tram-1", route: "T7", from: at(0), to: at(3600)),
            RouteAssignment(vehicleID: "tram-1", route: "T7", from: at(7200)),
        ]
        for assignment in assignments.reversed() { try store.assign(assignment) }
        #expect(try store.assignments() == assignments)
        #expect(try store.vehicles().map(\.id) == ["bus-2", "tram-1"])  // registered by their assignment
        let error = #expect(throws: StoreError.self) { try store.assign(RouteAssignment(vehicleID: "x", route: "no")) }
        #expect(error?.category == "constraint")
        let exemptions = [
            RouteExemption(vehicleID: "tram-1", from: at(0), to: at(1), reason: "road works"),
            RouteExemption(vehicleID: "tram-1", from: at(5), to: at(9)),
        ]
        for exemption in exemptions.reversed() { try store.exempt(exemption) }
        #expect(try store.exemptions() == exemptions)
        // Removing the route removes its assignments, not the exemptions.
        #expect(try store.removeRoute(named: "T7"))
        #expect(try !store.removeRoute(named: "T7"))
        #expect(try store.routes().isEmpty)
        #expect(try store.assignments().isEmpty)
        #expect(try store.exemptions() == exemptions)
    }

    @Test(arguments: StoreBackend.all)
    func everyZoneChangeMovesTheRevisionAndNothingElseDoes(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        let fence = Geofence(name: "depot", shape: .circle(center: Self.moscow, radiusMeters: 50))
        let changes: [(String, () throws -> Void)] = [
            ("save a geofence", { try store.save(fence) }),
            ("save geofences", { try store.save([Geofence(name: "yard", shape: fence.shape)]) }),
            ("replace a geofence", { try store.save(Geofence(name: "depot", shape: fence.shape, speedLimitKmh: 20)) }),
            ("remove a geofence", { _ = try store.removeGeofence(named: "yard") }),
            ("save a route", { try store.save(Self.route) }),
            ("assign", { try store.assign(RouteAssignment(vehicleID: "tram-1", route: "T7")) }),
            ("exempt", { try store.exempt(RouteExemption(vehicleID: "tram-1", from: at(0), to: at(1))) }),
            ("remove a route", { _ = try store.removeRoute(named: "T7") }),
        ]
        let unchanged: [(String, () throws -> Void)] = [
            ("read the zones", { _ = (try store.geofences(), try store.routes(), try store.assignments()) }),
            (
                "insert fixes and events",
                { _ = try store.insert([fix("bus-1", 0)], events: [event(.overspeed, "bus-1", 0)]) }
            ),
            ("save a vehicle", { try store.save(Vehicle(id: "bus-9")) }),
            ("remove no geofence", { _ = try store.removeGeofence(named: "nothing") }),
            ("remove no route", { _ = try store.removeRoute(named: "nothing") }),
        ]
        var revision = try store.zoneRevision()
        for (name, change) in changes {
            try change()
            let next = try store.zoneRevision()
            #expect(next > revision, "\(name) left the revision at \(revision)")
            revision = next
        }
        for (name, action) in unchanged {
            try action()
            #expect(try store.zoneRevision() == revision, "\(name) moved the revision")
        }
    }

    @Test(arguments: StoreBackend.all)
    func aZoneChangeByAnotherConnectionMovesTheRevision(backend: StoreBackend) throws {
        let database = try backend.makeDatabase()
        let server = try database.connect()
        let cli = try database.connect()
        let before = try server.zoneRevision()
        let fence = Geofence(name: "depot", shape: .circle(center: Self.moscow, radiusMeters: 50))
        try cli.save(fence)
        #expect(try server.zoneRevision() > before)
        #expect(try server.geofences() == [fence])
    }
}
