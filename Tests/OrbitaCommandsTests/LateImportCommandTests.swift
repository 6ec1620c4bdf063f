import Foundation
import Testing

@Suite("orbita import: late data raises its events (the binary)", .serialized)
struct LateImportCommandTests {
    /// RMC lines of a vehicle driving east along 55.75° N, 50 m every 5 s from 37.600° E.
    static func log(_ fixes: Range<Int>) -> String {
        fixes.map { index in
            let seconds = index * 5
            let time = String(format: "%02d%02d%02d.00", 8 + seconds / 3600, seconds / 60 % 60, seconds % 60)
            let longitude = 37.600 + Double(index) * 50 / 62_700
            let minutes = (longitude - 37) * 60
            let body = String(format: "GPRMC,%@,A,5545.00000,N,037%08.5f,E,19.4,90.0,090624,,,A", time, minutes)
            let checksum = body.utf8.reduce(UInt8(0)) { $0 ^ $1 }
            return "$\(body)*\(String(format: "%02X", checksum))\n"
        }.joined()
    }

    @Test func theFirstHalfImportedLastStillRaisesItsFenceEvents() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("late.sqlite").path
        let first = folder.appendingPathComponent("first.nmea")
        let second = folder.appendingPathComponent("second.nmea")
        try Self.log(0..<40).write(to: first, atomically: true, encoding: .utf8)
        try Self.log(40..<80).write(to: second, atomically: true, encoding: .utf8)
        // A fence crossed during the first half (around 37.615° E, fixes 16–22).
        #expect(
            try OrbitaProcess.run(["geofence", "add", "yard", "--circle", "55.75,37.615,150", "--db", db]).status == 0)
        for file in [second, first] {
            let result = try OrbitaProcess.run(["import", file.path, "--vehicle", "bus-9", "--db", db, "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let events = try OrbitaProcess.run(["events", "--db", db, "--format", "json"])
        let kinds = events.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["kind"] as? String
        }
        #expect(kinds == ["geofenceEnter", "geofenceExit"], "\(events.stdout)")
    }
}
