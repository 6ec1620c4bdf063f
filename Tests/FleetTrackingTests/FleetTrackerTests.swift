import FleetTracking
import Foundation
import OrbitaModel
import Storage
import Testing
import Tracking

/// The fleet-tracking core on a real SQLite store: what it decides for each fix, counted once; late data replayed
/// through the pipeline's own outlier rule, so that it raises the events live data raised.
@Suite("fleet tracking core")
struct FleetTrackerTests {
    static let start = Int64(1_717_228_800_000_000)  // 2024-06-01T08:00:00Z
    /// The depot, a fence 300 m across, 11 km from where the vehicle starts.
    static let depot = Coordinate(latitude: 55.80, longitude: 37.75)

    static func store() throws -> SQLiteTrackStore {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("orbita-fleet-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteTrackStore(path: folder.appendingPathComponent("fleet.sqlite").path)
        try store.save(Geofence(name: "Depot", shape: .circle(center: depot, radiusMeters: 300)))
        return store
    }

    static func fix(_ second: Int, at coordinate: Coordinate = Coordinate(latitude: 55.75, longitude: 37.60)) -> Fix {
        var fix = Fix()
        fix.time = .instant(UTCInstant(microsecondsSinceEpoch: start + Int64(second) * 1_000_000))
        fix.mode = .threeDimensional
        fix.quality = .autonomous
        fix.latitude = coordinate.latitude
        fix.longitude = coordinate.longitude
        fix.speedMetersPerSecond = 1
        fix.hdop = 0.9
        fix.satellitesUsed = 9
        return fix
    }

    static func tracker(_ store: SQLiteTrackStore) -> FleetTracker {
        FleetTracker(
            store: store, crs: "EPSG:32637",
            clock: FixedClock(UTCInstant(microsecondsSinceEpoch: start + 86_400_000_000)))
    }

    @Test func eachFixGetsADecisionAndEveryDropIsCountedOnce() throws {
        let store = try Self.store()
        let tracker = Self.tracker(store)
        var points: [TrackPoint] = []
        var events: [VehicleEvent] = []
        var decisions: [FleetTracker.Decision] = []
        for fix in [Self.fix(10), Self.fix(10), Self.fix(0), Fix()] {
            decisions.append(try tracker.track(fix, vehicleID: "B1", source: "test", points: &points, events: &events))
        }
        #expect(decisions == [.accepted(events: 0), .dropped(.duplicate), .late, .dropped(.noFix)])
        #expect(points.count == 2)

        let recorder = FleetRecorder(store: store, tracker: Self.tracker(try Self.store()))
        for fix in [Self.fix(10), Self.fix(10), Self.fix(0), Fix()] {
            try recorder.record(fix, vehicleID: "B1", source: "test")
        }
        try recorder.finish()
        let totals = recorder.totals
        #expect(totals.decoded == 4)
        #expect(totals.dropped == [.duplicate: 1, .noFix: 1], "each drop once")
        #expect(totals.stored == 2)
        #expect(totals.late == 1)
        #expect(recorder.vehicles["B1"] == totals)
    }

    /// A tracker that jumps 11 km into the depot and stays: live, the pipeline drops the first three fixes there as
    /// outliers and then restarts the track (an enter). The same fixes arriving late must raise the same enter — the
    /// replay's own outlier rule (before: no reset after repeated outliers) dropped every fix at the depot.
    @Test func lateDataIsReplayedThroughThePipelinesOwnOutlierRule() throws {
        let route = (0..<10).map { Self.fix($0 * 10) } + (10..<20).map { Self.fix($0 * 10, at: Self.depot) }
        func events(_ store: SQLiteTrackStore) throws -> [String] {
            try store.events(EventQuery()).map { "\($0.kind.rawValue) \($0.time.microsecondsSinceEpoch)" }.sorted()
        }

        let live = try Self.store()
        let inOrder = FleetRecorder(store: live, tracker: Self.tracker(live))
        for fix in route { try inOrder.record(fix, vehicleID: "B1", source: "test") }
        try inOrder.finish()
        #expect(inOrder.totals.dropped == [.outlier: 3])
        let expected = try events(live)
        #expect(expected == ["geofenceEnter \(Self.start + 130_000_000)"])

        let late = try Self.store()
        let newerFirst = FleetRecorder(store: late, tracker: Self.tracker(late))
        for fix in route[10...] { try newerFirst.record(fix, vehicleID: "B1", source: "test") }
        try newerFirst.finish()
        #expect(try events(late).isEmpty, "a vehicle's first fix sets its membership silently")
        let olderAfterwards = FleetRecorder(store: late, tracker: Self.tracker(late))
        for fix in route[..<10] { try olderAfterwards.record(fix, vehicleID: "B1", source: "test") }
        try olderAfterwards.finish()
        #expect(olderAfterwards.totals.late == 10)
        #expect(try events(late) == expected)
    }

    /// A vehicle drives into the depot; the fix of its first moment inside arrives after the others. Without it the
    /// enter is raised a fix later; once it is stored, the replay raises the enter at its time and retracts the later
    /// one — the events are those of the fixes in order — unless a dispatcher acknowledged the later one.
    @Test(arguments: [false, true])
    func aLateFixMovesAnEnterEarlierAndTheEnterRaisedWithoutItIsRetracted(acknowledged: Bool) throws {
        let approach = (0..<20).map { step in
            Self.fix(
                step * 10,
                at: Coordinate(
                    latitude: Self.depot.latitude - 0.0045 + Double(step) * 0.0003, longitude: Self.depot.longitude))
        }
        func enters(_ store: SQLiteTrackStore) throws -> [Int64] {
            try store.events(EventQuery()).filter { $0.kind == .geofenceEnter }.map(\.time.microsecondsSinceEpoch)
                .sorted()
        }
        let inOrder = try Self.store()
        let recorder = FleetRecorder(store: inOrder, tracker: Self.tracker(inOrder))
        for fix in approach { try recorder.record(fix, vehicleID: "B1", source: "test") }
        try recorder.finish()
        let expected = try enters(inOrder)
        try #require(expected.count == 1)
        let first = try #require(approach.firstIndex { $0.time?.instant?.microsecondsSinceEpoch == expected[0] })

        let store = try Self.store()
        let tracker = Self.tracker(store)
        let live = FleetRecorder(store: store, tracker: tracker)
        for (index, fix) in approach.enumerated() where index != first {
            try live.record(fix, vehicleID: "B1", source: "test")
        }
        try live.flush(wait: true)
        let without = try enters(store)
        #expect(without == [expected[0] + 10_000_000], "without the late fix the enter comes a fix later")
        if acknowledged {
            let raised = try #require(
                try store.storedEvents(EventQuery(limit: 10), order: .oldestFirst, afterID: nil).first)
            _ = try store.acknowledgeEvent(id: raised.id, at: UTCInstant(microsecondsSinceEpoch: Self.start))
        }
        try live.record(approach[first], vehicleID: "B1", source: "test")
        try live.finish()
        #expect(live.totals.late == 1)
        if acknowledged {
            #expect(try enters(store) == expected + without, "an acknowledged event stays")
            #expect(tracker.retracted == 0)
        } else {
            #expect(try enters(store) == expected)
            #expect(tracker.retracted == 1)
        }
    }
}
