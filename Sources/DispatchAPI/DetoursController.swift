import Hummingbird
import OrbitaModel
import OrbitaWire

/// `/api/detours`: a dispatcher approves a detour — the vehicle is not judged against its route in the window.
struct DetoursController {
    let store: DispatchStore

    var routes: RouteCollection<DispatchContext> {
        let routes = RouteCollection(context: DispatchContext.self)
        routes.needing(.dispatcher).post(use: approve)
        return routes
    }

    @Sendable func approve(_ request: Request, _ context: DispatchContext) async throws -> Response {
        let detour = try await RequestValues.body(Wire.Detour.self, request, context)
        guard !detour.vehicle.isEmpty else { return DispatchRoutes.error(.badRequest, "vehicle is required") }
        guard try await store.use({ try $0.vehicle(id: detour.vehicle) }) != nil else {
            return DispatchRoutes.error(.notFound, "no vehicle \(detour.vehicle)")
        }
        let from = detour.from ?? .now
        guard from <= detour.to else { return DispatchRoutes.error(.badRequest, "to must not be before from") }
        let approved = Wire.Detour(
            vehicle: detour.vehicle, from: from, to: detour.to,
            reason: detour.reason.map { String($0.prefix(500)) } ?? "approved detour")
        try await store.use {
            try $0.exempt(
                RouteExemption(
                    vehicleID: approved.vehicle, from: from, to: approved.to, reason: approved.reason ?? ""))
        }
        return DispatchRoutes.json(status: .created) { approved.write(to: &$0) }
    }
}
