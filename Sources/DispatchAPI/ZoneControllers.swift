import Foundation
import GeoJSON
import Hummingbird
import OrbitaModel

/// `/api/geofences`: the fences as GeoJSON (viewer); adding, replacing and removing one (admin), within the vertex
/// budgets and geometry rules of `GeofenceLimits`.
struct GeofencesController {
    let store: DispatchStore
    let limits: GeofenceLimits

    var routes: RouteCollection<DispatchContext> {
        let routes = RouteCollection(context: DispatchContext.self)
        routes.needing(.viewer).get(use: list)
        routes.needing(.admin).put("{name}", use: save).delete("{name}", use: remove)
        return routes
    }

    @Sendable func list(_ request: Request, _ context: DispatchContext) async throws -> Response {
        let features = try await store.use(heavy: true) { try $0.geofences() }.map(GeoJSON.feature(of:))
        return DispatchRoutes.json(text: GeoJSON.text(["type": "FeatureCollection", "features": features]))
    }

    @Sendable func save(_ request: Request, _ context: DispatchContext) async throws -> Response {
        let name = try RequestValues.zoneName(context)
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let shape: GeoShape
        do {
            shape = try GeoJSON.shape(in: Data(buffer.readableBytesView))
        } catch {
            return DispatchRoutes.error(.badRequest, "not a geofence shape: \(error)")
        }
        let fence = Geofence(name: name, shape: shape)
        if let problem = limits.problem(adding: fence, to: try await store.use { try $0.geofences() }) {
            let status: HTTPResponse.Status =
                switch problem {
                case .tooManyVertices, .totalVerticesExceeded: .contentTooLarge
                default: .unprocessableContent
                }
            return DispatchRoutes.error(status, "geofence \(name): \(problem)")
        }
        try await store.use { try $0.save(fence) }
        return DispatchRoutes.json(text: GeoJSON.text(GeoJSON.feature(of: fence)))
    }

    @Sendable func remove(_ request: Request, _ context: DispatchContext) async throws -> Response {
        // Decoded, not checked: a name stored before the rule can still be removed.
        let name = try RequestValues.decoded(context, "name")
        guard try await store.use({ try $0.removeGeofence(named: name) }) else {
            return DispatchRoutes.error(.notFound, "no geofence \(name)")
        }
        return Response(status: .noContent)
    }
}

/// `/api/routes`: the routes with corridors, checkpoints and assignments as GeoJSON (viewer).
struct RoutesController {
    let store: DispatchStore

    var routes: RouteCollection<DispatchContext> {
        let routes = RouteCollection(context: DispatchContext.self)
        routes.needing(.viewer).get(use: list)
        return routes
    }

    @Sendable func list(_ request: Request, _ context: DispatchContext) async throws -> Response {
        let (routes, assignments) = try await store.use { (try $0.routes(), try $0.assignments()) }
        let features = routes.map { GeoJSON.feature(of: $0, assignments: assignments) }
        return DispatchRoutes.json(text: GeoJSON.text(["type": "FeatureCollection", "features": features]))
    }
}
