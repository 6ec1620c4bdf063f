import FleetTracking
import Foundation
import OrbitaModel
import Reports
import Storage
import Testing
import Tracking

/// Mileage through the whole path: a synthetic day's fixes through the pipeline into a store, then cut into trips.
/// The drift at a standstill must not become mileage.
@Suite("reports: mileage")
struct MileageTests {
    @Test(arguments: [5, 6, 7] as [UInt64])
    func aDayWithAnHourOfDriftingHaltsReadsTheDistanceDriven(seed: UInt64) throws {
        // 23.8 km driven at 10 m/s; 3,720 s halted at ±4 m of noise: twelve stops of 60 s and two parkings of 1,500 s.
        var day = TripDetectorTests.Drive(seed: seed)
        day.halt(300, drift: 4)
        for leg in 0..<14 {
            day.drive(170)
            if leg == 6 || leg == 13 { day.halt(1_500, drift: 4) } else { day.halt(60, drift: 4) }
        }
        let driven = 14 * 170 * 10.0
        let store = try SQLiteTrackStore()
        let recorder = FleetRecorder(
            store: store,
            tracker: FleetTracker(
                store: store, crs: "EPSG:32637",
                clock: FixedClock(day.points[day.points.count - 1].time.adding(seconds: 60))))
        for point in day.points { try recorder.record(Self.fix(point), vehicleID: "B1", source: "synthetic") }
        try recorder.finish()
        let track = try store.track(vehicleID: "B1", from: nil, to: nil)
        let trips = try Derivation.rows(of: track).trips
        let mileage = trips.map(\.distanceMeters).reduce(0, +)
        let odometer = track.compactMap(\.segmentMeters).reduce(0, +)
        print(
            "mileage seed \(seed): truth \(Int(driven)) m, trips \(trips.count) \(Int(mileage)) m "
                + "(\(String(format: "%+.2f", (mileage / driven - 1) * 100)) %), every segment \(Int(odometer)) m "
                + "(\(String(format: "%+.2f", (odometer / driven - 1) * 100)) %)")
        #expect(trips.count == 2, "the parkings end the trips; the stops do not")
        #expect(abs(mileage - driven) < 0.02 * driven, "\(mileage) m for \(driven) m driven")
    }

    static func fix(_ point: TrackPoint) -> Fix {
        var fix = Fix()
        fix.time = .instant(point.time)
        fix.mode = .threeDimensional
        fix.quality = .autonomous
        fix.latitude = point.coordinate.latitude
        fix.longitude = point.coordinate.longitude
        fix.speedMetersPerSecond = point.speedMetersPerSecond
        fix.hdop = 0.9
        fix.satellitesUsed = 9
        return fix
    }
}
