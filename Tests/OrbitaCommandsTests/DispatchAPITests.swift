import Foundation
import OrbitaModel
import Storage
import Testing

/// The dispatch API of a real `orbita serve` on loopback: tokens and roles, every endpoint, hostile bodies.
@Suite("dispatch API (orbita serve --http)", .serialized)
struct DispatchAPITests {
    /// A server with a fleet that has driven (fixes and fence events stored) and one token per role.
    final class Fixture {
        let folder = ImportCommandTests.folder()
        let db: String
        var tokens: [AccessRole: String] = [:]
        let server: LiveServer

        init(_ arguments: [String] = []) throws {
            db = folder.appendingPathComponent("api.sqlite").path
            let route = try ServeCommandTests.zones(folder, db: db)
            let sent = folder.appendingPathComponent("sent.nmea").path
            // The fleet's data, imported: fixes and enter events for the API to show.
            _ = try OrbitaProcess.run(["route", "add", "R", "--geojson", route.path, "--db", db])
            let generate = try OrbitaProcess.run([
                "simulate", "--to", "udp://127.0.0.1:9", "--vehicles", "4", "--rate", "5", "--duration", "8",
                "--geojson", route.path, "--prefix", "API", "--log", sent, "--quiet",
            ])
            #expect(generate.status == 0, "\(generate.stderr)")
            _ = try OrbitaProcess.run(["import", sent, "--db", db, "--quiet"])
            for role in AccessRole.allCases {
                let created = try OrbitaProcess.run(["token", "create", "--role", role.rawValue, "--db", db])
                #expect(created.status == 0, "\(created.stderr)")
                tokens[role] = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            server = try LiveServer(db: db, arguments)
        }

        func call(_ method: String, _ path: String, _ role: AccessRole?, body: String = "") -> (
            status: Int, body: String
        ) {
            server.request(method, path, token: role.flatMap { tokens[$0] }, body: Array(body.utf8))
        }

        func object(_ text: String) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        }

        deinit { _ = server.stop(SIGTERM) }
    }

    @Test func everyEndpointAsksForItsRole() throws {
        let api = try Fixture()
        // (method, path, body, the least role that may)
        let calls: [(String, String, String, AccessRole)] = [
            ("GET", "/api/vehicles", "", .viewer),
            ("GET", "/api/vehicles/API0001/track", "", .viewer),
            ("GET", "/api/events", "", .viewer),
            ("GET", "/api/geofences", "", .viewer),
            ("GET", "/api/routes", "", .viewer),
            ("POST", "/api/events/1/ack", "", .dispatcher),
            ("POST", "/api/detours", #"{"vehicle":"API0001","to":"2030-01-01T00:00:00Z"}"#, .dispatcher),
            (
                "PUT", "/api/geofences/depot",
                #"{"type":"Feature","geometry":{"type":"Point","coordinates":[37.6,55.75]},"properties":{"radius_m":50}}"#,
                .admin
            ),
            ("PUT", "/api/vehicles/API0009", #"{"name":"Bus 9","kind":"bus"}"#, .admin),
            ("DELETE", "/api/geofences/depot", "", .admin),
        ]
        for (method, path, body, least) in calls {
            #expect(api.call(method, path, nil, body: body).status == 401, "\(method) \(path) without a token")
            #expect(
                api.server.request(method, path, token: "orb_not-a-token", body: Array(body.utf8)).status == 401)
            for role in AccessRole.allCases {
                let status = api.call(method, path, role, body: body).status
                if role < least {
                    #expect(status == 403, "\(method) \(path) as \(role)")
                } else {
                    #expect((200..<300).contains(status), "\(method) \(path) as \(role): \(status)")
                }
            }
        }
        #expect(api.server.get("/openapi.json").status == 200)
        let paths = api.object(api.server.get("/openapi.json").body)["paths"] as? [String: Any] ?? [:]
        #expect(
            Set(paths.keys) == [
                "/api/vehicles", "/api/vehicles/{id}", "/api/vehicles/{id}/track", "/api/events",
                "/api/events/{id}/ack", "/api/detours", "/api/geofences", "/api/geofences/{name}", "/api/routes",
            ])
    }

    @Test func aRevokedTokenIsRefused() throws {
        let api = try Fixture()
        #expect(api.call("GET", "/api/vehicles", .viewer).status == 200)
        let list = try OrbitaProcess.run(["token", "list", "--db", api.db])
        let viewerID = list.stdout.split(separator: "\n").first { $0.contains(" viewer ") }?.split(separator: " ").first
        let revoked = try OrbitaProcess.run(["token", "revoke", String(viewerID ?? ""), "--db", api.db])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        let after = api.call("GET", "/api/vehicles", .viewer)
        #expect(after.status == 401 && after.body.contains("revoked"), "\(after)")
        #expect(!list.stdout.contains(api.tokens[.viewer] ?? "-"), "a token list shows no secret")
    }

    @Test func vehiclesTracksEventsAndAcknowledgements() throws {
        let api = try Fixture()
        let list = api.object(api.call("GET", "/api/vehicles", .viewer).body)
        let vehicles = list["vehicles"] as? [[String: Any]] ?? []
        #expect(vehicles.count == 4)
        // The live feed's cursor as of the list: the newest fix and event numbers stored.
        let latest = try SQLiteTrackStore(path: api.db).latestNumbers()
        #expect(list["cursor"] as? String == "\(latest.fix):\(latest.event)", "\(String(describing: list["cursor"]))")
        let first = vehicles.first { $0["id"] as? String == "API0001" }
        let last = first?["last"] as? [String: Any]
        #expect(last?["lat"] is Double && last?["time"] is String, "\(String(describing: first))")
        // The simulated data is from a few seconds ago: moving or stopped, not stale.
        #expect(["moving", "stopped"].contains(first?["state"] as? String ?? ""), "\(String(describing: first))")
        // Off route exactly when the database says so (every vehicle reports the flag).
        let offRoute = try SQLiteTrackStore(path: api.db).offRouteVehicles()
        #expect(vehicles.allSatisfy { ($0["off_route"] as? Bool) == offRoute.contains($0["id"] as? String ?? "") })

        let track = api.object(api.call("GET", "/api/vehicles/API0001/track?limit=25", .viewer).body)
        let coordinates = (track["geometry"] as? [String: Any])?["coordinates"] as? [[Double]] ?? []
        let store = try SQLiteTrackStore(path: api.db)
        let stored = try store.track(vehicleID: "API0001", from: nil, to: nil)
        #expect(coordinates.count == min(25, stored.count))
        let newest = stored.last.map { [$0.coordinate.longitude, $0.coordinate.latitude] } ?? []
        // Coordinates are written to 9 decimals (0.1 mm).
        #expect(zip(coordinates.last ?? [], newest).allSatisfy { abs($0 - $1) <= 5e-10 } && newest.count == 2)
        #expect(api.call("GET", "/api/vehicles/NOPE/track", .viewer).status == 404)
        #expect(api.call("GET", "/api/vehicles/API0001/track?from=yesterday", .viewer).status == 400)

        // Events newest first, paged; acknowledging one takes it out of the unacknowledged list.
        let all =
            api.object(api.call("GET", "/api/events?limit=1000", .viewer).body)["events"] as? [[String: Any]] ?? []
        #expect(all.count >= 2, "the fleet entered fences")
        let ids = all.compactMap { $0["id"] as? Int }
        #expect(ids == ids.sorted(by: >))
        let page = api.object(api.call("GET", "/api/events?limit=1", .viewer).body)
        let next = page["next"] as? String ?? ""
        let second =
            api.object(api.call("GET", "/api/events?limit=1&\(next)", .viewer).body)["events"] as? [[String: Any]]
        #expect(second?.first?["id"] as? Int == ids.dropFirst().first)
        let acknowledged = api.object(api.call("POST", "/api/events/\(ids[0])/ack", .dispatcher).body)
        #expect(acknowledged["acknowledged"] is String)
        let open =
            api.object(api.call("GET", "/api/events?unacknowledged=true&limit=1000", .viewer).body)["events"]
            as? [[String: Any]] ?? []
        #expect(open.count == all.count - 1 && !open.contains { $0["id"] as? Int == ids[0] })
        #expect(api.call("POST", "/api/events/999999/ack", .dispatcher).status == 404)
        #expect(api.call("GET", "/api/events?kind=teleport", .viewer).status == 400)

        // A detour approved by a dispatcher is stored as an exemption from route judgement.
        let detour = api.call(
            "POST", "/api/detours", .dispatcher,
            body:
                #"{"vehicle":"API0002","from":"2026-01-01T10:00:00Z","to":"2026-01-01T11:00:00Z","reason":"roadworks"}"#
        )
        #expect(detour.status == 201, "\(detour.body)")
        #expect(try store.exemptions().contains { $0.vehicleID == "API0002" && $0.reason == "roadworks" })
    }

    @Test func hostileRequestsGetAClearFourHundredAndTheServerStaysUp() throws {
        let api = try Fixture(["--max-fence-vertices", "20000"])
        let hostile: [(String, String, String, Int)] = [
            ("POST", "/api/detours", "{not json", 400),
            ("POST", "/api/detours", "[1,2,3]", 400),
            ("POST", "/api/detours", #"{"vehicle":"API0001","to":"soon"}"#, 400),
            ("POST", "/api/detours", #"{"vehicle":"GHOST","to":"2030-01-01T00:00:00Z"}"#, 404),
            ("PUT", "/api/geofences/bad", #"{"type":"Polygon","coordinates":[[[0,0],[1,1]]]}"#, 400),
            ("PUT", "/api/geofences/bad", "\u{0}\u{1}\u{2}", 400),
            (
                "PUT", "/api/geofences/bowtie",
                #"{"type":"Polygon","coordinates":[[[37.6,55.7],[37.7,55.8],[37.7,55.7],[37.6,55.8],[37.6,55.7]]]}"#,
                422
            ),
            (
                "PUT", "/api/geofences/huge",
                #"{"type":"Feature","properties":{"radius_m":1e300},"geometry":{"type":"Point","coordinates":[37.6,55.7]}}"#,
                422
            ),
            // A 30,000-vertex comb (720 KB, under the body limit) over a per-fence budget lowered to 20,000.
            ("PUT", "/api/geofences/comb", ZoneCommandTests.comb(30_000), 413),
            ("PUT", "/api/vehicles/API0001", #"{"kind":"spaceship"}"#, 400),
            // One ID rule, after percent-decoding: no spaces, no CR/LF, no slashes.
            ("PUT", "/api/vehicles/Bus%2017", "{}", 400),
            ("PUT", "/api/vehicles/A%0D%0AB", "{}", 400),
            ("PUT", "/api/vehicles/A%2FB", "{}", 400),
            ("PUT", "/api/geofences/a%0Ab", #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#, 400),
            ("GET", "/api/events?limit=-5", "", 400),
            ("GET", "/api/events?before=abc", "", 400),
            ("POST", "/api/events/abc/ack", "", 400),
        ]
        for (method, path, body, expected) in hostile {
            let result = api.call(method, path, .admin, body: body)
            #expect(result.status == expected, "\(method) \(path) \(body): \(result)")
            // One error shape everywhere: {"error": "message"}.
            #expect(api.object(result.body)["error"] is String, "\(result.body)")
        }
        // Percent-encoded names are decoded: `Depot%20North` is the fence `Depot North`.
        let square = #"{"type":"Polygon","coordinates":[[[37.6,55.7],[37.7,55.7],[37.7,55.8],[37.6,55.7]]]}"#
        #expect(api.call("PUT", "/api/geofences/Depot%20North", .admin, body: square).status == 200)
        #expect(api.call("GET", "/api/geofences", .viewer).body.contains(#""name":"Depot North""#))
        #expect(api.call("DELETE", "/api/geofences/Depot%20North", .admin).status == 204)
        #expect(api.call("PUT", "/api/vehicles/BUS-17.a", .admin, body: "{}").status == 200)
        // Over the 1 MiB body limit.
        let huge = "{\"vehicle\":\"" + String(repeating: "A", count: 2 << 20) + "\"}"
        #expect(api.call("POST", "/api/detours", .admin, body: huge).status == 413)
        // A long bearer token is refused without looking it up.
        let long = api.server.request("GET", "/api/vehicles", token: String(repeating: "x", count: 10_000))
        #expect(long.status == 401 || long.status == 431, "\(long.status)")
        #expect(api.server.get("/health").status == 200)
        #expect(api.call("GET", "/api/vehicles", .viewer).status == 200)
    }
}

/// A track request reads the fixes it returns, not the whole track (a limit of 1 on 2 M fixes took 27 s and 1.9 GB).
@Suite("dispatch API: tracks of long histories")
struct LongTrackTests {
    /// Peak resident memory of a process, kB (`VmHWM`).
    static func peakKilobytes(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    @Test func aLimitIsInTheQueryAndPagesGoBackInTime() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("long.sqlite").path
        let log = folder.appendingPathComponent("long.nmea")
        // One vehicle, ≈ 150,000 fixes.
        let generate = Process()
        generate.executableURL = OrbitaProcess.binary
        generate.arguments = ["bench", "generate", "--lines", "2000000", "--vehicles", "1", "--seed", "3"]
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        generate.standardOutput = try FileHandle(forWritingTo: log)
        try generate.run()
        generate.waitUntilExit()
        let imported = try OrbitaProcess.run(["import", log.path, "--db", db, "--quiet"], timeout: 600)
        #expect(imported.status == 0, "\(imported.stderr)")
        try? FileManager.default.removeItem(at: log)
        let token = try OrbitaProcess.run(["token", "create", "--role", "viewer", "--db", db]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try LiveServer(db: db)
        defer { _ = server.stop(SIGTERM) }
        let vehicles = server.request("GET", "/api/vehicles", token: token)
        let vehicle = try #require(
            ((try JSONSerialization.jsonObject(with: Data(vehicles.body.utf8)) as? [String: Any])?["vehicles"]
                as? [[String: Any]])?.first?["id"] as? String)
        let before = Self.peakKilobytes(server.process.processIdentifier)
        var fixes: [[String: Any]] = []
        for _ in 0..<5 {
            let response = server.request("GET", "/api/vehicles/\(vehicle)/track?limit=1", token: token)
            #expect(response.status == 200, "\(response.body)")
            fixes.append((try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]) ?? [:])
        }
        let grown = Self.peakKilobytes(server.process.processIdentifier) - before
        // Reading 150,000 fixes to keep one grew the server by well over 100 MB; one fix costs nothing to speak of.
        #expect(grown < 30_000, "peak memory grew by \(grown) kB for five one-fix requests")
        let properties = try #require(fixes[0]["properties"] as? [String: Any])
        #expect((properties["times"] as? [String])?.count == 1)
        #expect(properties["truncated"] as? Bool == true)
        let last = try #require((properties["times"] as? [String])?.first)
        let nextTo = try #require(properties["next_to"] as? String)
        // The next page ends just before the first fix of this one.
        let page = server.request("GET", "/api/vehicles/\(vehicle)/track?limit=3&to=\(nextTo)", token: token)
        let pageTimes =
            ((try JSONSerialization.jsonObject(with: Data(page.body.utf8)) as? [String: Any])?["properties"]
            as? [String: Any])?["times"] as? [String] ?? []
        #expect(pageTimes.count == 3)
        #expect(pageTimes.allSatisfy { $0 < last }, "\(pageTimes) before \(last)")
        #expect(pageTimes == pageTimes.sorted())
        #expect(server.get("/health").status == 200)
    }
}
