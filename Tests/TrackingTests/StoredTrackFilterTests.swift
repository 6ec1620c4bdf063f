import Geodesy
import OrbitaModel
import Testing
import Tracking

/// The stored-track filter takes the segment the pipeline measured only where measuring again would give it: from
/// the fix the pipeline measured it from, both standing where the pipeline put them.
@Suite("stored-track filter: the pipeline's segments")
struct StoredTrackFilterTests {
    let frame: LocalFrame

    init() throws { frame = try LocalFrame(crs: "EPSG:32637") }

    /// A stored fix `second` s after `start`, `east` metres east of 55.75° N 37.6° E (about).
    func input(
        _ second: Int, east: Double = 0, speed: Double, after: Int? = nil, meters: Double = 0, flags: FixFlags = []
    ) -> StoredTrackFilter.Input {
        let point = TrackPoint(
            vehicleID: "v", time: time(second),
            coordinate: Coordinate(latitude: 55.75, longitude: 37.6 + east / 62_700), speedMetersPerSecond: speed,
            flags: flags)
        var input = StoredTrackFilter.Input(point)
        if let after { input.pipelineSegment = (time(after), meters) }
        return input
    }

    func time(_ second: Int) -> UTCInstant {
        UTCInstant(microsecondsSinceEpoch: start.microsecondsSinceEpoch + Int64(second) * 1_000_000)
    }

    func run(_ filter: inout StoredTrackFilter, _ input: StoredTrackFilter.Input) throws -> Double? {
        try filter.filter(input, planar: frame.project(input.coordinate))?.segmentMeters
    }

    @Test func theSegmentIsTakenFromThePipelineOnlyFromTheFixItWasMeasuredFrom() throws {
        // Taken: the previous fix is the one named, and both are where the pipeline put them.
        var filter = StoredTrackFilter(frame: frame)
        _ = try run(&filter, input(0, speed: 10, after: -1))
        #expect(try run(&filter, input(1, east: 10, speed: 10, after: 0, meters: 777)) == 777)

        // Measured: the pipeline measured from another fix (one the filter did not see, or a later one).
        var other = StoredTrackFilter(frame: frame)
        _ = try run(&other, input(0, speed: 10, after: -1))
        let segment = try run(&other, input(1, east: 10, speed: 10, after: -5, meters: 777))
        let measured = try #require(segment)
        #expect(abs(measured - 10) < 0.1, "\(measured)")

        // Measured: the previous fix was read from the store without a pipeline segment.
        var unknown = StoredTrackFilter(frame: frame)
        _ = try run(&unknown, input(0, speed: 10))
        #expect(try run(&unknown, input(1, east: 10, speed: 10, after: 0, meters: 777)) != 777)
    }

    @Test func aFixTheFilterHoldsElsewhereIsMeasured() throws {
        // Parked where the first halted fix stands; the next halted fix, 5 m off, stored as the pipeline left it (not
        // held), is held here: it no longer stands where the pipeline put it, so its segment is measured (nothing
        // between the parked place and itself).
        var filter = StoredTrackFilter(frame: frame)
        _ = try run(&filter, input(0, speed: 0, after: -1))
        let next = input(1, east: 5, speed: 0, after: 0, meters: 777)
        let result = filter.filter(next, planar: try frame.project(next.coordinate))
        let held = try #require(result)
        #expect(held.coordinate == input(0, speed: 0).coordinate)
        #expect(held.segmentMeters == 0)
    }

    @Test func aDriveThroughThePipelineGivesTheSameSegmentsWithAndWithoutItsHints() throws {
        let pipeline = try pipeline()
        var points: [TrackPoint] = []
        var hints: [PipelineHint] = []
        // Driving, a halt with drift long enough to park (held), driving again.
        var east = 0.0
        for second in 0..<200 {
            let halted = (60..<140).contains(second)
            if !halted { east += 12 }
            let drift = halted ? Double((second * 7) % 11) - 5 : 0
            let before = points.count
            let decision = pipeline.process(
                fix(second, lat: 55.75, lon: 37.6 + (east + drift) / 62_700, speed: halted ? 0.2 : 12),
                vehicleID: "v", source: "t", appendingTo: &points)
            if points.count > before { hints.append(PipelineHint(pipeline, accepted: decision == .accepted)) }
        }
        #expect(points.contains { $0.flags.contains(.held) }, "the halt parks and holds")
        var hinted = StoredTrackFilter(frame: frame)
        var plain = StoredTrackFilter(frame: frame)
        var taken = 0
        for (point, hint) in zip(points, hints) {
            var input = StoredTrackFilter.Input(point)
            if let after = hint.segmentAfter { input.pipelineSegment = (after, point.segmentMeters ?? 0) }
            let withHint = hinted.filter(input, planar: hint.planar)
            let without = plain.filter(point)
            let a = try #require(withHint)
            let b = try #require(without)
            #expect(a.coordinate == b.coordinate && a.planar == b.planar)
            #expect(a.segmentMeters.bitPattern == b.segmentMeters.bitPattern, "\(point.time)")
            if input.pipelineSegment != nil { taken += 1 }
        }
        #expect(taken == points.count - 1, "every fix but the first carries the pipeline's segment")
    }
}
