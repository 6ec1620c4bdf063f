import Foundation
public import Hummingbird
import NIOCore
public import OrbitaModel
import OrbitaWire

/// The dispatchers' REST API under `/api` (JSON; geometry as GeoJSON, longitude first), behind `BearerAuth`: one
/// controller per resource, each a route collection whose groups carry the role they need (`RequireRole`): a viewer
/// reads, a dispatcher also acknowledges events and approves detours, an admin also edits geofences and vehicles.
/// `/openapi.json` describes it (public). Storage is reached only through `DispatchRepository` (`DispatchStore`).
public enum DispatchRoutes {
    /// Adds the routes to `router`.
    public static func register(
        on router: Router<DispatchContext>, store: DispatchStore, fenceLimits: GeofenceLimits = GeofenceLimits()
    ) {
        router.add(middleware: ErrorEnvelope())
        router.get("openapi.json") { _, _ in OpenAPIDocument.response }
        let api = router.group("api").add(middleware: BearerAuth(store: store))
        api.addRoutes(VehiclesController(store: store).routes, atPath: "vehicles")
        api.addRoutes(EventsController(store: store).routes, atPath: "events")
        api.addRoutes(DetoursController(store: store).routes, atPath: "detours")
        api.addRoutes(GeofencesController(store: store, limits: fenceLimits).routes, atPath: "geofences")
        api.addRoutes(RoutesController(store: store).routes, atPath: "routes")
        api.addRoutes(ReportsController(store: store).routes, atPath: "reports")
    }

    /// A JSON response written by `write`.
    static func json(status: HTTPResponse.Status = .ok, _ write: (inout JSONWriter) -> Void) -> Response {
        var writer = JSONWriter(capacity: 512)
        write(&writer)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// JSON made by another writer (GeoJSON documents), as it is.
    static func json(text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// `{"error": …}` with a status.
    public static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status: status) { Wire.ErrorBody(message).write(to: &$0) }
    }
}

/// Reading a request: path parameters, query values, JSON bodies — every problem a 400 that names it.
enum RequestValues {
    /// The `{id}` of a path, percent-decoded and checked by `VehicleIdentifier`'s rule.
    static func vehicleID(_ context: DispatchContext) throws -> String {
        let id = try decoded(context, "id")
        if let problem = VehicleIdentifier.problem(id) { throw HTTPError(.badRequest, message: problem) }
        return id
    }

    /// The `{name}` of a path, percent-decoded and checked by `ZoneName`'s rule.
    static func zoneName(_ context: DispatchContext) throws -> String {
        let name = try decoded(context, "name")
        if let problem = ZoneName.problem(name) { throw HTTPError(.badRequest, message: problem) }
        return name
    }

    /// A path parameter, percent-decoded (`Bus%2017` is `Bus 17`).
    static func decoded(_ context: DispatchContext, _ parameter: String) throws -> String {
        let raw = try context.parameters.require(parameter)
        guard let text = raw.removingPercentEncoding else {
            throw HTTPError(.badRequest, message: "\(parameter): broken percent-encoding")
        }
        return text
    }

    /// A JSON body (at most the context's upload limit) decoded as `T`.
    static func body<T: Decodable>(_ type: T.Type, _ request: Request, _ context: DispatchContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.keyNotFound(key, _) {
            throw HTTPError(.badRequest, message: "\(key.stringValue) is required")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            if path.isEmpty { throw HTTPError(.badRequest, message: "the body must be a JSON object") }
            throw HTTPError(.badRequest, message: "\(path): \(context.debugDescription)")
        } catch {
            throw HTTPError(.badRequest, message: "the body must be a JSON object")
        }
    }

    /// An ISO 8601 instant (or a date, meaning its midnight UTC) from a query value.
    static func instant(_ text: Substring?, _ name: String) throws -> UTCInstant? {
        guard let text else { return nil }
        let parsed = text.count == 10 ? ISO8601.parse(text + "T00:00:00Z") : ISO8601.parse(String(text))
        guard let parsed else { throw HTTPError(.badRequest, message: "\(name): expected ISO 8601 UTC") }
        return parsed
    }

    /// A whole number in `range` from a query value.
    static func integer(_ text: Substring?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw HTTPError(.badRequest, message: "\(name): expected a whole number in \(range)")
        }
        return number
    }
}
