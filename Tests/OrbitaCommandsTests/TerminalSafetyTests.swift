import Foundation
import Glibc
import Testing

/// Names, paths and input that reach a terminal through any command are made safe (issue 13.4): data stored from
/// the API, GeoJSON properties or the command line must not drive the terminal of the operator who lists it.
@Suite("Every command's output is safe for a terminal (issue 13)", .serialized)
struct TerminalSafetyTests {
    /// A window title, a screen clear, a colour, an 8-bit CSI, a right-to-left override, DEL and a line break.
    static let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2JEvil\u{1B}[31mRed\u{9B}31m\u{202E}gpj.exe\u{7F}\r\nNext"

    /// What a terminal would act on, found by a rule written apart from the one under test: C0 controls but newline
    /// and tab, DEL, C1, zero-width and bidirectional controls, line and paragraph separators, BOM.
    static func unsafe(_ text: String) -> [String] {
        text.unicodeScalars.filter { scalar in
            let value = scalar.value
            return (value < 0x20 && value != 0x0A && value != 0x09) || (0x7F...0x9F).contains(value)
                || (0x200B...0x200F).contains(value) || (0x202A...0x202E).contains(value)
                || (0x2066...0x2069).contains(value) || value == 0x2028 || value == 0x2029 || value == 0xFEFF
        }.map { String(format: "U+%04X", $0.value) }
    }

    /// Runs a command and checks both of its streams.
    @discardableResult
    static func check(_ arguments: [String], status: Int32 = 0, _ comment: String) throws -> OrbitaProcess {
        let result = try OrbitaProcess.run(arguments, timeout: 60)
        #expect(result.status == status, "\(comment): \(result.stderr)")
        #expect(unsafe(result.stdout).isEmpty, "\(comment) stdout: \(unsafe(result.stdout))")
        #expect(unsafe(result.stderr).isEmpty, "\(comment) stderr: \(unsafe(result.stderr))")
        return result
    }

    @Test func everyCommandWritesHostileNamesSafely() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("hostile.sqlite").path
        let name = Self.hostile
        let vehicle = "35100000000000"
        try Self.check(["vehicles", "add", vehicle, "--name", name, "--kind", "bus", "--db", db], "vehicles add")
        try Self.check(["vehicles", "add", "SAFE1", "--registration", name, "--db", db], "vehicles add --registration")

        let yard = folder.appendingPathComponent("yard.geojson")
        try """
        {"type":"Feature","properties":{"name":"\\u001b[2J\\u009b1m"},"geometry":{"type":"Polygon","coordinates":\
        [[[37.70,55.90],[37.75,55.90],[37.75,55.96],[37.70,55.96],[37.70,55.90]]]}}
        """.write(to: yard, atomically: true, encoding: .utf8)
        // Control characters are refused in fence names (one name rule); the refusal itself is safe to print.
        try Self.check(["geofence", "add", name, "--geojson", yard.path, "--db", db], status: 64, "geofence add")
        // Bidirectional and zero-width characters are allowed in names, and printed safely.
        let fenceName = "Evil\u{202E}gpj.exe\u{200B}"
        try Self.check(["geofence", "add", fenceName, "--geojson", yard.path, "--db", db], "geofence add")
        let fences = try Self.check(["geofence", "list", "--db", db], "geofence list")
        // JSON keeps the name, escaped: it decodes back to the very same text.
        let collection = try JSONSerialization.jsonObject(with: Data(fences.stdout.utf8)) as? [String: Any]
        let properties = (collection?["features"] as? [[String: Any]])?.first?["properties"] as? [String: Any]
        #expect(properties?["name"] as? String == fenceName)

        let line = folder.appendingPathComponent("line.geojson")
        try #"{"type":"LineString","coordinates":[[37.72,55.95],[37.72,55.80]]}"#.write(
            to: line, atomically: true, encoding: .utf8)
        let stops = folder.appendingPathComponent("stops.geojson")
        try """
        {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"\\u001b]0;stop\\u0007"},\
        "geometry":{"type":"Point","coordinates":[37.72,55.90]}}]}
        """.write(to: stops, atomically: true, encoding: .utf8)
        try Self.check(
            ["route", "add", name, "--geojson", line.path, "--checkpoints", stops.path, "--db", db], "route add")
        try Self.check(["route", "assign", vehicle, name, "--db", db], "route assign")
        try Self.check(
            ["route", "exempt", vehicle, "--from", "2020-01-01", "--to", "2020-01-02", "--reason", name, "--db", db],
            "route exempt")
        try Self.check(["route", "list", "--db", db], "route list")
        try Self.check(["token", "create", "--role", "viewer", "--name", name, "--db", db], "token create")
        try Self.check(["token", "list", "--db", db], "token list")

        // A log under a hostile file name (the import summary names the file): the vehicle drives south at 10 m/s
        // from inside the yard, along the route, and out of the yard.
        let log = folder.appendingPathComponent("drive\u{1B}[2J\u{202E}.nmea")
        var text = sentence("PGID,\(vehicle)")
        for second in 0..<90 {
            let time = String(format: "12%02d%02d.00", second / 60, second % 60)
            let minutes = 54.3 - Double(second) * 10 / 1_852
            let latitude = String(format: "55%07.4f", minutes)
            text += sentence("GNRMC,\(time),A,\(latitude),N,03743.2000,E,19.4,180.0,261126,,,A")
            text += sentence("GNGGA,\(time),\(latitude),N,03743.2000,E,1,12,0.8,150.0,M,14.0,M,,")
        }
        try text.write(to: log, atomically: true, encoding: .utf8)
        let imported = try Self.check(["import", log.path, "--db", db, "--quiet"], "import")
        #expect(imported.stdout.contains("drive?[2J?.nmea"))
        try Self.check(["vehicles", "--db", db], "vehicles list")
        let table = try Self.check(["events", "--db", db], "events table")
        #expect(table.stdout.split(separator: "\n").count >= 2, "\(table.stdout)")
        let json = try Self.check(["events", "--db", db, "--format", "json"], "events json")
        #expect(json.stdout.contains(#"\u001b]0;pwned\u0007"#), "\(json.stdout)")
        for format in ["geojson", "gpx", "csv"] {
            try Self.check(["track", vehicle, "--format", format, "--db", db], "track --format \(format)")
        }
        try Self.check(["map", "--db", db, "--snapshot", "--columns", "60", "--rows", "15"], "map --snapshot")
        try Self.check(["decode", log.path, "--device", name], "decode --device")

        // Messages quoting input: an unknown vehicle, an unknown fence, a bad option value, a bad path.
        try Self.check(["track", name, "--db", db], status: 1, "track of an unknown vehicle")
        try Self.check(["geofence", "remove", name + "x", "--db", db], status: 1, "geofence remove of an unknown")
        try Self.check(["vehicles", "add", "X1", "--kind", name, "--db", db], status: 64, "a bad --kind")
        try Self.check(["import", folder.appendingPathComponent(name).path, "--db", db], status: 1, "a missing file")
    }

    /// The server's ready line and log name the database path it was given.
    @Test func theServersReadyLineAndLogAreSafe() throws {
        let folder = ImportCommandTests.folder()
        let server = try LiveServer(db: folder.appendingPathComponent("x\u{1B}[2J\u{9B}.sqlite").path)
        #expect(Self.unsafe(server.readyLine).isEmpty, "\(Self.unsafe(server.readyLine))")
        #expect(server.stop(SIGTERM) == 0)
        #expect(Self.unsafe(server.log).isEmpty, "\(Self.unsafe(server.log))")
    }
}
