import Foundation
import OrbitaModel
import Reports
import Testing

/// Trips, stops and parkings found in synthetic drives whose truth is known: parked drift, stops of 20 s and 2 min, a
/// tunnel, a 30-minute parking, an outlier while parked, an overnight gap.
@Suite("reports: trips, stops and parkings")
struct TripDetectorTests {
    static let start = Int64(1_717_228_800_000_000)  // 2024-06-01T08:00:00Z
    static let origin = Coordinate(latitude: 55.75, longitude: 37.60)

    /// Builds a drive a fix a second along a line east, with drift while halted (seeded, so the same every run).
    struct Drive {
        var points: [TrackPoint] = []
        var east = 0.0  // metres from the origin
        var second = 0
        var random: UInt64

        init(seed: UInt64) { random = seed }

        mutating func noise(_ amplitude: Double) -> Double {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Double(random >> 11) / Double(1 << 53) * 2 - 1) * amplitude
        }

        mutating func fix(speed: Double, drift: Double = 0, jump: Double = 0) {
            let north = noise(drift)
            let x = east + noise(drift) + jump
            let coordinate = Coordinate(
                latitude: TripDetectorTests.origin.latitude + north / 111_320,
                longitude: TripDetectorTests.origin.longitude + x / (111_320 * cos(55.75 * .pi / 180)))
            points.append(
                TrackPoint(
                    vehicleID: "B1", time: UTCInstant(microsecondsSinceEpoch: start + Int64(second) * 1_000_000),
                    coordinate: coordinate, speedMetersPerSecond: speed, mode: .threeDimensional,
                    source: "synthetic"))
        }

        /// Halted for `seconds`, drifting by up to `drift` metres (speed noise below 0.3 m/s).
        mutating func halt(_ seconds: Int, drift: Double) {
            for _ in 0..<seconds {
                fix(speed: abs(noise(0.3)), drift: drift)
                second += 1
            }
        }

        /// Driving east at `speed` for `seconds`.
        mutating func drive(_ seconds: Int, speed: Double = 10) {
            for _ in 0..<seconds {
                east += speed
                fix(speed: speed)
                second += 1
            }
        }

        /// No fixes for `seconds` while the vehicle moves on at `speed` (a tunnel) or stands (speed 0).
        mutating func gap(_ seconds: Int, speed: Double) {
            east += speed * Double(seconds)
            second += seconds
        }
    }

    static func time(_ second: Int) -> UTCInstant {
        UTCInstant(microsecondsSinceEpoch: start + Int64(second) * 1_000_000)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func aSyntheticDayGivesTheTripsStopsAndParkingsItWasMadeOf(seed: UInt64) throws {
        var day = Drive(seed: seed)
        day.halt(600, drift: 4)  // 0–600: parked
        day.drive(300)  // 600–900
        day.halt(20, drift: 2)  // 900–920: a bus stop
        day.drive(280)  // 920–1200
        day.halt(120, drift: 2)  // 1200–1320: a long light
        day.drive(180)  // 1320–1500
        day.gap(90, speed: 10)  // 1500–1590: a tunnel
        day.drive(210)  // 1590–1800
        day.halt(700, drift: 4)  // 1800–2500: parked
        day.fix(speed: 0.2, drift: 4, jump: 60)  // an outlier the pipeline kept
        day.second += 1
        day.halt(1099, drift: 4)  // 2501–3600
        day.drive(300)  // 3600–3900
        day.halt(60, drift: 4)  // 3900–3960, then the tracker is off overnight
        day.gap(30_000, speed: 0)  // 3960–33960
        day.halt(60, drift: 4)  // 33960–34020
        day.drive(200)  // 34020–34220, still driving when the track ends

        let (trips, halts) = try Derivation.rows(of: day.points)

        func near(_ instant: UTCInstant, _ second: Int, _ what: String) {
            #expect(abs(instant.seconds(since: Self.time(second))) <= 2, "\(what): \(instant) vs second \(second)")
        }
        try #require(trips.count == 3, "\(trips)")
        near(trips[0].start.time, 599, "trip 1 start")
        near(trips[0].end.time, 1800, "trip 1 end")
        near(trips[1].start.time, 3599, "trip 2 start")
        near(trips[1].end.time, 3900, "trip 2 end")
        near(trips[2].start.time, 34_019, "trip 3 start")
        #expect(trips[2].open && !trips[0].open && !trips[1].open)
        // Driven: 970 s at 10 m/s plus the tunnel's 900 m; 300 m; 200 m. The stops' and parkings' drift is not
        // mileage.
        #expect(abs(trips[0].distanceMeters - 9_700 - 900) < 0.01 * 10_600, "\(trips[0].distanceMeters)")
        #expect(abs(trips[1].distanceMeters - 3_000) < 30, "\(trips[1].distanceMeters)")
        #expect(abs(trips[2].distanceMeters - 2_000) < 30, "\(trips[2].distanceMeters)")
        #expect(abs(trips[0].stoppedSeconds - 138) <= 4)
        #expect(trips.allSatisfy { $0.maxSpeedMetersPerSecond == 10 })

        let stops = halts.filter { $0.kind == .stop }
        let parkings = halts.filter { $0.kind == .parking }
        try #require(stops.count == 2, "\(stops)")
        near(stops[0].start, 900, "stop 1 start")
        near(stops[0].end, 919, "stop 1 end")
        near(stops[1].start, 1200, "stop 2 start")
        near(stops[1].end, 1319, "stop 2 end")
        try #require(parkings.count == 3, "\(parkings)")
        near(parkings[0].start, 0, "parking 1 start")
        near(parkings[0].end, 599, "parking 1 end")
        near(parkings[1].start, 1800, "parking 2 start")
        near(parkings[1].end, 3599, "parking 2 end")
        // Through the overnight gap: the vehicle was where it parked when the tracker came back.
        near(parkings[2].start, 3900, "parking 3 start")
        near(parkings[2].end, 34_019, "parking 3 end")
        #expect(!parkings[2].open)
    }

    /// Fed in two parts (rows read between) or whole: the same rows — what maintaining them as fixes arrive needs.
    @Test func theRowsDoNotDependOnWhenTheyWereRead() throws {
        var day = Drive(seed: 9)
        day.halt(400, drift: 4)
        day.drive(200)
        day.halt(30, drift: 2)
        day.drive(100)
        day.halt(400, drift: 4)
        var whole = try Derivation.deriver(for: day.points)
        var parts = try Derivation.deriver(for: day.points)
        for point in day.points { whole.add(point) }
        for (index, point) in day.points.enumerated() {
            parts.add(point)
            if index % 97 == 0 { _ = parts.rows() }
        }
        #expect(whole.rows().trips == parts.rows().trips)
        #expect(whole.rows().halts == parts.rows().halts)
        #expect(whole.rows().trips.count == 1)
        #expect(whole.rows().halts.map(\.kind) == [.parking, .stop, .parking])
    }

    /// A vehicle that only drifts, or crawls round a yard within the trip distance, makes no trip.
    @Test func driftAndYardManoeuvresMakeNoTrip() throws {
        var yard = Drive(seed: 4)
        yard.halt(1_800, drift: 8)
        for _ in 0..<6 {
            yard.drive(8, speed: 5)
            yard.halt(30, drift: 2)
            yard.drive(8, speed: -5)
            yard.halt(30, drift: 2)
        }
        let (trips, halts) = try Derivation.rows(of: yard.points)
        #expect(trips.isEmpty, "\(trips)")
        #expect(halts.count == 1 && halts[0].kind == .parking && halts[0].open)
    }

    /// A tracker that is off while the vehicle is parked (powered with the ignition) and comes back already driving,
    /// 150 m on: one parking spanning the gap, then a trip from the first fix back — no parking of no time.
    @Test func aTrackerOffWhileParkedMakesOneParkingOverTheGap() throws {
        var day = Drive(seed: 5)
        day.drive(300)  // 0–300
        day.gap(3_600, speed: 0)  // 300–3900: off, parked
        day.east += 150  // it left before the tracker was back
        day.drive(300)  // 3900–4200
        let (trips, halts) = try Derivation.rows(of: day.points)
        #expect(trips.count == 2, "\(trips)")
        #expect(halts.count == 1, "\(halts)")
        #expect(halts.first?.kind == .parking)
        #expect(halts.first?.start == trips.first?.end.time, "from the last fix before the gap")
        #expect(halts.first?.end == trips.last?.start.time, "to the first fix back, where the next trip begins")
        #expect((halts.first?.durationSeconds ?? 0) > 3_600)
    }

    /// A tracker that sends less often than the gap threshold: one moving fix between two gaps is no trip, and the
    /// parking goes on through it — so that rows derived again from a parking's restart are the same.
    @Test func aSingleMovingFixBetweenGapsIsNoTrip() throws {
        var day = TripDetectorTests.Drive(seed: 8)
        day.drive(60)  // 0–60
        day.gap(1_200, speed: 0)  // parked, tracker off
        day.east += 500
        day.fix(speed: 8)  // back elsewhere, moving: the start of something
        day.second += 1
        day.gap(1_200, speed: 0)  // off again
        day.east += 20
        day.halt(60, drift: 2)  // back near the same place, halted
        let (trips, halts) = try Derivation.rows(of: day.points)
        #expect(trips.count == 1, "\(trips)")
        #expect(trips.allSatisfy { $0.end.time > $0.start.time })
        #expect(halts.filter { $0.kind == .parking }.count == 2, "\(halts)")
    }
}
