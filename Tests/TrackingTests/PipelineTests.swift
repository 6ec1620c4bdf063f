import Foundation
import Geodesy
import OrbitaModel
import Testing
import Tracking

let start = UTCInstant(date: CivilDate(year: 2024, month: 6, day: 1)!, time: TimeOfDay(hour: 8, minute: 0, second: 0)!)

func fix(
    _ second: Int, lat: Double = 55.75, lon: Double = 37.6, speed: Double? = 10, hdop: Double? = 0.9,
    sats: Int? = 9, mode: FixMode = .threeDimensional, datum: Datum = .wgs84
) -> Fix {
    var fix = Fix()
    fix.time = .instant(UTCInstant(microsecondsSinceEpoch: start.microsecondsSinceEpoch + Int64(second) * 1_000_000))
    fix.mode = mode
    fix.quality = .autonomous
    fix.latitude = lat
    fix.longitude = lon
    fix.speedMetersPerSecond = speed
    fix.hdop = hdop
    fix.satellitesUsed = sats
    fix.datum = datum
    return fix
}

func pipeline(_ configure: (inout TrackingConfiguration) -> Void = { _ in }) throws -> PositionPipeline {
    var configuration = TrackingConfiguration()
    configure(&configuration)
    return try PositionPipeline(
        configuration: configuration, frame: LocalFrame(crs: "EPSG:32637"),
        clock: FixedClock(UTCInstant(microsecondsSinceEpoch: start.microsecondsSinceEpoch + 86_400_000_000)))
}

func reason(_ outcome: PipelineOutcome) -> DropReason? {
    if case .dropped(let reason) = outcome { return reason }
    return nil
}

@Suite("position pipeline")
struct PipelineTests {
    @Test func dropsInvalidFixesWithNamedReasons() throws {
        let p = try pipeline { $0.maximumAgeSeconds = 3600 }
        var noDate = fix(0)
        noDate.time = .timeOfDay(TimeOfDay(hour: 8, minute: 0, second: 0)!)
        #expect(reason(p.process(fix(0, mode: .noFix), vehicleID: "v", source: "t")) == .noFix)
        #expect(reason(p.process(noDate, vehicleID: "v", source: "t")) == .noDate)
        #expect(reason(p.process(fix(0, lat: 95), vehicleID: "v", source: "t")) == .outOfRange)
        #expect(reason(p.process(fix(0, lat: .nan), vehicleID: "v", source: "t")) == .outOfRange)
        #expect(reason(p.process(fix(0, lat: 0, lon: 0), vehicleID: "v", source: "t")) == .nullIsland)
        #expect(reason(p.process(fix(86_000, hdop: 25), vehicleID: "v", source: "t")) == .poorHDOP)
        #expect(reason(p.process(fix(86_000, sats: 2), vehicleID: "v", source: "t")) == .fewSatellites)
        #expect(reason(p.process(fix(86_000, datum: .other), vehicleID: "v", source: "t")) == .unsupportedDatum)
        #expect(reason(p.process(fix(2 * 86_400), vehicleID: "v", source: "t")) == .future)
        #expect(reason(p.process(fix(0), vehicleID: "v", source: "t")) == .tooOld)
        #expect(p.states["v"]?.drops.values.reduce(0, +) == 10)
        #expect(p.states["v"]?.drops[.outOfRange] == 2)
        #expect(p.states["v"]?.accepted == 0)
    }

    /// A fix stamped 9 minutes ahead of the clock (inside the 10-minute `future` limit) is stored flagged `ahead`
    /// and does not become the vehicle's "now": the genuine fixes after it are accepted, not `late` (before: the
    /// forged fix froze the vehicle for 9 minutes).
    @Test func aFixAheadOfTheClockDoesNotTakeOverTheLiveState() throws {
        let p = try pipeline()
        let now = 86_400
        guard case .late(let forged) = p.process(fix(now + 540, lat: 55.9), vehicleID: "v", source: "t") else {
            Issue.record("a fix 9 minutes ahead must be stored without moving the vehicle")
            return
        }
        #expect(forged.flags.contains(.ahead) && !forged.flags.contains(.late))
        for second in [now - 5, now - 4, now - 3] {
            guard case .accepted(let point) = p.process(fix(second), vehicleID: "v", source: "t") else {
                Issue.record("a genuine fix after the forged one was not accepted")
                return
            }
            #expect(point.flags.isEmpty)
        }
        #expect(p.states["v"]?.accepted == 3)
        // Within the tolerance (a clock 20 s ahead): an ordinary fix.
        guard case .accepted = p.process(fix(now + 20), vehicleID: "v", source: "t") else {
            Issue.record("20 s ahead is within the skew tolerance")
            return
        }
    }

    /// Impossible field values are not stored (the position is): 10⁹ knots, 100 km of altitude, HDOP 1e6.
    @Test func implausibleValuesAreNotStored() throws {
        let p = try pipeline()
        var wild = fix(86_000, speed: 514_444_444)
        wild.altitudeMSL = 100_000
        guard case .accepted(let point) = p.process(wild, vehicleID: "v", source: "t") else {
            Issue.record("the position itself is plausible")
            return
        }
        #expect(point.speedMetersPerSecond == nil && point.altitudeMSL == nil)
        var sane = fix(86_001, speed: 25)
        sane.altitudeMSL = 141.1
        guard case .accepted(let kept) = p.process(sane, vehicleID: "v", source: "t") else { return }
        #expect(kept.speedMetersPerSecond == 25 && kept.altitudeMSL == 141.1)
    }

    @Test func duplicatesAndLateFixes() throws {
        let p = try pipeline()
        #expect(p.process(fix(10), vehicleID: "v", source: "t").point != nil)
        #expect(reason(p.process(fix(10), vehicleID: "v", source: "t")) == .duplicate)
        guard case .late(let late) = p.process(fix(5), vehicleID: "v", source: "t") else {
            Issue.record("an older fix must be late")
            return
        }
        #expect(late.flags.contains(.late))
        #expect(late.segmentMeters == nil)
        #expect(p.states["v"]?.last?.time.microsecondsSinceEpoch == start.microsecondsSinceEpoch + 10_000_000)
        #expect(p.states["v"]?.late == 1)
    }

    @Test func anOutlierIsDroppedAndATrueMoveIsAcceptedAfterThreeInARow() throws {
        let p = try pipeline()
        #expect(p.process(fix(0), vehicleID: "v", source: "t").point != nil)
        // 0.1° of latitude (11 km) in one second.
        #expect(reason(p.process(fix(1, lat: 55.85), vehicleID: "v", source: "t")) == .outlier)
        #expect(p.process(fix(2, lat: 55.75001), vehicleID: "v", source: "t").point != nil)
        for second in 3...5 {
            #expect(reason(p.process(fix(second, lat: 55.85), vehicleID: "v", source: "t")) == .outlier)
        }
        #expect(p.process(fix(6, lat: 55.85), vehicleID: "v", source: "t").point != nil)
        #expect(p.states["v"]?.drops[.outlier] == 4)
    }

    @Test func pz90PositionsAreConvertedAndFlagged() throws {
        let p = try pipeline()
        let point = try #require(p.process(fix(0, datum: .pz90), vehicleID: "v", source: "t").point)
        #expect(point.flags.contains(.datumConverted))
        #expect(point.datum == .pz90)
        #expect(abs(point.coordinate.latitude - 55.75) > 1e-8)
        #expect(abs(point.coordinate.latitude - 55.75) < 1e-6)
    }

    @Test func theOdometerIsTheEllipsoidalLengthOfTheTrack() throws {
        let p = try pipeline()
        var expected = 0.0
        var previous: Coordinate? = nil
        for second in 0..<600 {
            // A drive north-east at about 15 m/s with a gentle curve.
            let lat = 55.70 + Double(second) * 0.0001
            let lon = 37.50 + Double(second) * 0.00015 + 0.001 * sin(Double(second) / 60)
            let point = try #require(p.process(fix(second, lat: lat, lon: lon), vehicleID: "v", source: "t").point)
            if let previous { expected += Geodesic.wgs84.distance(from: previous, to: point.coordinate) }
            previous = point.coordinate
        }
        let odometer = try #require(p.states["v"]?.odometerMeters)
        #expect(abs(odometer - expected) / expected < 1e-6, "\(odometer) vs \(expected)")
    }

    @Test func utmAndGaussKrugerFramesUseTheAnalyticScale() throws {
        #expect(try LocalFrame(crs: "EPSG:32637").hasAnalyticScale)
        #expect(try LocalFrame(crs: "EPSG:20907").hasAnalyticScale)
        #expect(try !LocalFrame(crs: "EPSG:3857").hasAnalyticScale)
    }

    @Test(arguments: ["EPSG:32637", "EPSG:20907"])
    func planarDistancesMatchGeodesicsAcrossTheZone(crs: String) throws {
        let frame = try LocalFrame(crs: crs)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let a = Coordinate(
                latitude: Double.random(in: 40...70, using: &generator),
                longitude: Double.random(in: 36...42, using: &generator))
            let b = Coordinate(
                latitude: a.latitude + Double.random(in: -0.02...0.02, using: &generator),
                longitude: a.longitude + Double.random(in: -0.02...0.02, using: &generator))
            let planar = frame.distanceMeters(from: a, try frame.project(a), to: b, try frame.project(b))
            let geodesic = Geodesic.wgs84.distance(from: a, to: b)
            #expect(abs(planar - geodesic) <= max(1e-6 * geodesic, 1e-6), "\(a) → \(b): \(planar) vs \(geodesic)")
        }
    }

    @Test func motionHasHysteresisAndAParkedVehicleDoesNotDrift() throws {
        let p = try pipeline()
        _ = p.process(fix(0, speed: 12), vehicleID: "v", source: "t")
        #expect(p.states["v"]?.motion == .moving)
        for second in 1...20 { _ = p.process(fix(second, speed: 0.2), vehicleID: "v", source: "t") }
        #expect(p.states["v"]?.motion == .moving)  // not yet 30 s below the stop speed
        for second in 21...40 { _ = p.process(fix(second, speed: 0.2), vehicleID: "v", source: "t") }
        #expect(p.states["v"]?.motion == .stopped)
        let odometer = try #require(p.states["v"]?.odometerMeters)
        // GNSS drift of a few metres while parked is held at the parked position.
        let drifted = try #require(p.process(fix(41, lat: 55.75005, speed: 0.1), vehicleID: "v", source: "t").point)
        #expect(drifted.flags.contains(.held))
        #expect(drifted.coordinate == Coordinate(latitude: 55.75, longitude: 37.6))
        #expect(p.states["v"]?.odometerMeters == odometer)
        // Driving away ends the hold.
        let away = try #require(p.process(fix(50, lat: 55.7510, speed: 10), vehicleID: "v", source: "t").point)
        #expect(!away.flags.contains(.held))
        #expect(p.states["v"]?.motion == .moving)
    }

    final class MovableClock: PipelineClock {
        var now: UTCInstant
        init(_ now: UTCInstant) { self.now = now }
    }

    @Test func aFixIsNeverCalledFutureByAStaleClockReading() throws {
        let clock = MovableClock(start)
        let p = try PositionPipeline(frame: LocalFrame(crs: "EPSG:32637"), clock: clock)
        #expect(p.process(fix(0), vehicleID: "v", source: "t").point != nil)
        clock.now = UTCInstant(microsecondsSinceEpoch: start.microsecondsSinceEpoch + 86_400_000_000)
        // Against the reading taken with the first fix this one is a day ahead; against the clock it is 100 s ahead.
        #expect(p.process(fix(86_500), vehicleID: "v", source: "t").point != nil)
        #expect(reason(p.process(fix(87_400), vehicleID: "v", source: "t")) == .future)
    }

    @Test func vehiclesHaveSeparateStates() throws {
        let p = try pipeline()
        _ = p.process(fix(0), vehicleID: "a", source: "t")
        #expect(p.process(fix(0), vehicleID: "b", source: "t").point != nil)
        #expect(reason(p.process(fix(0), vehicleID: "a", source: "t")) == .duplicate)
        #expect(p.dropTotals == [.duplicate: 1])
    }

    @Test func resumingFromTheStoreMakesOlderFixesLate() throws {
        let p = try pipeline()
        let stored = TrackPoint(
            vehicleID: "v", time: UTCInstant(microsecondsSinceEpoch: start.microsecondsSinceEpoch + 100_000_000),
            coordinate: Coordinate(latitude: 55.75, longitude: 37.6))
        try p.resume(vehicleID: "v", from: stored)
        guard case .late = p.process(fix(50), vehicleID: "v", source: "t") else {
            Issue.record("expected late")
            return
        }
        guard case .accepted(let next) = p.process(fix(101), vehicleID: "v", source: "t") else {
            Issue.record("expected accepted")
            return
        }
        #expect(next.segmentMeters == 0)  // same place as the stored fix
    }

    /// A vehicle resumed from the store (a restart, a cluster handover) that was driving is not parked at once: its
    /// next slow fixes keep their drift until it has been slow for `stopAfterSeconds`, as they would have without the
    /// restart. One resumed at a fix held where it parked is parked: the drift is held there.
    @Test func aResumedVehicleIsParkedOnlyWhenItsLastFixWasHeld() throws {
        func drift(_ second: Int) -> Fix { fix(second, lat: 55.75 + Double(second % 3) * 0.00002, speed: 0.1) }
        let stored = TrackPoint(
            vehicleID: "v", time: UTCInstant(microsecondsSinceEpoch: start.microsecondsSinceEpoch + 100_000_000),
            coordinate: Coordinate(latitude: 55.75, longitude: 37.6), speedMetersPerSecond: 9)
        let driving = try pipeline()
        try driving.resume(vehicleID: "v", from: stored)
        var held: [Int] = []
        for second in 101...140 {
            if case .accepted(let point) = driving.process(drift(second), vehicleID: "v", source: "t"),
                point.flags.contains(.held)
            {
                held.append(second)
            }
        }
        // Slow from 101: stopped at 131 (30 s), held from the fix after.
        #expect(held.first == 132, "\(held)")

        var parkedFix = stored
        parkedFix.flags = .held
        parkedFix.speedMetersPerSecond = 0
        let parked = try pipeline()
        try parked.resume(vehicleID: "v", from: parkedFix)
        guard case .accepted(let next) = parked.process(drift(101), vehicleID: "v", source: "t") else {
            Issue.record("expected accepted")
            return
        }
        #expect(next.flags.contains(.held))
        #expect(next.coordinate == parkedFix.coordinate)
    }
}
