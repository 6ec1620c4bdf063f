import Geodesy
import OrbitaModel
import Reports
import Testing

/// What every `ReportStore` must do: rows come back as stored (a trip's mileage, a parking's restart); a change
/// replaces a vehicle's rows from an instant on and leaves earlier ones; reads take rows overlapping the window;
/// mileage is summed per vehicle and quarter hour; and rows maintained as fixes are stored equal a derivation of the
/// stored track.
@Suite("ReportStore contract")
struct ReportStoreContractTests {
    static func trip(_ vehicle: String, _ start: Int64, _ end: Int64, meters: Double, open: Bool = false) -> Trip {
        var trip = Trip(
            vehicleID: vehicle,
            start: TrackMoment(time: at(start), coordinate: Coordinate(latitude: 55.7, longitude: 37.6)),
            end: TrackMoment(time: at(end), coordinate: Coordinate(latitude: 55.8, longitude: 37.7)), distanceMeters: 0,
            maxSpeedMetersPerSecond: 14.5, stoppedSeconds: 20, open: open)
        // Half at the start, half at the end: two quarter hours when the trip spans them.
        trip.credit(meters / 2, at: at(start + 1))
        trip.credit(meters / 2, at: at(end))
        return trip
    }

    static func halt(
        _ vehicle: String, _ kind: Halt.Kind, _ start: Int64, _ end: Int64, restartAfter: Int64? = nil,
        open: Bool = false
    ) -> Halt {
        Halt(
            vehicleID: vehicle, kind: kind, coordinate: Coordinate(latitude: 55.75, longitude: 37.61),
            start: at(start), end: at(end), open: open,
            restart: restartAfter.map { ReportRestart(after: at($0), state: "{\"state\":\($0)}") })
    }

    static let everything = (at(-1_000_000), at(1_000_000))

    @Test(arguments: StoreBackend.all)
    func rowsComeBackAsStoredAndAChangeReplacesFromItsInstantOn(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        _ = try store.insert([fix("bus-1", 0), fix("truck-2", 0)])
        let trips = [Self.trip("bus-1", 600, 1_800, meters: 9_000), Self.trip("bus-1", 3_600, 5_400, meters: 12_000)]
        let halts = [
            Self.halt("bus-1", .parking, 0, 599, restartAfter: 0), Self.halt("bus-1", .stop, 900, 940),
            Self.halt("bus-1", .parking, 1_800, 3_599, restartAfter: 2_100),
            Self.halt("bus-1", .parking, 5_400, 6_000, restartAfter: 5_700, open: true),
        ]
        try store.replaceReportRows([
            ReportRowsChange(vehicleID: "bus-1", from: nil, trips: trips, halts: halts),
            ReportRowsChange(
                vehicleID: "truck-2", from: nil, trips: [Self.trip("truck-2", 100, 700, meters: 4_000)], halts: []),
        ])
        #expect(try store.reportTrips(vehicleIDs: ["bus-1"], from: Self.everything.0, to: Self.everything.1) == trips)
        #expect(try store.reportHalts(vehicleIDs: ["bus-1"], from: Self.everything.0, to: Self.everything.1) == halts)
        #expect(try store.reportTrips(vehicleIDs: nil, from: Self.everything.0, to: Self.everything.1).count == 3)
        #expect(try store.reportTrips(vehicleIDs: ["nobody"], from: Self.everything.0, to: Self.everything.1).isEmpty)

        // Overlapping the window: the first trip ends inside it, the second starts after it.
        let window = try store.reportTrips(vehicleIDs: ["bus-1"], from: at(1_700), to: at(3_000))
        #expect(window == [trips[0]])
        #expect(
            try store.reportHalts(vehicleIDs: ["bus-1"], from: at(1_700), to: at(3_000)).map(\.start) == [at(1_800)])

        // The latest restart taken before an instant.
        #expect(try store.reportRestart(vehicleID: "bus-1", before: at(2_100))?.start == at(0))
        #expect(try store.reportRestart(vehicleID: "bus-1", before: at(2_101))?.start == at(1_800))
        #expect(try store.reportRestart(vehicleID: "bus-1", before: at(9_999))?.restart == halts[3].restart)
        #expect(try store.reportRestart(vehicleID: "bus-1", before: at(0)) == nil)
        #expect(try store.reportRestart(vehicleID: "nobody", before: at(9_999)) == nil)

        // Mileage per quarter hour, for the quarter hours that begin in [from, to).
        let mileage = try store.reportMileage(vehicleIDs: nil, from: Self.everything.0, to: Self.everything.1)
        let total = mileage.reduce(0) { $0 + $1.slice.meters }
        #expect(total == 25_000)
        #expect(Set(mileage.map(\.vehicleID)) == ["bus-1", "truck-2"])
        let expectedBus = trips.flatMap(\.mileage).reduce(into: [Int64: Double]()) {
            $0[$1.quarterHour, default: 0] += $1.meters
        }
        let bus = mileage.filter { $0.vehicleID == "bus-1" }
        #expect(bus.map(\.slice.quarterHour) == expectedBus.keys.sorted())
        #expect(bus.map(\.slice.meters) == expectedBus.keys.sorted().compactMap { expectedBus[$0] })

        // Replaced from 1,800 on: the second trip and the parkings from 1,800 go, the rest stays.
        let redone = [Self.trip("bus-1", 4_000, 5_000, meters: 7_000, open: true)]
        try store.replaceReportRows([
            ReportRowsChange(
                vehicleID: "bus-1", from: at(1_800), trips: redone,
                halts: [Self.halt("bus-1", .parking, 1_800, 3_999, restartAfter: 2_100)])
        ])
        #expect(
            try store.reportTrips(vehicleIDs: ["bus-1"], from: Self.everything.0, to: Self.everything.1)
                == [trips[0]] + redone)
        #expect(
            try store.reportHalts(vehicleIDs: ["bus-1"], from: Self.everything.0, to: Self.everything.1).map(\.end)
                == [at(599), at(940), at(3_999)])
        let after = try store.reportMileage(vehicleIDs: ["bus-1"], from: Self.everything.0, to: Self.everything.1)
        #expect(after.reduce(0) { $0 + $1.slice.meters } == 16_000, "the replaced trip's mileage went with it")
        // The truck was not touched.
        #expect(
            try store.reportTrips(vehicleIDs: ["truck-2"], from: Self.everything.0, to: Self.everything.1).count == 1)
    }

    /// Rows maintained batch by batch as fixes are stored — in order, then a late batch — equal a derivation of the
    /// whole stored track.
    @Test(arguments: StoreBackend.all)
    func maintainedRowsEqualADerivationOfTheStoredTrack(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        // Parked 10 min, driving 10 min at 10 m/s with a 60 s stop, parked 10 min, driving again: a fix every 5 s.
        var east = 0.0
        var all: [TrackPoint] = []
        for second in stride(from: Int64(0), to: 2_400, by: 5) {
            let moving = ((600..<1_200).contains(second) || second >= 1_800) && !(900..<960).contains(second)
            if moving { east += 50 }
            all.append(
                TrackPoint(
                    vehicleID: "bus-1", time: at(second),
                    coordinate: Coordinate(latitude: 55.75, longitude: 37.61 + east / 62_700),
                    speedMetersPerSecond: moving ? 10 : 0.1, mode: .threeDimensional, source: "contract"))
        }
        let late = all.filter { (700..<1_000).contains($0.time.seconds(since: at(0))) }
        var first = all.filter { !late.contains($0) }
        first.removeAll { $0.time > at(1_500) }
        let rest = all.filter { $0.time > at(1_500) }
        let maintainer = ReportMaintainer(store: store)
        for batch in [
            first, rest,
            late.map { point -> TrackPoint in
                var point = point
                point.flags.insert(.late)
                return point
            },
        ] {
            _ = try store.insert(batch)
            try maintainer.committed(batch, frameCRS: "EPSG:32637")
        }
        try maintainer.flush()
        var deriver = ReportDeriver(vehicleID: "bus-1", frame: try LocalFrame(crs: "EPSG:32637"))
        for stored in try store.track(vehicleID: "bus-1", from: nil, to: nil) { deriver.add(stored) }
        let expected = deriver.rows()
        #expect(expected.trips.count == 2 && expected.halts.map(\.kind) == [.parking, .stop, .parking])
        #expect(
            try store.reportTrips(vehicleIDs: nil, from: Self.everything.0, to: Self.everything.1) == expected.trips)
        #expect(
            try store.reportHalts(vehicleIDs: nil, from: Self.everything.0, to: Self.everything.1) == expected.halts)
        #expect(maintainer.rederivations >= 2, "the first sight of the vehicle and the late batch")
    }
}
