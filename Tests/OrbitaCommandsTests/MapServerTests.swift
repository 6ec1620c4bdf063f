import Foundation
import Testing

/// `orbita map --server`: a frame from the API, a clear error for a bad token, the headless lag report.
@Suite("orbita map --server", .serialized)
struct MapServerTests {
    @Test func aSnapshotAndTheHeadlessLagReportComeFromTheAPI() throws {
        let fleet = try MapFleet("map-server", vehicles: 20, rate: 5, duration: 20, prefix: "HDL", role: "viewer")
        defer { withExtendedLifetime(fleet) {} }  // the server and sender live to the end
        let token = fleet.token
        let url = "http://\(fleet.server.http)"

        let refused = try OrbitaProcess.run(["map", "--server", url, "--token", "wrong", "--snapshot"])
        #expect(refused.status == 1 && refused.stderr.contains("unknown token"), "\(refused.stderr)")
        let missing = try OrbitaProcess.run(["map", "--server", url, "--snapshot"])
        #expect(missing.status != 0 && missing.stderr.contains("--token"), "\(missing.stderr)")

        let snapshot = try OrbitaProcess.run(["map", "--server", url, "--token", token, "--snapshot", "--ascii"])
        #expect(snapshot.status == 0, "\(snapshot.stderr)")
        #expect(
            snapshot.stdout.contains("20 vehicles") && snapshot.stdout.contains("2 geofences"), "\(snapshot.stdout)")

        // 20 vehicles at 5 Hz: about 100 fixes/s reach the map, each within a few seconds of its fix time.
        let headless = try OrbitaProcess.run(["map", "--server", url, "--token", token, "--headless", "10.5"])
        #expect(headless.status == 0, "\(headless.stderr)")
        let row = headless.stdout.split(separator: "\n").dropFirst().first?.split(separator: " ") ?? []
        #expect(row.count == 9 && row.last == "live", "\(headless.stdout)")
        if row.count == 9, let perSecond = Double(row[2]), let lagMax = Double(row[4]), let frames = Int(row[5]) {
            #expect(perSecond > 50 && perSecond < 150, "\(headless.stdout)")
            #expect(lagMax < 5, "\(headless.stdout)")
            #expect(frames > 20, "frames drawn: \(headless.stdout)")
        }
    }
}
