import Hummingbird
import NIOCore
import OrbitaModel
import OrbitaWire

/// `/api/vehicles`: the fleet with last positions and states (viewer), one vehicle's track (viewer), registering or
/// editing a vehicle (admin).
struct VehiclesController {
    let store: DispatchStore

    var routes: RouteCollection<DispatchContext> {
        let routes = RouteCollection(context: DispatchContext.self)
        routes.needing(.viewer).get(use: list).get("{id}/track", use: track)
        routes.needing(.admin).put("{id}", use: edit)
        return routes
    }

    @Sendable func list(_ request: Request, _ context: DispatchContext) async throws -> Response {
        // The live feed's cursor as of this snapshot, read first: a client that follows `/api/live?after=` it gets
        // everything committed after (some of it twice, never nothing).
        let latest = try await store.use { try $0.latestNumbers() }
        let (vehicles, positions, offRoute) = try await store.use {
            (try $0.vehicles(), try $0.lastPositions(), try $0.offRouteVehicles())
        }
        let last = Dictionary(positions.map { ($0.vehicleID, $0) }, uniquingKeysWith: { first, _ in first })
        let now = UTCInstant.now
        let list = Wire.VehicleList(
            vehicles: vehicles.map {
                Wire.Vehicle($0, last: last[$0.id], now: now, offRoute: offRoute.contains($0.id))
            },
            cursor: Wire.Cursor(fix: latest.fix, event: latest.event))
        return DispatchRoutes.json { list.write(to: &$0) }
    }

    @Sendable func track(_ request: Request, _ context: DispatchContext) async throws -> Response {
        // Read as stored (IDs made before the one rule may break it), percent-decoded.
        let id = try RequestValues.decoded(context, "id")
        guard try await store.use({ try $0.vehicle(id: id) }) != nil else {
            return DispatchRoutes.error(.notFound, "no vehicle \(id)")
        }
        let query = request.uri.queryParameters
        let from = try RequestValues.instant(query["from"], "from")
        let to = try RequestValues.instant(query["to"], "to")
        let limit = try RequestValues.integer(query["limit"], "limit", default: 10_000, range: 1...100_000)
        // The limit is in the query: the latest `limit` fixes of the range, never the whole track.
        let (kept, truncated) = try await store.use(heavy: true) {
            try $0.track(vehicleID: id, from: from, to: to, latest: limit)
        }
        let nextTo =
            truncated ? kept.first.map { UTCInstant(microsecondsSinceEpoch: $0.time.microsecondsSinceEpoch - 1) } : nil
        return DispatchRoutes.json {
            TrackFeature.write(vehicle: id, kept, truncated: truncated, nextTo: nextTo, to: &$0)
        }
    }

    @Sendable func edit(_ request: Request, _ context: DispatchContext) async throws -> Response {
        let id = try RequestValues.vehicleID(context)
        let edit = try await RequestValues.body(Wire.VehicleEdit.self, request, context)
        var vehicle = try await store.use { try $0.vehicle(id: id) } ?? Vehicle(id: id)
        if let name = edit.name { vehicle.name = String(name.prefix(200)) }
        if let kind = edit.kind { vehicle.kind = kind }
        if let registration = edit.registration { vehicle.registration = String(registration.prefix(50)) }
        let saved = vehicle
        try await store.use { try $0.save(saved) }
        return DispatchRoutes.json { Wire.Vehicle(saved, last: nil, now: .now).write(to: &$0) }
    }
}
