import Hummingbird
import OrbitaModel
import OrbitaWire

/// `/api/events`: pages of events, newest first (viewer); acknowledging one (dispatcher).
struct EventsController {
    let store: DispatchStore

    var routes: RouteCollection<DispatchContext> {
        let routes = RouteCollection(context: DispatchContext.self)
        routes.needing(.viewer).get(use: list)
        routes.needing(.dispatcher).post("{id}/ack", use: acknowledge)
        return routes
    }

    @Sendable func list(_ request: Request, _ context: DispatchContext) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = EventQuery()
        filter.vehicleID = query["vehicle"].map(String.init)
        if let kinds = query["kind"] {
            filter.kinds = try kinds.split(separator: ",").map { name in
                guard let kind = EventKind(rawValue: String(name)) else {
                    throw HTTPError(.badRequest, message: "unknown event kind \(name)")
                }
                return kind
            }
        }
        filter.since = try RequestValues.instant(query["since"], "since")
        filter.until = try RequestValues.instant(query["until"], "until")
        filter.limit = try RequestValues.integer(query["limit"], "limit", default: 100, range: 1...1_000)
        let before = try query["before"].map {
            Int64(try RequestValues.integer($0, "before", default: 0, range: 1...Int.max))
        }
        let unacknowledged = query["unacknowledged"] == "true"
        let eventFilter = filter
        let events = try await store.use(heavy: true) {
            try $0.storedEvents(
                eventFilter, order: .newestFirst, beforeID: before, unacknowledgedOnly: unacknowledged)
        }
        let next = events.count == filter.limit ? events.last.map { "before=\($0.id)" } : nil
        let page = Wire.EventPage(events: events.map(Wire.Event.init), next: next)
        return DispatchRoutes.json { page.write(to: &$0) }
    }

    @Sendable func acknowledge(_ request: Request, _ context: DispatchContext) async throws -> Response {
        guard let id = Int64(try context.parameters.require("id")) else {
            return DispatchRoutes.error(.badRequest, "bad id")
        }
        guard let event = try await store.use({ try $0.acknowledgeEvent(id: id, at: .now) }) else {
            return DispatchRoutes.error(.notFound, "no event \(id)")
        }
        return DispatchRoutes.json { Wire.Event(event).write(to: &$0) }
    }
}
