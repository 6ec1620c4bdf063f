import Foundation
import HTTPTypes
import OrbitaModel
import OrbitaWire
import Storage
import Testing

/// Every endpoint of the dispatch API, in process: who may call it, what it returns (decoded as the wire types a
/// client uses), what hostile requests get. `OrbitaCommandsTests.DispatchAPITests` keeps one test through the binary.
@Suite("dispatch API endpoints (in process)")
struct EndpointTests {
    @Test func everyEndpointAsksForItsRole() async throws {
        let fixture = try APIFixture()
        try await fixture.run { client in
            // (method, path, body, the least role that may)
            let calls: [(HTTPRequest.Method, String, String, AccessRole)] = [
                (.get, "/api/vehicles", "", .viewer),
                (.get, "/api/vehicles/API0001/track", "", .viewer),
                (.get, "/api/events", "", .viewer),
                (.get, "/api/geofences", "", .viewer),
                (.get, "/api/routes", "", .viewer),
                (.get, "/api/reports/trips", "", .viewer),
                (.get, "/api/reports/stops", "", .viewer),
                (.get, "/api/reports/visits", "", .viewer),
                (.get, "/api/reports/mileage", "", .viewer),
                (.get, "/api/reports/routes", "", .viewer),
                (.get, "/api/reports/summary", "", .viewer),
                (.post, "/api/events/1/ack", "", .dispatcher),
                (.post, "/api/detours", #"{"vehicle":"API0001","to":"2030-01-01T00:00:00Z"}"#, .dispatcher),
                (
                    .put, "/api/geofences/depot",
                    #"{"type":"Feature","geometry":{"type":"Point","coordinates":[37.6,55.75]},"properties":{"radius_m":50}}"#,
                    .admin
                ),
                (.put, "/api/vehicles/API0009", #"{"name":"Bus 9","kind":"bus"}"#, .admin),
                (.delete, "/api/geofences/depot", "", .admin),
            ]
            for (method, path, body, least) in calls {
                let anonymous = try await client.call(method, path, nil, body: body)
                #expect(anonymous.status == 401, "\(method) \(path) without a token")
                #expect(try anonymous.decode(Wire.ErrorBody.self).error.isEmpty == false)
                let unknown = try await client.call(method, path, nil, body: body, token: "orb_not-a-token")
                #expect(unknown.status == 401)
                for role in AccessRole.allCases {
                    let status = try await client.call(method, path, role, body: body).status
                    if role < least {
                        #expect(status == 403, "\(method) \(path) as \(role)")
                    } else {
                        #expect((200..<300).contains(status), "\(method) \(path) as \(role): \(status)")
                    }
                }
            }
            let document = try await client.call(.get, "/openapi.json", nil)
            #expect(document.status == 200)
            let paths =
                (try JSONSerialization.jsonObject(with: document.body) as? [String: Any])?["paths"] as? [String: Any]
            #expect(
                Set(paths?.keys.map { $0 } ?? []) == [
                    "/api/vehicles", "/api/vehicles/{id}", "/api/vehicles/{id}/track", "/api/events",
                    "/api/events/{id}/ack", "/api/detours", "/api/geofences", "/api/geofences/{name}", "/api/routes",
                    "/api/reports/trips", "/api/reports/stops", "/api/reports/visits", "/api/reports/mileage",
                    "/api/reports/routes", "/api/reports/summary",
                ])
        }
    }

    @Test func aRevokedTokenIsRefusedAtOnce() async throws {
        let fixture = try APIFixture()
        try await fixture.run { client in
            #expect(try await client.call(.get, "/api/vehicles", .viewer).status == 200)
            let store = try fixture.store()
            let viewer = try #require(try store.tokens().first { $0.role == .viewer })
            #expect(try store.revokeToken(id: viewer.id, at: .now))
            let after = try await client.call(.get, "/api/vehicles", .viewer)
            #expect(after.status == 401 && after.text.contains("revoked"), "\(after.text)")
        }
    }

    @Test func vehiclesCarryTheirLastFixStateAndRouteFlag() async throws {
        let fixture = try APIFixture()
        try await fixture.run { client in
            let list = try await client.call(.get, "/api/vehicles", .viewer).decode(Wire.VehicleList.self)
            #expect(list.vehicles.map(\.id) == ["API0001", "API0002", "API0003", "API0004"])
            let latest = try fixture.store().latestNumbers()
            #expect(list.cursor == Wire.Cursor(fix: latest.fix, event: latest.event))
            let first = try #require(list.vehicles.first)
            let newest = APIFixture.fix(1, 49)
            #expect(first.last?.time == newest.time && first.state == .moving)
            #expect(abs((first.last?.lat ?? 0) - newest.coordinate.latitude) <= 5e-10)
            // API0002 left its route (its latest route event is a deviation); the others never had one.
            #expect(list.vehicles.map { $0.offRoute == true } == [false, true, false, false])
            // Registering a vehicle: it shows with its name and kind.
            let edit = try await client.call(
                .put, "/api/vehicles/API0001", .admin, body: #"{"name":"Bus 1","kind":"bus","registration":"A1"}"#)
            #expect(edit.status == 200, "\(edit.text)")
            let edited = try await client.call(.get, "/api/vehicles", .viewer).decode(Wire.VehicleList.self)
            let bus = try #require(edited.vehicles.first)
            #expect(bus.name == "Bus 1" && bus.kind == .bus && bus.registration == "A1")
        }
    }

    @Test func tracksArePagedBackInTime() async throws {
        let fixture = try APIFixture()
        try await fixture.run { client in
            let page = try await client.call(.get, "/api/vehicles/API0003/track?limit=20", .viewer)
            let track = try page.decode(Wire.Track.self)
            #expect(track.fixes.count == 20 && track.properties.truncated)
            #expect(track.fixes.map(\.time) == (30..<50).map(APIFixture.time))
            let nextTo = try #require(track.properties.nextTo)
            let older = try await client.call(
                .get, "/api/vehicles/API0003/track?limit=100&to=\(nextTo.iso8601)", .viewer
            )
            .decode(Wire.Track.self)
            #expect(older.fixes.map(\.time) == (0..<30).map(APIFixture.time) && !older.properties.truncated)
            #expect(try await client.call(.get, "/api/vehicles/NOPE/track", .viewer).status == 404)
            #expect(try await client.call(.get, "/api/vehicles/API0001/track?from=yesterday", .viewer).status == 400)
        }
    }

    @Test func eventsArePagedAndAcknowledged() async throws {
        let fixture = try APIFixture()
        try await fixture.run { client in
            let all = try await client.call(.get, "/api/events?limit=1000", .viewer).decode(Wire.EventPage.self)
            #expect(all.events.count == 8)
            let ids = all.events.map(\.id)
            #expect(ids == ids.sorted(by: >))
            #expect(all.events.contains { $0.kind == .routeDeviation && $0.route == "R" && $0.vehicle == "API0002" })
            let page = try await client.call(.get, "/api/events?limit=3", .viewer).decode(Wire.EventPage.self)
            #expect(page.events.map(\.id) == Array(ids.prefix(3)))
            let next = try #require(page.next)
            let second = try await client.call(.get, "/api/events?limit=3&\(next)", .viewer).decode(Wire.EventPage.self)
            #expect(second.events.map(\.id) == Array(ids.dropFirst(3).prefix(3)))
            let kinds = try await client.call(.get, "/api/events?kind=geofenceEnter&vehicle=API0004", .viewer)
                .decode(Wire.EventPage.self)
            #expect(kinds.events.map(\.kind) == [.geofenceEnter] && kinds.events.map(\.vehicle) == ["API0004"])

            let acknowledged = try await client.call(.post, "/api/events/\(ids[0])/ack", .dispatcher)
                .decode(Wire.Event.self)
            #expect(acknowledged.id == ids[0] && acknowledged.acknowledged != nil)
            // The first acknowledgement's time is kept.
            let again = try await client.call(.post, "/api/events/\(ids[0])/ack", .dispatcher).decode(Wire.Event.self)
            #expect(again.acknowledged == acknowledged.acknowledged)
            let open = try await client.call(.get, "/api/events?unacknowledged=true&limit=1000", .viewer)
                .decode(Wire.EventPage.self)
            #expect(open.events.map(\.id) == Array(ids.dropFirst()))
            #expect(try await client.call(.post, "/api/events/999999/ack", .dispatcher).status == 404)
            #expect(try await client.call(.get, "/api/events?kind=teleport", .viewer).status == 400)
        }
    }

    @Test func detoursGeofencesAndRoutesAreStored() async throws {
        let fixture = try APIFixture()
        try await fixture.run { client in
            let detour = try await client.call(
                .post, "/api/detours", .dispatcher,
                body:
                    #"{"vehicle":"API0002","from":"2026-01-01T10:00:00Z","to":"2026-01-01T11:00:00Z","reason":"roadworks"}"#
            )
            #expect(detour.status == 201, "\(detour.text)")
            #expect(try detour.decode(Wire.Detour.self).reason == "roadworks")
            #expect(try fixture.store().exemptions().contains { $0.vehicleID == "API0002" && $0.reason == "roadworks" })

            let square = #"{"type":"Polygon","coordinates":[[[37.6,55.7],[37.7,55.7],[37.7,55.8],[37.6,55.7]]]}"#
            #expect(try await client.call(.put, "/api/geofences/Depot%20North", .admin, body: square).status == 200)
            #expect(try fixture.store().geofences().map(\.name) == ["Depot North"])
            let fences = try await client.call(.get, "/api/geofences", .viewer)
            #expect(fences.text.contains(#""name":"Depot North""#))
            #expect(try await client.call(.delete, "/api/geofences/Depot%20North", .admin).status == 204)
            #expect(try await client.call(.delete, "/api/geofences/Depot%20North", .admin).status == 404)
            #expect(try fixture.store().geofences().isEmpty)
            let routes = try await client.call(.get, "/api/routes", .viewer)
            #expect(routes.status == 200 && routes.text.contains(#""name":"R""#))
        }
    }

    @Test func hostileRequestsGetAClearFourHundred() async throws {
        let fixture = try APIFixture(fenceLimits: GeofenceLimits(maximumVerticesPerFence: 20_000))
        try await fixture.run { client in
            var comb: [String] = (0..<30_000).map { i in
                let longitude = 37.6 + Double(i) * 0.04 / 30_000
                return "[\(longitude),\(i % 2 == 0 ? 55.76 : 55.7401)]"
            }
            comb += ["[37.64,55.74]", "[37.6,55.74]", "[37.6,55.76]"]
            let combBody = #"{"type":"Polygon","coordinates":[["# + comb.joined(separator: ",") + "]]}"
            let huge = "{\"vehicle\":\"" + String(repeating: "A", count: 2 << 20) + "\"}"
            let hostile: [(HTTPRequest.Method, String, String, Int)] = [
                (.post, "/api/detours", "{not json", 400),
                (.post, "/api/detours", "[1,2,3]", 400),
                (.post, "/api/detours", #"{"vehicle":"API0001","to":"soon"}"#, 400),
                (.post, "/api/detours", #"{"to":"2030-01-01T00:00:00Z"}"#, 400),
                (.post, "/api/detours", #"{"vehicle":"GHOST","to":"2030-01-01T00:00:00Z"}"#, 404),
                (.put, "/api/geofences/bad", #"{"type":"Polygon","coordinates":[[[0,0],[1,1]]]}"#, 400),
                (.put, "/api/geofences/bad", "\u{0}\u{1}\u{2}", 400),
                (
                    .put, "/api/geofences/bowtie",
                    #"{"type":"Polygon","coordinates":[[[37.6,55.7],[37.7,55.8],[37.7,55.7],[37.6,55.8],[37.6,55.7]]]}"#,
                    422
                ),
                (
                    .put, "/api/geofences/huge",
                    #"{"type":"Feature","properties":{"radius_m":1e300},"geometry":{"type":"Point","coordinates":[37.6,55.7]}}"#,
                    422
                ),
                // A 30,000-vertex comb (under the body limit) over a per-fence budget lowered to 20,000.
                (.put, "/api/geofences/comb", combBody, 413),
                (.put, "/api/vehicles/API0001", #"{"kind":"spaceship"}"#, 400),
                (.put, "/api/vehicles/Bus%2017", "{}", 400),
                (.put, "/api/vehicles/A%0D%0AB", "{}", 400),
                (.put, "/api/vehicles/A%2FB", "{}", 400),
                (.put, "/api/geofences/a%0Ab", #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#, 400),
                (.get, "/api/events?limit=-5", "", 400),
                (.get, "/api/events?before=abc", "", 400),
                (.get, "/api/vehicles/API0001/track?limit=0", "", 400),
                (.post, "/api/events/abc/ack", "", 400),
                (.post, "/api/detours", huge, 413),
            ]
            for (method, path, body, expected) in hostile {
                let reply = try await client.call(method, path, .admin, body: body)
                #expect(reply.status == expected, "\(method) \(path.prefix(60)) \(body.prefix(60)): \(reply.text)")
                // One error shape everywhere.
                #expect((try? reply.decode(Wire.ErrorBody.self)) != nil, "\(reply.text)")
            }
            #expect(try fixture.store().geofences().isEmpty, "nothing hostile was stored")
            // A long bearer token is refused without being looked up.
            let long = try await client.call(.get, "/api/vehicles", nil, token: String(repeating: "x", count: 10_000))
            #expect(long.status == 401)
            #expect(try await client.call(.put, "/api/vehicles/BUS-17.a", .admin, body: "{}").status == 200)
            #expect(try await client.call(.get, "/api/vehicles", .viewer).status == 200)
        }
    }
}
