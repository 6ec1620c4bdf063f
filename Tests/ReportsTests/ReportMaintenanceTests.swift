import Foundation
import OrbitaModel
import Reports
import Storage
import Testing
import TrackImport

/// Report rows are maintained as fixes are stored, and must not depend on how the fixes arrived: the same rows after
/// an import in order, of the log's lines shuffled in blocks, and of the window split in two imported in reverse order
/// — and the same as a derivation of the whole stored track.
@Suite("reports: rows maintained as data arrives")
struct ReportMaintenanceTests {
    /// Two days of a bus: parked drift, stops of 20 s and 2 min, a tunnel, parkings of 30 min with a far outlier, an
    /// overnight gap.
    static func days(seed: UInt64) -> [TrackPoint] {
        var day = TripDetectorTests.Drive(seed: seed)
        for _ in 0..<2 {
            day.halt(600, drift: 4)
            day.drive(300)
            day.halt(20, drift: 2)
            day.drive(280)
            day.halt(120, drift: 2)
            day.drive(180)
            day.gap(90, speed: 10)
            day.drive(210)
            day.halt(700, drift: 4)
            day.fix(speed: 0.2, drift: 4, jump: 2_000)  // far: the pipeline's outlier rule drops it
            day.second += 1
            day.halt(1_099, drift: 4)
            day.drive(300)
            day.halt(60, drift: 4)
            day.gap(40_000, speed: 0)
        }
        day.halt(60, drift: 4)
        day.drive(200)
        return day.points
    }

    /// RMC lines of the points (speed in knots, as trackers send it).
    static func log(_ points: [TrackPoint]) -> [String] {
        points.map { point in
            let micros = point.time.microsecondsSinceEpoch
            let seconds = Int(micros / 1_000_000 % 86_400)
            let date = point.time.date
            let time = String(format: "%02d%02d%02d.00", seconds / 3600, seconds / 60 % 60, seconds % 60)
            let latitude = point.coordinate.latitude
            let longitude = point.coordinate.longitude
            let body = String(
                format: "GPRMC,%@,A,%02d%08.5f,N,%03d%08.5f,E,%.2f,90.0,%02d%02d%02d,,,A", time, Int(latitude),
                (latitude - Double(Int(latitude))) * 60, Int(longitude), (longitude - Double(Int(longitude))) * 60,
                (point.speedMetersPerSecond ?? 0) / 0.514444, date.day, date.month, date.year % 100)
            let checksum = body.utf8.reduce(UInt8(0)) { $0 ^ $1 }
            return "$\(body)*\(String(format: "%02X", checksum))"
        }
    }

    /// Imports each of `files` (lines) in turn into a fresh store, `batchSize` fixes a transaction.
    static func imported(_ files: [[String]], batchSize: Int) throws -> SQLiteTrackStore {
        let store = try SQLiteTrackStore()
        let importer = TrackImporter(store: store, batchSize: batchSize)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "orbita-reports-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (index, lines) in files.enumerated() {
            let file = folder.appendingPathComponent("part\(index).nmea")
            try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
            let report = try importer.importFile(file.path, vehicle: "B1")
            #expect(report.error == nil)
        }
        try importer.finish()
        return store
    }

    /// Every maintained row of a store.
    static func rows(_ store: SQLiteTrackStore) throws -> (trips: [Trip], halts: [Halt], mileage: [VehicleMileageSlice])
    {
        let from = UTCInstant(microsecondsSinceEpoch: 0)
        let to = UTCInstant(microsecondsSinceEpoch: 4_000_000_000_000_000)
        return (
            try store.reportTrips(vehicleIDs: nil, from: from, to: to),
            try store.reportHalts(vehicleIDs: nil, from: from, to: to),
            try store.reportMileage(vehicleIDs: nil, from: from, to: to)
        )
    }

    @Test(arguments: [21, 22, 23, 24] as [UInt64])
    func theRowsDoNotDependOnHowTheDataArrived(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let lines = Self.log(Self.days(seed: seed))
        let inOrder = try Self.imported([lines], batchSize: 10_000)
        let expected = try Self.rows(inOrder)

        // The whole stored track derived at once gives the maintained rows.
        let track = try inOrder.track(vehicleID: "B1", from: nil, to: nil)
        let whole = try Derivation.rows(of: track)
        #expect(whole.trips == expected.trips)
        #expect(whole.halts == expected.halts)
        #expect(expected.trips.count == 5, "two trips a day and one driving at the end: \(expected.trips.count)")
        #expect(expected.halts.filter { $0.kind == .stop }.count == 4)

        // In order in small batches: rows maintained across many commits (stops ended inside a trip still going
        // on are kept when the trip's row is written again).
        let small = try Self.imported([lines], batchSize: Int.random(in: 40...400, using: &random))
        let smallRows = try Self.rows(small)
        #expect(smallRows.trips == expected.trips)
        #expect(smallRows.halts == expected.halts)
        #expect(smallRows.mileage == expected.mileage)

        // Shuffled in blocks of 50–800 lines, several batches.
        var blocks: [[String]] = []
        var index = 0
        while index < lines.count {
            let size = Int.random(in: 50...800, using: &random)
            blocks.append(Array(lines[index..<min(lines.count, index + size)]))
            index += size
        }
        blocks.shuffle(using: &random)
        let shuffled = try Self.imported(
            [blocks.flatMap { $0 }], batchSize: Int.random(in: 300...3_000, using: &random))
        let shuffledRows = try Self.rows(shuffled)
        // Stored differently (late fixes keep their drift and the far outlier; in order they were held or dropped),
        // reported the same.
        let shuffledTrack = try shuffled.track(vehicleID: "B1", from: nil, to: nil)
        #expect(shuffledTrack.contains { $0.flags.contains(.late) })
        #expect(shuffledTrack.map(\.coordinate) != track.map(\.coordinate))
        #expect(shuffledRows.trips == expected.trips)
        #expect(shuffledRows.halts == expected.halts)
        #expect(shuffledRows.mileage == expected.mileage)

        // The window split in two, the later half imported first.
        let cut = Int.random(in: lines.count / 5...lines.count * 4 / 5, using: &random)
        let split = try Self.imported([Array(lines[cut...]), Array(lines[..<cut])], batchSize: 2_000)
        let splitRows = try Self.rows(split)
        #expect(splitRows.trips == expected.trips)
        #expect(splitRows.halts == expected.halts)
        #expect(splitRows.mileage == expected.mileage)
        print(
            "report rows seed \(seed): \(expected.trips.count) trips, \(expected.halts.count) halts, "
                + "\(expected.mileage.count) quarter hours; \(blocks.count) shuffled blocks, cut at line \(cut)")
    }
}
