import Foundation
import OrbitaModel
import OrbitaTesting
import Storage
import Testing

/// `orbita simulate --replay` and `--gtfs` against a live server.
@Suite("orbita simulate: replay and GTFS", .serialized)
struct SimulateSourcesTests {
    /// Replays `log` to a fresh server (over `transport`) and imports it into a fresh database: both must hold the
    /// same fixes.
    static func replayEqualsImport(_ log: String, vehicle: String?, transport: String) throws -> Int {
        let folder = ImportCommandTests.folder()
        let live = folder.appendingPathComponent("replayed.sqlite").path
        let offline = folder.appendingPathComponent("imported.sqlite").path
        let server = try LiveServer(db: live, ["--register-unknown", "--device-rate", "0", "--maximum-age", "off"])
        let target = transport == "tcp" ? "tcp://\(server.tcp)" : "udp://\(server.udp)"
        var arguments = ["simulate", "--to", target, "--replay", log, "--speed", "0", "--quiet"]
        if let vehicle { arguments += ["--vehicle", vehicle] }
        let replay = try OrbitaProcess.run(arguments)
        #expect(replay.status == 0, "\(replay.stderr)")
        Thread.sleep(forTimeInterval: 0.5)
        #expect(server.stop(SIGTERM) == 0, "\(server.log)")
        var importArguments = ["import", log, "--db", offline, "--quiet"]
        if let vehicle { importArguments += ["--vehicle", vehicle] }
        let imported = try OrbitaProcess.run(importArguments)
        #expect(imported.status == 0, "\(imported.stderr)")
        let replayed = try ServeCommandTests.fixes(live)
        #expect(replayed == (try ServeCommandTests.fixes(offline)))
        return replayed.values.map(\.count).reduce(0, +)
    }

    @Test(arguments: ["udp", "tcp"])
    func aReplayedFleetLogStoresWhatItsImportStores(transport: String) throws {
        // A multi-vehicle log with $PGID identities, made by the project's own generator.
        let log = ImportCommandTests.folder().appendingPathComponent("fleet.nmea")
        let generated = try OrbitaProcess.run(["bench", "generate", "--lines", "3000", "--vehicles", "5"])
        try generated.stdout.write(to: log, atomically: true, encoding: .utf8)
        let stored = try Self.replayEqualsImport(log.path, vehicle: nil, transport: transport)
        #expect(stored > 150)
    }

    @Test(.enabled(if: Corpus.isPresent, "../shared/corpus absent"))
    func aRealReceiverLogReplaysAsItImports() throws {
        // One receiver, no identity in the file: --vehicle names it.
        let log = Corpus.url("nmea-real/GENIVI-positioning__20100411_Geko_Regensburg.txt").path
        let stored = try Self.replayEqualsImport(log, vehicle: "GEKO01", transport: "udp")
        #expect(stored > 700)
    }

    @Test func replayKeepsTheLogsPaceDividedBySpeed() throws {
        // 3 cycles one second apart at speed 2: about one second from the first to the last.
        let folder = ImportCommandTests.folder()
        let log = folder.appendingPathComponent("paced.nmea")
        func sentence(_ body: String) -> String {
            "$\(body)*\(String(format: "%02X", body.utf8.reduce(UInt8(0), ^)))\r\n"
        }
        try (0..<3).map { second in
            sentence("GPRMC,12000\(second).00,A,5545.0000,N,03737.0000,E,0.0,,261126,,,A")
        }.joined().write(to: log, atomically: true, encoding: .utf8)
        let server = try LiveServer(
            db: folder.appendingPathComponent("paced.sqlite").path, ["--register-unknown", "--maximum-age", "off"])
        let replay = try OrbitaProcess.run([
            "simulate", "--to", "udp://\(server.udp)", "--replay", log.path, "--speed", "2", "--vehicle", "PACE01",
        ])
        #expect(server.stop(SIGTERM) == 0)
        let seconds = replay.stdout.split(separator: " ").first { $0.hasPrefix("seconds=") }.flatMap {
            Double($0.dropFirst("seconds=".count).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(replay.stdout.contains("cycles=3"), "\(replay.stdout)")
        #expect((0.9...1.6).contains(seconds ?? 0), "\(replay.stdout)")
    }

    @Test func aGTFSFeedsShapesAreDriven() throws {
        // A two-shape feed in Moscow, with quoted fields and a BOM as real feeds have.
        let folder = ImportCommandTests.folder()
        let feed = folder.appendingPathComponent("gtfs")
        try FileManager.default.createDirectory(at: feed, withIntermediateDirectories: true)
        try """
        \u{FEFF}shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence
        "A, north",55.7500,37.6000,2
        "A, north",55.7400,37.6000,1
        "A, north",55.7600,37.6000,3
        B,55.7000,37.5000,1
        B,55.7000,37.5200,2
        """.write(to: feed.appendingPathComponent("shapes.txt"), atomically: true, encoding: .utf8)
        let db = folder.appendingPathComponent("gtfs.sqlite").path
        let server = try LiveServer(db: db, ["--register-unknown", "--maximum-age", "off"])
        let simulate = try OrbitaProcess.run([
            "simulate", "--to", "udp://\(server.udp)", "--gtfs", feed.path, "--vehicles", "4", "--rate", "5",
            "--duration", "2", "--prefix", "GTFS", "--quiet",
        ])
        #expect(simulate.status == 0, "\(simulate.stderr)")
        Thread.sleep(forTimeInterval: 0.3)
        #expect(server.stop(SIGTERM) == 0)
        let store = try SQLiteTrackStore(path: db)
        var points = 0
        // Vehicles 1 and 3 drive shape A (north–south along 37.6°E), 2 and 4 shape B (east–west along 55.70°N);
        // within ≈ 10 m of the line (receiver noise).
        for vehicle in try store.vehicles() {
            let onA = vehicle.id.hasSuffix("1") || vehicle.id.hasSuffix("3")
            for point in try store.track(vehicleID: vehicle.id, from: nil, to: nil) {
                let (latitude, longitude) = (point.coordinate.latitude, point.coordinate.longitude)
                let on =
                    onA
                    ? abs(longitude - 37.6) < 0.0002 && (55.7399...55.7601).contains(latitude)
                    : abs(latitude - 55.70) < 0.0001 && (37.4999...37.5201).contains(longitude)
                #expect(on, "\(vehicle.id) at \(latitude), \(longitude)")
                points += 1
            }
        }
        #expect(points >= 30)
    }
}
