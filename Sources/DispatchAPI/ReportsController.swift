import Foundation
import Hummingbird
import OrbitaModel
import OrbitaWire
import Reports

/// `/api/reports/{trips,stops,visits,mileage,routes,summary}` (viewer): the reports of `orbita report`, read from the
/// maintained report rows. Query: `vehicle` (comma-separated; default all), `from` and `to` (ISO 8601 UTC, or a date
/// in `tz`; default today), `tz` (IANA; default UTC), `kind` (stops: `stop` or `parking`), `limit` (rows, 1–100000,
/// default 10000: more are left out and the answer says `truncated`), `format` (`json`, the default: the window and
/// its rows, with a note when there are none; `csv`; `geojson` for trips and stops).
struct ReportsController {
    let store: DispatchStore

    var routes: RouteCollection<DispatchContext> {
        let routes = RouteCollection(context: DispatchContext.self)
        let viewer = routes.needing(.viewer)
        viewer.get("trips", use: trips)
        viewer.get("stops", use: stops)
        viewer.get("visits", use: visits)
        viewer.get("mileage", use: mileage)
        viewer.get("routes", use: routeTrips)
        viewer.get("summary", use: summary)
        return routes
    }

    /// GeoJSON trips read each trip's fixes: at most this many trips a request.
    static let geoJSONTripLimit = 1_000

    /// What a report request asks.
    struct Asked: Sendable {
        var vehicles: [String]
        var window: ReportWindow
        var limit: Int
        var format: String
    }

    static func asked(_ request: Request, formats: Set<String>) throws -> Asked {
        let query = request.uri.queryParameters
        let vehicles = query["vehicle"].map { $0.split(separator: ",").map(String.init) } ?? []
        for vehicle in vehicles {
            if let problem = VehicleIdentifier.problem(vehicle) { throw HTTPError(.badRequest, message: problem) }
        }
        let window: ReportWindow
        do {
            window = try ReportService.window(
                from: query["from"].map(String.init), to: query["to"].map(String.init),
                timeZone: query["tz"].map(String.init))
        } catch {
            throw HTTPError(.badRequest, message: error.description)
        }
        let format = query["format"].map(String.init) ?? "json"
        guard formats.contains(format) else {
            throw HTTPError(.badRequest, message: "format: expected one of \(formats.sorted().joined(separator: ", "))")
        }
        let limit = try RequestValues.integer(query["limit"], "limit", default: 10_000, range: 1...100_000)
        return Asked(vehicles: vehicles, window: window, limit: limit, format: format)
    }

    /// Runs a report on the blocking pool; its errors as 404 (unknown vehicle), 400 or 503 (the store).
    func run<T: Sendable>(_ body: @escaping @Sendable (ReportService) throws(ReportError) -> T) async throws -> T {
        let result: Result<T, ReportError> = try await store.use(heavy: true) { repository in
            do throws(ReportError) {
                return .success(try body(ReportService(store: repository)))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let value): return value
        case .failure(.unknownVehicle(let id)): throw HTTPError(.notFound, message: "no vehicle \(id)")
        case .failure(.store(let error)): throw HTTPError(.serviceUnavailable, message: error.description)
        case .failure(let error): throw HTTPError(.badRequest, message: error.description)
        }
    }

    /// The answer in the asked format.
    static func answer<Row: ReportRow>(
        _ rows: [Row], report: String, asked: Asked, geoJSON: (([Row]) -> String)? = nil
    ) throws -> Response {
        let kept = Array(rows.prefix(asked.limit))
        switch asked.format {
        case "csv":
            return Response(
                status: .ok, headers: [.contentType: "text/csv; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: ReportText.csv(kept))))
        case "geojson":
            return DispatchRoutes.json(text: geoJSON?(kept) ?? "")
        default:
            var document = Wire.Report(
                report: report, from: asked.window.from, to: asked.window.to,
                timeZone: asked.window.timeZone.identifier, vehicles: asked.vehicles, rows: kept)
            if rows.count > kept.count {
                document.truncated = true
                document.note = "\(rows.count - kept.count) more rows left out: narrow the window or raise limit"
            }
            let data = try ReportText.encoder().encode(document)
            return DispatchRoutes.json(text: String(decoding: data, as: UTF8.self))
        }
    }

    @Sendable func trips(_ request: Request, _ context: DispatchContext) async throws -> Response {
        let asked = try Self.asked(request, formats: ["json", "csv", "geojson"])
        if asked.format == "geojson" {
            let (rows, lines) = try await run { service throws(ReportError) in
                let trips = try service.trips(vehicles: asked.vehicles, window: asked.window)
                    .prefix(Self.geoJSONTripLimit)
                return (trips.map(Wire.TripRow.init), try service.lines(of: Array(trips)))
            }
            return DispatchRoutes.json(text: ReportGeoJSON.lines(zip(rows, lines).map { ($0, $1) }))
        }
        let rows = try await run { service throws(ReportError) in
            try service.trips(vehicles: asked.vehicles, window: asked.window).map(Wire.TripRow.init)
        }
        return try Self.answer(rows, report: "trips", asked: asked)
    }

    @Sendable func stops(_ request: Request, _ context: DispatchContext) async throws -> Response {
        let asked = try Self.asked(request, formats: ["json", "csv", "geojson"])
        let kind = try request.uri.queryParameters["kind"].map { text in
            guard let kind = Halt.Kind(rawValue: String(text)) else {
                throw HTTPError(.badRequest, message: "kind: expected stop or parking")
            }
            return kind
        }
        let rows = try await run { service throws(ReportError) in
            try service.stops(vehicles: asked.vehicles, kind: kind, window: asked.window).map(Wire.StopRow.init)
        }
        return try Self.answer(rows, report: kind.map { "\($0.rawValue)s" } ?? "stops", asked: asked) {
            ReportGeoJSON.points($0)
        }
    }

    @Sendable func visits(_ request: Request, _ context: DispatchContext) async throws -> Response {
        try await plain(request, "visits") { service, asked throws(ReportError) in
            try service.visits(vehicles: asked.vehicles, window: asked.window).map(Wire.VisitRow.init)
        }
    }

    @Sendable func mileage(_ request: Request, _ context: DispatchContext) async throws -> Response {
        try await plain(request, "mileage") { service, asked throws(ReportError) in
            try service.mileage(vehicles: asked.vehicles, window: asked.window).map(Wire.MileageRow.init)
        }
    }

    @Sendable func routeTrips(_ request: Request, _ context: DispatchContext) async throws -> Response {
        try await plain(request, "route trips") { service, asked throws(ReportError) in
            try service.routeTrips(vehicles: asked.vehicles, window: asked.window).map(Wire.RouteTripRow.init)
        }
    }

    @Sendable func summary(_ request: Request, _ context: DispatchContext) async throws -> Response {
        try await plain(request, "summary") { service, asked throws(ReportError) in
            Wire.SummaryRow.rows(try service.summary(vehicles: asked.vehicles, window: asked.window))
        }
    }

    /// A report with no GeoJSON form: its filters read, its rows made on the blocking pool, answered as JSON or CSV.
    private func plain<Row: ReportRow>(
        _ request: Request, _ report: String,
        _ rows: @escaping @Sendable (ReportService, Asked) throws(ReportError) -> [Row]
    ) async throws -> Response {
        let asked = try Self.asked(request, formats: ["json", "csv"])
        let made = try await run { service throws(ReportError) in try rows(service, asked) }
        return try Self.answer(made, report: report, asked: asked)
    }
}
