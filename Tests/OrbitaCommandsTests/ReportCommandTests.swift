import Foundation
import OrbitaTesting
import Testing

/// `orbita report` (the binary): the same report rows after a real drive arrives live over TCP as after `orbita
/// import` of the same log; formats a spreadsheet and a GIS read; bad requests are usage errors (exit 2) that say
/// what is wrong, and an empty report says so.
@Suite("orbita report (the binary)", .serialized)
struct ReportCommandTests {
    static let drive = "nmea-real/dotMorten-NmeaParser__NmeaSampleData.txt"
    static let everything = ["--from", "2000-01-01", "--to", "2030-01-01"]

    static func report(_ kind: String, _ db: String, _ extra: [String] = []) throws -> OrbitaProcess {
        try OrbitaProcess.run(["report", kind, "--db", db] + everything + extra)
    }

    @Test(
        .enabled(if: Corpus.isPresent, "../shared/corpus is absent: no real drive to send"),
        arguments: TestBackend.available)
    func aDriveSentLiveReportsAsItsImportDoes(backend: TestBackend) throws {
        let folder = ImportCommandTests.folder()
        let live = try backend.database(folder, "live")
        let offline = try backend.database(folder, "offline")
        let server = try LiveServer(
            db: live,
            [
                "--register-unknown", "--maximum-age", "off", "--ack", "--device-rate", "100000", "--device-burst",
                "100000",
            ])
        let sent = try OrbitaProcess.run([
            "simulate", "--replay", Corpus.url(Self.drive).path, "--vehicle", "car-1", "--speed", "0", "--to",
            "tcp://\(server.tcp)", "--ack", "--quiet",
        ])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout.contains("acknowledged=4469"), "every cycle acknowledged: \(sent.stdout)")
        #expect(server.stop(SIGTERM) == 0, "\(server.log)")
        let imported = try OrbitaProcess.run([
            "import", Corpus.url(Self.drive).path, "--vehicle", "car-1", "--db", offline, "--quiet",
        ])
        #expect(imported.status == 0, "\(imported.stderr)")
        for kind in ["trips", "stops", "mileage", "summary"] {
            let fromLive = try Self.report(kind, live, ["--format", "json"])
            let fromImport = try Self.report(kind, offline, ["--format", "json"])
            #expect(fromLive.status == 0 && fromImport.status == 0, "\(fromLive.stderr) \(fromImport.stderr)")
            #expect(!fromLive.stdout.isEmpty, "\(kind): rows")
            #expect(fromLive.stdout == fromImport.stdout, "\(kind): live and import differ")
        }
        let trips = try Self.report("trips", live, ["--format", "json"]).stdout.split(separator: "\n")
        #expect(trips.count == 4, "the Reno drive's four trips: \(trips.count)")
    }

    @Test(.enabled(if: Corpus.isPresent, "../shared/corpus is absent: no real drive to report"))
    func formatsAndErrors() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("r.sqlite").path
        let imported = try OrbitaProcess.run([
            "import", Corpus.url(Self.drive).path, "--vehicle", "car,1", "--db", db, "--quiet",
        ])
        #expect(imported.status == 0, "\(imported.stderr)")

        // CSV: a header, CRLF lines, a field with a comma quoted.
        let csv = try Self.report("trips", db, ["--format", "csv"])
        let lines = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first?.hasPrefix("vehicle,start,end,startLat,startLon,endLat,endLon,distanceM") == true)
        #expect(lines.count == 5)
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("\"car,1\",") }, "\(lines)")

        // GeoJSON: trips as LineStrings of their fixes, stops as Points.
        let tripsJSON = try Self.report("trips", db, ["--format", "geojson"])
        let collection = try JSONSerialization.jsonObject(with: Data(tripsJSON.stdout.utf8)) as? [String: Any]
        let features = collection?["features"] as? [[String: Any]] ?? []
        #expect(features.count == 4)
        let line = (features.first?["geometry"] as? [String: Any])?["coordinates"] as? [[Double]] ?? []
        #expect(line.count > 100, "a trip's driven line: \(line.count) points")
        #expect(line.first.map { $0[0] < -119 && $0[1] > 39 } == true, "longitude first")
        let stopsJSON = try Self.report("stops", db, ["--format", "geojson", "--kind", "parking"])
        let stops =
            (try JSONSerialization.jsonObject(with: Data(stopsJSON.stdout.utf8)) as? [String: Any])?[
                "features"] as? [[String: Any]]
        #expect(stops?.count == 3)
        #expect(((stops?.first?["geometry"] as? [String: Any])?["type"] as? String) == "Point")

        // Usage errors: exit 2, one line naming the problem.
        let errors: [([String], String)] = [
            (["report", "trips", "--db", db, "--vehicle", "nobody"], "no vehicle \"nobody\""),
            (["report", "trips", "--db", db, "--from", "2024-02-01", "--to", "2024-01-01"], "before it begins"),
            (["report", "mileage", "--db", db, "--tz", "Mars/Olympus"], "unknown time zone"),
            (["report", "trips", "--db", db, "--from", "yesterday"], "cannot read \"yesterday\""),
            (["report", "visits", "--db", db, "--format", "geojson"], "geojson is for trips and stops"),
        ]
        for (arguments, message) in errors {
            let result = try OrbitaProcess.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.status)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }

        // No data in the window: nothing on stdout in JSON, and a note that says so.
        let empty = try OrbitaProcess.run([
            "report", "trips", "--db", db, "--from", "2001-01-01", "--to", "2001-01-02", "--format", "json",
        ])
        #expect(empty.status == 0 && empty.stdout.isEmpty)
        #expect(empty.stderr.contains("no trips between 2001-01-01T00:00:00.000Z and 2001-01-02T23:59:59.999Z"))

        // Days in a time zone: the Reno drive (23:52–02:54 UTC) is one evening in Los Angeles, two days in UTC.
        let reno = try Self.report("mileage", db, ["--tz", "America/Los_Angeles", "--format", "csv"])
        #expect(reno.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 2)
        let utc = try Self.report("mileage", db, ["--format", "csv"])
        #expect(utc.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 3)

        // A rebuild from the stored tracks gives the rows the import maintained.
        let before = try Self.report("stops", db, ["--format", "json"]).stdout
        let rebuilt = try OrbitaProcess.run(["report", "rebuild", "--db", db])
        #expect(rebuilt.status == 0 && rebuilt.stdout.contains("rebuilt the report rows of 1 vehicles"))
        #expect(try Self.report("stops", db, ["--format", "json"]).stdout == before)
    }
}
