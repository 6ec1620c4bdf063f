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

    /// One walk through the binary (every endpoint's roles, results and hostile requests are tested in process,
    /// in `DispatchAPIEndpointTests`): tokens made by `orbita token`, a fleet imported by `orbita import`, served by
    /// `orbita serve --http`, a token revoked by `orbita token revoke` while it serves.
    @Test func theBinaryServesTheAPIWithTokensFromTheCommandLine() throws {
        let api = try Fixture()
        #expect(api.call("GET", "/api/vehicles", nil).status == 401)
        let list = api.object(api.call("GET", "/api/vehicles", .viewer).body)
        let vehicles = list["vehicles"] as? [[String: Any]] ?? []
        #expect(vehicles.count == 4)
        let latest = try SQLiteTrackStore(path: api.db).latestNumbers()
        #expect(list["cursor"] as? String == "\(latest.fix):\(latest.event)", "\(String(describing: list["cursor"]))")
        // The simulated data is from a few seconds ago: moving or stopped, not stale.
        let first = vehicles.first { $0["id"] as? String == "API0001" }
        #expect(["moving", "stopped"].contains(first?["state"] as? String ?? ""), "\(String(describing: first))")

        let track = api.object(api.call("GET", "/api/vehicles/API0001/track?limit=25", .viewer).body)
        let coordinates = (track["geometry"] as? [String: Any])?["coordinates"] as? [[Double]] ?? []
        let stored = try SQLiteTrackStore(path: api.db).track(vehicleID: "API0001", from: nil, to: nil)
        #expect(coordinates.count == min(25, stored.count))

        let events =
            api.object(api.call("GET", "/api/events?limit=1000", .viewer).body)["events"] as? [[String: Any]] ?? []
        #expect(events.count >= 2, "the fleet entered fences")
        let id = events.first?["id"] as? Int ?? 0
        #expect(api.call("POST", "/api/events/\(id)/ack", .viewer).status == 403)
        #expect(api.object(api.call("POST", "/api/events/\(id)/ack", .dispatcher).body)["acknowledged"] is String)
        #expect(api.server.get("/openapi.json").status == 200)

        let tokens = try OrbitaProcess.run(["token", "list", "--db", api.db])
        #expect(!tokens.stdout.contains(api.tokens[.viewer] ?? "-"), "a token list shows no secret")
        let viewerID = tokens.stdout.split(separator: "\n").first { $0.contains(" viewer ") }?.split(separator: " ")
            .first
        let revoked = try OrbitaProcess.run(["token", "revoke", String(viewerID ?? ""), "--db", api.db])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        let after = api.call("GET", "/api/vehicles", .viewer)
        #expect(after.status == 401 && after.body.contains("revoked"), "\(after)")
        #expect(api.call("GET", "/api/vehicles", .admin).status == 200)
        #expect(api.server.get("/health").status == 200)
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
