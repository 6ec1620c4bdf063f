import Foundation
import GPX
import GeoJSON
public import Hummingbird
import NIOCore
public import OrbitaModel
import Storage

/// The dispatchers' REST API under `/api` (JSON; geometry as GeoJSON, longitude first), behind `BearerAuth`:
/// a viewer reads, a dispatcher also acknowledges events and approves detours, an admin also edits geofences and
/// vehicles. `/openapi.json` describes it (public).
public enum DispatchRoutes {
    /// Adds the routes to `router`.
    public static func register(
        on router: Router<DispatchContext>, store: DispatchStore, fenceLimits: GeofenceLimits = GeofenceLimits()
    ) {
        router.add(middleware: ErrorEnvelope())
        router.get("openapi.json") { _, _ in json(OpenAPIDocument.document, status: .ok) }
        let api = router.group("api").add(middleware: BearerAuth(store: store))

        api.get("vehicles") { _, context in
            try require(.viewer, context)
            // The live feed's cursor as of this snapshot, read first: a client that follows `/api/live?after=` it
            // gets everything committed after (some of it twice, never nothing).
            let latest = try await store.use { try $0.latestNumbers() }
            let positions = try await store.use { try $0.lastPositions() }
            let last = Dictionary(positions.map { ($0.vehicleID, $0) }, uniquingKeysWith: { a, _ in a })
            let now = UTCInstant.now
            let offRoute = try await store.use { try $0.offRouteVehicles() }
            let vehicles = try await store.use { try $0.vehicles() }.map { vehicle in
                var object = vehicleJSON(vehicle, last: last[vehicle.id], now: now)
                object["off_route"] = offRoute.contains(vehicle.id)
                return object
            }
            let cursor = LiveFeed.Cursor(fix: latest.fix, event: latest.event)
            return json(["vehicles": vehicles, "cursor": cursor.text], status: .ok)
        }

        api.get("vehicles/{id}/track") { request, context in
            try require(.viewer, context)
            // Read as stored (IDs made before the one rule may break it), percent-decoded.
            let id = try decoded(context, "id")
            guard try await store.use({ try $0.vehicle(id: id) }) != nil else {
                return error(.notFound, "no vehicle \(id)")
            }
            let query = request.uri.queryParameters
            let from = try instant(query["from"].map(String.init), "from")
            let to = try instant(query["to"].map(String.init), "to")
            let limit = try integer(query["limit"].map(String.init), "limit", default: 10_000, range: 1...100_000)
            // The limit is in the query: the latest `limit` fixes of the range, never the whole track.
            let (kept, truncated) = try await store.use(heavy: true) {
                try $0.track(vehicleID: id, from: from, to: to, latest: limit)
            }
            let nextTo =
                truncated
                ? kept.first.map { UTCInstant(microsecondsSinceEpoch: $0.time.microsecondsSinceEpoch - 1).iso8601 }
                : nil
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: trackFeature(id, kept, truncated, nextTo))))
        }

        api.get("events") { request, context in
            try require(.viewer, context)
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
            filter.since = try instant(query["since"].map(String.init), "since")
            filter.until = try instant(query["until"].map(String.init), "until")
            filter.limit = try integer(query["limit"].map(String.init), "limit", default: 100, range: 1...1_000)
            let before = try query["before"].map { try integer(String($0), "before", default: 0, range: 1...Int.max) }
            let unacknowledged = query["unacknowledged"] == "true"
            let eventFilter = filter
            let page = try await store.use(heavy: true) {
                try $0.storedEvents(
                    eventFilter, order: .newestFirst, beforeID: before.map(Int64.init),
                    unacknowledgedOnly: unacknowledged)
            }
            var body: [String: Any] = ["events": page.map(eventJSON)]
            if page.count == filter.limit, let last = page.last { body["next"] = "before=\(last.id)" }
            return json(body, status: .ok)
        }

        api.post("events/{id}/ack") { _, context in
            try require(.dispatcher, context)
            guard let id = Int64(try context.parameters.require("id")) else { return error(.badRequest, "bad id") }
            guard let event = try await store.use({ try $0.acknowledgeEvent(id: id, at: .now) }) else {
                return error(.notFound, "no event \(id)")
            }
            return json(eventJSON(event), status: .ok)
        }

        api.post("detours") { request, context in
            // A dispatcher approves a detour: the vehicle is not judged against its route in the window.
            try require(.dispatcher, context)
            let body = try await object(request, context)
            guard let vehicle = body["vehicle"] as? String, !vehicle.isEmpty else {
                return error(.badRequest, "vehicle is required")
            }
            guard try await store.use({ try $0.vehicle(id: vehicle) }) != nil else {
                return error(.notFound, "no vehicle \(vehicle)")
            }
            let from = try instant(body["from"] as? String, "from") ?? .now
            guard let to = try instant(body["to"] as? String, "to"), from <= to else {
                return error(.badRequest, "to (ISO 8601, not before from) is required")
            }
            let reason = (body["reason"] as? String).map { String($0.prefix(500)) } ?? "approved detour"
            try await store.use {
                try $0.exempt(RouteExemption(vehicleID: vehicle, from: from, to: to, reason: reason))
            }
            return json(
                ["vehicle": vehicle, "from": from.iso8601, "to": to.iso8601, "reason": reason], status: .created)
        }

        api.get("geofences") { _, context in
            try require(.viewer, context)
            let features = try await store.use(heavy: true) { try $0.geofences() }.map(GeoJSON.feature(of:))
            return json(["type": "FeatureCollection", "features": features], status: .ok)
        }

        api.put("geofences/{name}") { request, context in
            try require(.admin, context)
            let name = try zoneName(context)
            let buffer = try await request.body.collect(upTo: context.maxUploadSize)
            let shape: GeoShape
            do {
                shape = try GeoJSON.shape(in: Data(buffer.readableBytesView))
            } catch {
                return DispatchRoutes.error(.badRequest, "not a geofence shape: \(error)")
            }
            let fence = Geofence(name: name, shape: shape)
            if let problem = fenceLimits.problem(adding: fence, to: try await store.use { try $0.geofences() }) {
                let status: HTTPResponse.Status =
                    switch problem {
                    case .tooManyVertices, .totalVerticesExceeded: .contentTooLarge
                    default: .unprocessableContent
                    }
                return error(status, "geofence \(name): \(problem)")
            }
            try await store.use { try $0.save(fence) }
            return json(GeoJSON.feature(of: fence), status: .ok)
        }

        api.delete("geofences/{name}") { _, context in
            try require(.admin, context)
            // Decoded, not checked: a name stored before the rule can still be removed.
            let name = try decoded(context, "name")
            guard try await store.use({ try $0.removeGeofence(named: name) }) else {
                return error(.notFound, "no geofence \(name)")
            }
            return Response(status: .noContent)
        }

        api.get("routes") { _, context in
            try require(.viewer, context)
            let assignments = try await store.use { try $0.assignments() }
            let features = try await store.use { try $0.routes() }.map {
                GeoJSON.feature(of: $0, assignments: assignments)
            }
            return json(["type": "FeatureCollection", "features": features], status: .ok)
        }

        api.put("vehicles/{id}") { request, context in
            try require(.admin, context)
            let id = try vehicleID(context)
            let body = try await object(request, context)
            var vehicle = try await store.use { try $0.vehicle(id: id) } ?? Vehicle(id: id)
            if let name = body["name"] as? String { vehicle.name = String(name.prefix(200)) }
            if let kindName = body["kind"] as? String {
                guard let kind = VehicleKind(rawValue: kindName) else {
                    return error(.badRequest, "unknown kind \(kindName)")
                }
                vehicle.kind = kind
            }
            if let registration = body["registration"] as? String {
                vehicle.registration = String(registration.prefix(50))
            }
            let saved = vehicle
            try await store.use { try $0.save(saved) }
            return json(vehicleJSON(vehicle, last: nil, now: .now), status: .ok)
        }
    }

    // MARK: - Helpers

    /// The `{id}` of a path, percent-decoded and checked by `VehicleIdentifier`'s rule (400 otherwise).
    static func vehicleID(_ context: DispatchContext) throws -> String {
        let id = try decoded(context, "id")
        if let problem = VehicleIdentifier.problem(id) { throw HTTPError(.badRequest, message: problem) }
        return id
    }

    /// The `{name}` of a path, percent-decoded and checked by `ZoneName`'s rule (400 otherwise).
    static func zoneName(_ context: DispatchContext) throws -> String {
        let name = try decoded(context, "name")
        if let problem = ZoneName.problem(name) { throw HTTPError(.badRequest, message: problem) }
        return name
    }

    /// A path parameter, percent-decoded (`Bus%2017` is `Bus 17`); 400 when its escapes are broken.
    static func decoded(_ context: DispatchContext, _ parameter: String) throws -> String {
        let raw = try context.parameters.require(parameter)
        guard let text = raw.removingPercentEncoding else {
            throw HTTPError(.badRequest, message: "\(parameter): broken percent-encoding")
        }
        return text
    }

    static func require(_ role: AccessRole, _ context: DispatchContext) throws {
        guard let held = context.role else { throw HTTPError(.unauthorized, message: "a bearer token is required") }
        guard held >= role else { throw HTTPError(.forbidden, message: "this needs the \(role.rawValue) role") }
    }

    /// A JSON object body (≤ the context's limit), or 400.
    static func object(_ request: Request, _ context: DispatchContext) async throws -> [String: Any] {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        else {
            throw HTTPError(.badRequest, message: "the body must be a JSON object")
        }
        return object
    }

    static func instant(_ text: String?, _ name: String) throws -> UTCInstant? {
        guard let text else { return nil }
        let parsed = text.count == 10 ? ISO8601.parse(text + "T00:00:00Z") : ISO8601.parse(text)
        guard let parsed else { throw HTTPError(.badRequest, message: "\(name): expected ISO 8601 UTC") }
        return parsed
    }

    static func integer(_ text: String?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw HTTPError(.badRequest, message: "\(name): expected a whole number in \(range)")
        }
        return number
    }

    static func vehicleJSON(_ vehicle: Vehicle, last: TrackPoint?, now: UTCInstant) -> [String: Any] {
        var object: [String: Any] = ["id": vehicle.id, "name": vehicle.name, "kind": vehicle.kind.rawValue]
        if let registration = vehicle.registration { object["registration"] = registration }
        object["state"] = LiveState(last: last, now: now).rawValue
        guard let last else { return object }
        var position: [String: Any] = [
            "time": last.time.iso8601, "lat": last.coordinate.latitude, "lon": last.coordinate.longitude,
        ]
        if let speed = last.speedMetersPerSecond { position["speed_mps"] = speed }
        if let course = last.courseDegrees { position["course_deg"] = course }
        if let hdop = last.hdop { position["hdop"] = hdop }
        object["last"] = position
        return object
    }

    static func eventJSON(_ stored: StoredEvent) -> [String: Any] {
        let event = stored.event
        var object: [String: Any] = [
            "id": stored.id, "kind": event.kind.rawValue, "vehicle": event.vehicleID, "time": event.time.iso8601,
            "lat": event.coordinate.latitude, "lon": event.coordinate.longitude, "fix_time": event.fixTime.iso8601,
            "acknowledged": event.acknowledgedAt?.iso8601 ?? NSNull(),
        ]
        if let value = event.geofence { object["geofence"] = value }
        if let value = event.route { object["route"] = value }
        if let value = event.checkpoint { object["checkpoint"] = value }
        if let value = event.distanceMeters { object["distance_m"] = value }
        if let value = event.durationSeconds { object["duration_s"] = value }
        if let value = event.speedKmh { object["speed_kmh"] = value }
        if let value = event.limitKmh { object["limit_kmh"] = value }
        return object
    }

    /// A JSON response.
    public static func json(_ object: Any, status: HTTPResponse.Status) -> Response {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A track as a GeoJSON LineString Feature, written directly (about 85 bytes a fix; through `JSONSerialization`
    /// a 100,000-fix response held ≈ 160 MB of boxed values): coordinates, and per fix its time, speed and course in
    /// the properties; `truncated` and `next_to` (the `to` of the next, older page).
    static func trackFeature(_ id: String, _ points: [TrackPoint], _ truncated: Bool, _ nextTo: String?) -> String {
        func number(_ value: Double?) -> String { value.map { $0.isFinite ? "\($0)" : "null" } ?? "null" }
        var text = #"{"geometry":{"coordinates":["#
        text.reserveCapacity(200 + points.count * 96)
        for (index, point) in points.enumerated() {
            if index > 0 { text += "," }
            text += "[\(point.coordinate.longitude),\(point.coordinate.latitude)]"
        }
        text += #"],"type":"LineString"},"properties":{"courses_deg":["#
        text += points.map { number($0.courseDegrees) }.joined(separator: ",")
        text += #"],"next_to":"# + (nextTo.map(TextFormat.jsonString) ?? "null")
        text += #","speeds_mps":["# + points.map { number($0.speedMetersPerSecond) }.joined(separator: ",")
        text += #"],"times":["# + points.map { "\"\($0.time.iso8601)\"" }.joined(separator: ",")
        text += #"],"truncated":\#(truncated),"vehicle":\#(TextFormat.jsonString(id))},"type":"Feature"}"#
        return text
    }

    /// `{"error": …}` with a status.
    public static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(["error": message], status: status)
    }
}
