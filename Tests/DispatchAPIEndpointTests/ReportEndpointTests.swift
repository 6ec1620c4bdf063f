import DispatchAPI
import Foundation
import HTTPTypes
import OrbitaModel
import OrbitaWire
import Reports
import Storage
import Testing

/// `/api/reports/…`: the rows `orbita report` reads, in the same window and time-zone rules, as JSON (with a note
/// when empty), CSV or GeoJSON; bad requests are clear errors, and a request's rows are bounded.
@Suite("dispatch API: reports")
struct ReportEndpointTests {
    /// The fixture's vehicles: parked a minute, then driving; its rows derived from the stored tracks; a fence
    /// around the first vehicle's start.
    static func fixture() throws -> APIFixture {
        let fixture = try APIFixture()
        let store = try fixture.store()
        try store.save(
            Geofence(
                name: "depot", shape: .circle(center: Coordinate(latitude: 55.75, longitude: 37.61), radiusMeters: 200)
            ))
        // Each vehicle stood 10 minutes before its minute of driving.
        for vehicle in 1...4 {
            let id = String(format: "API%04d", vehicle)
            let standing = (1...60).map { step -> TrackPoint in
                var point = APIFixture.fix(vehicle, 0)
                point.time = point.time.adding(seconds: -Double(step) * 10)
                point.speedMetersPerSecond = 0
                return point
            }
            _ = try store.insert(standing)
            _ = try store.vehicle(id: id)
        }
        _ = try ReportRebuild.run(store: store)
        return fixture
    }

    static let window = "from=\(APIFixture.time(-3_600).iso8601)&to=\(APIFixture.time(3_600).iso8601)"

    @Test func theReportsAnswerWhatTheServiceReads() async throws {
        let fixture = try Self.fixture()
        let service = ReportService(store: try fixture.store())
        let window = ReportWindow(from: APIFixture.time(-3_600), to: APIFixture.time(3_600), timeZone: .gmt)
        let trips = try service.trips(vehicles: [], window: window).map(Wire.TripRow.init)
        let stops = try service.stops(vehicles: ["API0001"], kind: nil, window: window).map(Wire.StopRow.init)
        #expect(trips.count == 4, "each vehicle drove once")
        #expect(stops.count == 1 && stops[0].kind == .parking && stops[0].geofences == ["depot"])
        try await fixture.run { client in
            let tripReply = try await client.call(.get, "/api/reports/trips?\(Self.window)", .viewer)
            #expect(tripReply.status == 200, "\(tripReply.text)")
            let tripReport = try tripReply.decode(Wire.Report<Wire.TripRow>.self)
            #expect(tripReport.rows == trips)
            #expect(tripReport.note == nil && tripReport.timeZone == "GMT")

            let stopReply = try await client.call(.get, "/api/reports/stops?vehicle=API0001&\(Self.window)", .viewer)
            #expect(try stopReply.decode(Wire.Report<Wire.StopRow>.self).rows == stops)
            let parkings = try await client.call(
                .get, "/api/reports/stops?vehicle=API0001&kind=stop&\(Self.window)", .viewer)
            let noStops = try parkings.decode(Wire.Report<Wire.StopRow>.self)
            #expect(noStops.rows.isEmpty && noStops.note?.hasPrefix("no stops of API0001") == true)

            let summary = try await client.call(.get, "/api/reports/summary?\(Self.window)", .viewer)
            let summaryRows = try summary.decode(Wire.Report<Wire.SummaryRow>.self).rows
            #expect(summaryRows.count == 5 && summaryRows.last?.vehicle == nil, "four vehicles and the fleet")
            #expect(summaryRows.last?.trips == 4)

            let visits = try await client.call(.get, "/api/reports/visits?\(Self.window)", .viewer)
            #expect(try visits.decode(Wire.Report<Wire.VisitRow>.self).rows.count == 4, "the fixture's yard events")

            let mileage = try await client.call(
                .get, "/api/reports/mileage?\(Self.window)&tz=Asia/Vladivostok", .viewer)
            let days = try mileage.decode(Wire.Report<Wire.MileageRow>.self)
            #expect(days.timeZone == "Asia/Vladivostok" && !days.rows.isEmpty)
            #expect(abs(days.rows.reduce(0) { $0 + $1.distanceM } - trips.reduce(0) { $0 + $1.distanceM }) < 1e-6)

            let csv = try await client.call(.get, "/api/reports/trips?\(Self.window)&format=csv", .viewer)
            let lines = csv.text.split(separator: "\r\n")
            #expect(lines.first == Substring(Wire.TripRow.columns.joined(separator: ",")))
            #expect(lines.count == 5)

            let geoJSON = try await client.call(.get, "/api/reports/trips?\(Self.window)&format=geojson", .viewer)
            let collection = try JSONSerialization.jsonObject(with: geoJSON.body) as? [String: Any]
            let features = collection?["features"] as? [[String: Any]]
            #expect(features?.count == 4)
            let geometry = features?.first?["geometry"] as? [String: Any]
            #expect(geometry?["type"] as? String == "LineString")
            #expect(((geometry?["coordinates"] as? [[Double]])?.count ?? 0) > 2, "the driven line, not two points")

            let truncated = try await client.call(.get, "/api/reports/trips?\(Self.window)&limit=2", .viewer)
            let cut = try truncated.decode(Wire.Report<Wire.TripRow>.self)
            #expect(cut.rows.count == 2 && cut.truncated == true)
        }
    }

    @Test func badRequestsAreClearErrors() async throws {
        let fixture = try Self.fixture()
        try await fixture.run { client in
            let cases: [(String, Int, String)] = [
                ("/api/reports/trips?vehicle=NOBODY", 404, "no vehicle NOBODY"),
                ("/api/reports/trips?from=2024-02-01&to=2024-01-01", 400, "before it begins"),
                ("/api/reports/trips?tz=Mars/Olympus", 400, "unknown time zone"),
                ("/api/reports/trips?from=yesterday", 400, "cannot read"),
                ("/api/reports/visits?format=geojson", 400, "format"),
                ("/api/reports/stops?kind=nap", 400, "kind"),
                ("/api/reports/trips?limit=0", 400, "limit"),
            ]
            for (path, status, message) in cases {
                let reply = try await client.call(.get, path, .viewer)
                #expect(reply.status == status, "\(path): \(reply.text)")
                #expect(reply.text.contains(message), "\(path): \(reply.text)")
            }
            // No data in the window: an empty report that says so.
            let empty = try await client.call(.get, "/api/reports/trips?from=2001-01-01&to=2001-01-02", .viewer)
            let report = try empty.decode(Wire.Report<Wire.TripRow>.self)
            #expect(empty.status == 200 && report.rows.isEmpty)
            #expect(report.note == "no trips between 2001-01-01T00:00:00.000Z and 2001-01-02T23:59:59.999Z")
            #expect(try await client.call(.get, "/api/reports/summary", nil).status == 401)
        }
    }
}
