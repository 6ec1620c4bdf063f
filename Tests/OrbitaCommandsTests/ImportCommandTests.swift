import Foundation
import Glibc
import OrbitaModel
import OrbitaTesting
import Storage
import Testing

@Suite("orbita import, vehicles, track (the binary)", .serialized)
struct ImportCommandTests {
    static func folder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("orbita-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func importsListsAndExports() throws {
        let db = Self.folder().appendingPathComponent("fleet.sqlite").path
        let result = try OrbitaProcess.run([
            "import", "fixtures/nmea/demo-fleet.nmea", "--db", db, "--kind", "bus", "--quiet",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("file fixtures/nmea/demo-fleet.nmea: nmea, 9143 bytes, 12 fixes decoded"))
        #expect(result.stdout.contains("total           12       12      0           0     0     0        -\n"))
        #expect(result.stdout.hasSuffix("events: 0 new (see `orbita events`)\n"))
        let vehicles = try OrbitaProcess.run(["vehicles", "--db", db])
        #expect(vehicles.status == 0)
        let lines = vehicles.stdout.split(separator: "\n")
        #expect(lines.count == 4)  // header + 3 vehicles
        #expect(lines[1].hasPrefix("35100000000000  35100000000000  bus   4      2024-06-09T08:00:00.000Z"))
        let csv = try OrbitaProcess.run(["track", "35100000000000", "--db", db, "--format", "csv"])
        #expect(csv.stdout.split(separator: "\n").count == 5)
        #expect(
            csv.stdout.hasPrefix(
                "time,lat,lon,altitude_m,speed_mps,course_deg,hdop,sats,flags\n2024-06-09T08:00:00.000Z,55.941576667,37.713137333,"
            ))
        let missing = try OrbitaProcess.run(["track", "nobody", "--db", db])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no vehicle nobody"))
    }

    /// Formats are detected from content: gzip'd logs are read (a cut one fails), GPX behind a long comment is GPX,
    /// UTF-16, executables, random bytes and files that yield nothing are reported and fail the run (before: all
    /// "nmea, 0 fixes, exit 0").
    @Test func formatsAreDetectedAndAFileThatYieldsNothingFails() throws {
        let folder = Self.folder()
        let db = folder.appendingPathComponent("formats.sqlite").path
        let plain = try Data(contentsOf: URL(fileURLWithPath: "fixtures/nmea/demo-fleet.nmea"))
        func gzip(_ data: Data, _ name: String) throws -> URL {
            let source = folder.appendingPathComponent(name + ".raw")
            try data.write(to: source)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/gzip")
            process.arguments = ["-f", "-S", ".gz", source.path]
            try process.run()
            process.waitUntilExit()
            return URL(fileURLWithPath: source.path + ".gz")
        }
        let zipped = try gzip(plain, "fleet")
        var result = try OrbitaProcess.run(["import", zipped.path, "--db", db, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("nmea.gz"), "\(result.stdout)")
        #expect(result.stdout.contains("total           12       12"), "\(result.stdout)")
        // A gzip'd log cut short: what was read is stored, the run fails naming the cause.
        let big = (0..<40).reduce(Data()) { data, _ in data + plain }
        var cut = try Data(
            contentsOf: try gzip(big + Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7) }), "big"))
        cut = cut.prefix(cut.count / 2)
        let cutFile = folder.appendingPathComponent("cut.nmea.gz")
        try cut.write(to: cutFile)
        result = try OrbitaProcess.run(["import", cutFile.path, "--db", db, "--quiet"])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("gzip data ends early") || result.stderr.contains("corrupt gzip"), "\(result.stderr)"
        )

        let gpx = folder.appendingPathComponent("commented.gpx")
        try
            (#"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<!-- " + String(repeating: "x", count: 10_000) + " -->\n"
            + #"<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>"#
            + #"<trkpt lat="55.75" lon="37.61"><time>2024-06-09T08:00:00Z</time></trkpt>"#
            + #"<trkpt lat="55.7501" lon="37.6101"><time>2024-06-09T08:00:01Z</time></trkpt>"#
            + "</trkseg></trk></gpx>\n").write(to: gpx, atomically: true, encoding: .utf8)
        result = try OrbitaProcess.run(["import", gpx.path, "--db", db, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("gpx, "), "\(result.stdout)")

        let utf16 = folder.appendingPathComponent("utf16.nmea")
        try String(decoding: plain, as: UTF8.self).write(to: utf16, atomically: true, encoding: .utf16)
        let random = folder.appendingPathComponent("random.nmea")
        var generator = SystemRandomNumberGenerator()
        try Data((0..<50_000).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: random)
        let empty = folder.appendingPathComponent("empty.nmea")
        try Data().write(to: empty)
        let expected = [
            (utf16.path, "UTF-16 text"), (OrbitaProcess.binary.path, "ELF executable"), (random.path, "binary data"),
            (empty.path, "no fixes found"),
        ]
        for (path, message) in expected {
            result = try OrbitaProcess.run(["import", path, "--db", db, "--quiet"])
            #expect(result.status == 1, "\(path)")
            #expect(result.stderr.contains(message), "\(path): \(result.stderr)")
        }
    }

    /// A valid GPX file over 10 MB is read as a stream: every point stored, no error (before: "malformed XML
    /// (XMLParser error 1)" with exit 1 although the points were stored, and 8× the file in memory).
    @Test func aLargeGPXFileIsStreamedAndReportedTruthfully() throws {
        let folder = Self.folder()
        let db = folder.appendingPathComponent("gpx.sqlite").path
        let gpx = folder.appendingPathComponent("large.gpx")
        let points = 120_000
        var text =
            #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
            + #"<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>long</name><trkseg>"#
            + "\n"
        text.reserveCapacity(points * 120)
        let start = 1_717_920_000  // 2024-06-09T08:00:00Z
        for i in 0..<points {
            let time = Date(timeIntervalSince1970: Double(start + i)).ISO8601Format()
            text +=
                "<trkpt lat=\"\(55.7 + Double(i) * 1e-6)\" lon=\"\(37.6 + Double(i % 1000) * 1e-6)\"><ele>150.0</ele>"
                + "<time>\(time)</time></trkpt>\n"
        }
        text += "</trkseg></trk></gpx>\n"
        try text.write(to: gpx, atomically: true, encoding: .utf8)
        let size = (try FileManager.default.attributesOfItem(atPath: gpx.path)[.size] as? Int) ?? 0
        #expect(size > 10_000_000, "\(size) bytes")
        let result = try OrbitaProcess.run(["import", gpx.path, "--db", db, "--quiet"], timeout: 600)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("FAILED"), "\(result.stdout)")
        #expect(result.stdout.contains("\(points) fixes decoded"), "\(result.stdout)")
    }

    @Test func importsStandardInputWithoutLosingItsStart() throws {
        let db = Self.folder().appendingPathComponent("stdin.sqlite").path
        let log = try Data(contentsOf: Corpus.fixture("nmea/demo-fleet.nmea"))
        let result = try OrbitaProcess.run(["import", "-", "--db", db, "--quiet"], stdin: log)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("file -: nmea, 9143 bytes, 12 fixes decoded"))
    }

    @Test func anUnreadableFileFailsTheRunButNotTheBatch() throws {
        let db = Self.folder().appendingPathComponent("fleet.sqlite").path
        let result = try OrbitaProcess.run([
            "import", "/nonexistent.nmea", "fixtures/nmea/demo-fleet.nmea", "--db", db, "--quiet",
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("orbita import: /nonexistent.nmea: cannot read /nonexistent.nmea"))
        #expect(result.stdout.contains("12 fixes decoded"))
    }

    @Test func aDatabaseThatIsNotOneIsAClearError() throws {
        let path = Self.folder().appendingPathComponent("not.sqlite").path
        try Data(repeating: 7, count: 10_000).write(to: URL(fileURLWithPath: path))
        let result = try OrbitaProcess.run(["vehicles", "--db", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("the database is corrupt or not an Orbita database"))
    }

    /// Kills the importer with SIGKILL at random moments; every time the database must pass `integrity_check`, and
    /// importing again must end with exactly what a clean import stores.
    @Test func surviveSIGKILLAndCompleteOnTheNextRun() throws {
        let folder = Self.folder()
        let log = folder.appendingPathComponent("fleet.nmea").path
        let generated = try OrbitaProcess.run([
            "bench", "generate", "--lines", "400000", "--vehicles", "25", "--seed", "3",
        ])
        try generated.stdout.write(toFile: log, atomically: true, encoding: .utf8)
        let clean = folder.appendingPathComponent("clean.sqlite").path
        #expect(try OrbitaProcess.run(["import", log, "--db", clean, "--quiet"]).status == 0)
        let killed = folder.appendingPathComponent("killed.sqlite").path
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        for _ in 0..<6 {
            let process = Process()
            process.executableURL = OrbitaProcess.binary
            process.arguments = ["import", log, "--db", killed, "--quiet", "--batch-size", "500"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 100_000...900_000, using: &generator))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            let store = try SQLiteTrackStore(path: killed)
            #expect(try store.integrityCheck() == ["ok"])
        }
        #expect(kills >= 3, "the importer finished before most kills; make the log longer")
        let final = try OrbitaProcess.run(["import", log, "--db", killed, "--quiet"])
        #expect(final.status == 0)
        let expected = try SQLiteTrackStore(path: clean)
        let actual = try SQLiteTrackStore(path: killed)
        let expectedSummaries = try expected.summaries()
        #expect(expectedSummaries.count == 25)
        #expect(try actual.summaries().map(\.fixCount) == expectedSummaries.map(\.fixCount))
        for summary in expectedSummaries {
            let times = try expected.track(vehicleID: summary.vehicle.id, from: nil, to: nil).map(\.time)
            #expect(try actual.track(vehicleID: summary.vehicle.id, from: nil, to: nil).map(\.time) == times)
        }
    }
}
