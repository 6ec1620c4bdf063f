import Foundation
import OrbitaModel
import OrbitaWire
import Storage
import Testing

@Suite("orbita geofence, route, events (the binary)", .serialized)
struct ZoneCommandTests {
    @Test func fencesAndRoutesInEventsOut() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("zones.sqlite").path
        // A polygon fence (GeoJSON, lon/lat) around the demo fleet's first vehicle's start, a circle, and a route.
        let polygon = folder.appendingPathComponent("yard.geojson")
        try """
        {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[37.70,55.94145],[37.75,55.94145],\
        [37.75,55.96],[37.70,55.96],[37.70,55.94145]]]}}
        """.write(to: polygon, atomically: true, encoding: .utf8)
        var result = try OrbitaProcess.run(["geofence", "add", "yard", "--geojson", polygon.path, "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
        result = try OrbitaProcess.run([
            "geofence", "add", "centre", "--circle", "55.7558,37.6173,500", "--speed-limit", "40", "--kinds", "bus",
            "--db", db,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let list = try OrbitaProcess.run(["geofence", "list", "--db", db])
        let collection = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any]
        let features = collection?["features"] as? [[String: Any]] ?? []
        #expect(features.count == 2)
        let circle = features.first { ($0["properties"] as? [String: Any])?["name"] as? String == "centre" }
        #expect((circle?["properties"] as? [String: Any])?["radius_m"] as? Double == 500)
        #expect((circle?["geometry"] as? [String: Any])?["coordinates"] as? [Double] == [37.6173, 55.7558])

        let line = folder.appendingPathComponent("line.geojson")
        try """
        {"type":"LineString","coordinates":[[37.6,55.7],[37.7,55.8]]}
        """.write(to: line, atomically: true, encoding: .utf8)
        result = try OrbitaProcess.run(["route", "add", "R1", "--geojson", line.path, "--corridor", "60", "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
        result = try OrbitaProcess.run(["route", "assign", "35100000000000", "R1", "--from", "2024-06-09", "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
        let routes = try OrbitaProcess.run(["route", "list", "--db", db])
        #expect(routes.stdout.contains("\"corridor_m\":60"))
        #expect(routes.stdout.contains("\"vehicle\":\"35100000000000\""))

        // Import: the first vehicle starts inside the yard (no enter on its first fix) and drives south out of it
        // (the edge is 1 m south of its second fix and 11 m north of its third; exits need the 10 m margin).
        result = try OrbitaProcess.run(["import", "fixtures/nmea/demo-fleet.nmea", "--db", db, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let events = try OrbitaProcess.run(["events", "--db", db, "--format", "json"])
        #expect(events.status == 0, "\(events.stderr)")
        // One line per stored event, oldest first, each the API's event encoding with every detail.
        let lines = events.stdout.split(separator: "\n")
        let decoded = try lines.map { try JSONDecoder().decode(Wire.Event.self, from: Data($0.utf8)) }
        let stored = try SQLiteTrackStore(path: db).storedEvents(EventQuery(), order: .oldestFirst)
        #expect(stored.map(\.event.kind) == [.geofenceExit], "\(events.stdout)")
        #expect(decoded.map(\.id) == stored.map(\.id))
        #expect(zip(decoded, stored).allSatisfy { $0.kind == $1.event.kind && $0.vehicle == $1.event.vehicleID })
        for line in lines { #expect(line.contains(#""time":""#) && line.contains(#"Z","#)) }
        let table = try OrbitaProcess.run(["events", "--db", db, "--kind", "geofenceEnter"])
        #expect(table.status == 0)
        #expect(table.stdout.hasPrefix("id"))

        // Removing: the fence goes, unknown names are errors.
        #expect(try OrbitaProcess.run(["geofence", "remove", "yard", "--db", db]).status == 0)
        let missing = try OrbitaProcess.run(["geofence", "remove", "yard", "--db", db])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no geofence named yard"))
    }

    /// A comb polygon (the shape whose index used to take 6.65 GB at 20,000 vertices), as GeoJSON.
    static func comb(_ vertices: Int) -> String {
        var ring = (0..<vertices).map { i in
            "[\(37.6 + Double(i) * 0.04 / Double(vertices)),\(i % 2 == 0 ? 55.76 : 55.7401)]"
        }
        ring += ["[37.64,55.74]", "[37.6,55.74]", "[37.6,55.76]"]
        return #"{"type":"Polygon","coordinates":[["# + ring.joined(separator: ",") + "]]}"
    }

    /// Vertex budgets are enforced when a fence is added; a stored fence over them (added with a higher limit) is
    /// reported and skipped by an import, and the other fences keep working.
    @Test func fenceBudgetsAreEnforcedAndStoredFencesOverThemAreSkipped() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("budget.sqlite").path
        let big = folder.appendingPathComponent("comb.geojson")
        try Self.comb(120_000).write(to: big, atomically: true, encoding: .utf8)
        var result = try OrbitaProcess.run(["geofence", "add", "comb", "--geojson", big.path, "--db", db])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("120002 vertices, more than the 100000 one geofence may have"), "\(result.stderr)")
        let bowTie = folder.appendingPathComponent("bowtie.geojson")
        try #"{"type":"Polygon","coordinates":[[[37.6,55.7],[37.7,55.8],[37.7,55.7],[37.6,55.8],[37.6,55.7]]]}"#
            .write(to: bowTie, atomically: true, encoding: .utf8)
        result = try OrbitaProcess.run(["geofence", "add", "bowtie", "--geojson", bowTie.path, "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("crosses or touches itself"), "\(result.stderr)")
        result = try OrbitaProcess.run([
            "geofence", "add", "comb", "--geojson", big.path, "--max-fence-vertices", "200000", "--db", db,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("120002 vertices"))
        let yard = folder.appendingPathComponent("yard.geojson")
        // South edge between the first and second fix of one demo vehicle, which drives north: one enter.
        try
            #"{"type":"Polygon","coordinates":[[[37.80,55.60388],[37.81,55.60388],[37.81,55.61],[37.80,55.61],[37.80,55.60388]]]}"#
            .write(to: yard, atomically: true, encoding: .utf8)
        #expect(try OrbitaProcess.run(["geofence", "add", "yard", "--geojson", yard.path, "--db", db]).status == 0)
        result = try OrbitaProcess.run(["import", "fixtures/nmea/demo-fleet.nmea", "--db", db, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr.contains("warning: geofence comb is not in force: 120002 vertices, more than the 100000"),
            "\(result.stderr)")
        let events = try OrbitaProcess.run(["events", "--db", db, "--format", "json"])
        #expect(events.stdout.contains(#""kind":"geofenceEnter""#), "the other fence still raises events")
        #expect(events.stdout.contains(#""geofence":"yard""#), "the other fence still raises events")
    }

    @Test func badInputIsAClearError() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("bad.sqlite").path
        let latLon = folder.appendingPathComponent("latlon.geojson")
        // Latitude first (the classic mistake): 137.6 is no latitude.
        try #"{"type":"Polygon","coordinates":[[[55.75,37.6],[55.76,137.6],[55.77,37.6]]]}"#.write(
            to: latLon, atomically: true, encoding: .utf8)
        var result = try OrbitaProcess.run(["geofence", "add", "x", "--geojson", latLon.path, "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("longitude first"), "\(result.stderr)")
        result = try OrbitaProcess.run(["geofence", "add", "x", "--circle", "55.75,37.6", "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("LAT,LON,RADIUS_M"))
        let garbage = folder.appendingPathComponent("garbage.geojson")
        try "{ not json".write(to: garbage, atomically: true, encoding: .utf8)
        result = try OrbitaProcess.run(["route", "add", "r", "--geojson", garbage.path, "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("not JSON"))
        result = try OrbitaProcess.run(["route", "assign", "bus", "nope", "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no route named nope"))
        result = try OrbitaProcess.run(["events", "--db", db, "--kind", "teleport"])
        #expect(result.status != 0)
    }
}
