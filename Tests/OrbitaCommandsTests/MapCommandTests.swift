import Foundation
import Testing

@Suite("orbita map --snapshot")
struct MapCommandTests {
    @Test func aSnapshotShowsTheFleetItsZonesAndNoEscapeFromTheDatabase() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("map.sqlite").path
        let route = try ServeCommandTests.zones(folder, db: db)
        _ = try OrbitaProcess.run(["route", "add", "R", "--geojson", route.path, "--db", db])
        let log = folder.appendingPathComponent("fleet.nmea").path
        _ = try OrbitaProcess.run([
            "simulate", "--to", "udp://127.0.0.1:9", "--vehicles", "3", "--rate", "2", "--duration", "10",
            "--geojson", route.path, "--prefix", "MAP", "--log", log, "--quiet",
        ])
        _ = try OrbitaProcess.run(["import", log, "--db", db, "--quiet"])
        // A hostile name: clear the screen, retitle the window.
        let renamed = try OrbitaProcess.run([
            "vehicles", "add", "MAP0001", "--name", "Evil\u{1B}[2J\u{1B}]0;owned\u{07}", "--kind", "bus", "--db", db,
        ])
        #expect(renamed.status == 0, "\(renamed.stderr)")
        let map = try OrbitaProcess.run(["map", "--db", db, "--snapshot", "--columns", "60", "--rows", "16"])
        #expect(map.status == 0, "\(map.stderr)")
        let lines = map.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count >= 17)
        #expect(map.stdout.contains("3 vehicles:"), "\(map.stdout)")
        #expect(map.stdout.contains("2 geofences") && map.stdout.contains("1 routes"))
        // Vehicle glyphs (or a count) and Braille dots of the route and fences are on the map.
        let markers = Set("↑↗→↘↓↙←↖■□!23")
        #expect(map.stdout.contains { markers.contains($0) }, "\(map.stdout)")
        #expect(map.stdout.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) })
        // Not a terminal: plain text, and nothing from the database escapes.
        #expect(!map.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        let coloured = try OrbitaProcess.run(["map", "--db", db, "--snapshot", "--colour", "--rows", "16"])
        let escapes = coloured.stdout.unicodeScalars.filter { $0.value == 0x1B }.count
        let sgr = coloured.stdout.components(separatedBy: "\u{1B}[").count - 1
        #expect(escapes == sgr && escapes > 0, "every escape is one of the map's own colour codes")
        #expect(!coloured.stdout.contains("]0;owned") || coloured.stdout.contains("?]0;owned"))
    }

    /// Without --basemap the built-in one is drawn (coastlines, rivers, place names); --no-basemap draws none; a
    /// GeoJSON layer's named points are labelled.
    @Test func theBuiltInBasemapIsDrawnUnlessTurnedOff() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("basemap.sqlite").path
        _ = try OrbitaProcess.run(["import", "fixtures/nmea/demo-fleet.nmea", "--db", db, "--quiet"])
        let view = ["--snapshot", "--columns", "110", "--rows", "32", "--zoom", "3000", "--db", db]
        let map = try OrbitaProcess.run(["map"] + view)
        #expect(map.status == 0, "\(map.stderr)")
        #expect(map.stdout.contains("Moscow") && map.stdout.contains("Tver"), "\(map.stdout)")
        let braille = { (text: String) in text.unicodeScalars.count { (0x2801...0x28FF).contains($0.value) } }
        #expect(braille(map.stdout) > 200)
        let bare = try OrbitaProcess.run(["map", "--no-basemap"] + view)
        #expect(!bare.stdout.contains("Moscow") && braille(bare.stdout) == 0, "\(bare.stdout)")
        let layer = folder.appendingPathComponent("places.geojson")
        try """
        {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Depot7"},\
        "geometry":{"type":"Point","coordinates":[38.60,55.30]}}]}
        """.write(to: layer, atomically: true, encoding: .utf8)
        let own = try OrbitaProcess.run(["map", "--basemap", layer.path] + view)
        #expect(own.stdout.contains("Depot7") && !own.stdout.contains("Moscow"), "\(own.stdout)")
    }
}
