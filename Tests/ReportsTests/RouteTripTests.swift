import FleetTracking
import Foundation
import GeoJSON
import OrbitaModel
import OrbitaTesting
import Reports
import Storage
import Testing
import Tracking

/// Route trips on real buses (WMATA, Washington DC: GTFS-realtime positions of buses, each bus trip assigned its
/// shape): every bus trip's driving judged against its route, and the share on the route agreeing with the events
/// the engine raised — no deviation, 100 %.
@Suite(
    "reports: route trips on real buses",
    .enabled(if: Corpus.isPresent, "../shared/corpus is absent: no real buses to judge"))
struct RouteTripTests {
    struct Position {
        var vehicle: String
        var shape: String
        var trip: String
        var point: TrackPoint
    }

    static func positions() throws -> (shapes: [String: [Coordinate]], positions: [Position]) {
        let folder = Corpus.url("routes/wmata-dc").path
        let shapes = try GTFS.shapes(inFeed: folder)
        var shapeOfTrip: [String: String] = [:]
        for row in try GTFS.table(at: folder + "/trips.txt") {
            if let trip = row["trip_id"], let shape = row["shape_id"] { shapeOfTrip[trip] = shape }
        }
        var positions: [Position] = []
        var seen = Set<String>()
        for row in try GTFS.table(at: folder + "/vehicle_positions_gtfsrt_2026-02-16.csv") {
            guard let vehicle = row["vehicle.vehicle.id"], let trip = row["vehicle.trip.trip_id"],
                let shape = shapeOfTrip[trip], let lat = row["vehicle.position.latitude"].flatMap(Double.init),
                let lon = row["vehicle.position.longitude"].flatMap(Double.init),
                let seconds = row["vehicle.timestamp"].flatMap(Int64.init),
                seen.insert("\(vehicle)/\(seconds)").inserted  // the feed repeats a position it has not renewed
            else { continue }
            positions.append(
                Position(
                    vehicle: vehicle, shape: shape, trip: trip,
                    point: TrackPoint(
                        vehicleID: vehicle, time: UTCInstant(microsecondsSinceEpoch: seconds * 1_000_000),
                        coordinate: Coordinate(latitude: lat, longitude: lon),
                        speedMetersPerSecond: row["vehicle.position.speed"].flatMap(Double.init) ?? 0)))
        }
        positions.sort { ($0.point.time, $0.vehicle) < ($1.point.time, $1.vehicle) }
        // Detours: in every fourth bus trip of 30 positions or more, six positions in the middle moved 450 m north
        // (off a route that does not run north there; the engine decides).
        let trips = Dictionary(grouping: positions.indices, by: { "\(positions[$0].vehicle)/\(positions[$0].trip)" })
        for (number, key) in trips.keys.sorted().enumerated() where number % 4 == 0 {
            guard let indices = trips[key], indices.count >= 30 else { continue }
            for index in indices[(indices.count / 2)..<(indices.count / 2 + 6)] {
                positions[index].point.coordinate.latitude += 0.004
            }
        }
        return (shapes, positions)
    }

    @Test func everyBusTripIsJudgedAndItsShareAgreesWithItsEvents() throws {
        let (shapes, positions) = try Self.positions()
        let store = try SQLiteTrackStore()
        let byTrip = Dictionary(grouping: positions, by: { "\($0.vehicle)/\($0.trip)" })
        for shape in Set(positions.map(\.shape)).sorted() {
            guard let line = shapes[shape] else { continue }
            try store.save(Route(name: shape, line: line))
        }
        for (_, trip) in byTrip.sorted(by: { $0.key < $1.key }) {
            guard let first = trip.first, let last = trip.last, trip.count >= 2 else { continue }
            try store.assign(
                RouteAssignment(
                    vehicleID: first.vehicle, route: first.shape, from: first.point.time, to: last.point.time))
        }
        let end = positions.last?.point.time ?? .now
        let recorder = FleetRecorder(
            store: store,
            tracker: FleetTracker(store: store, clock: FixedClock(end.adding(seconds: 60))))
        for position in positions {
            try recorder.record(MileageTests.fix(position.point), vehicleID: position.vehicle, source: "wmata")
        }
        try recorder.finish()

        let service = ReportService(store: store)
        let window = ReportWindow(
            from: positions[0].point.time.adding(seconds: -3_600), to: end.adding(seconds: 3_600), timeZone: .gmt)
        let judged = try service.routeTrips(vehicles: [], window: window)
        let deviationEvents = try store.storedEvents(
            EventQuery(kinds: [.routeDeviation]), order: .oldestFirst, afterID: nil)
        let busTrips = byTrip.values.filter { $0.count >= 2 }.count
        #expect(judged.count >= busTrips / 2, "\(judged.count) judged trips for \(busTrips) bus trips")
        for trip in judged {
            #expect(trip.distanceMeters > 0, "\(trip.vehicleID) \(trip.start): a judged trip drove")
            if trip.deviations == 0 {
                #expect(trip.onRouteShare == 1 && trip.offRouteMeters == 0, "no deviation, all on route: \(trip)")
            } else {
                #expect(trip.maxOffsetMeters > 0)
                #expect(trip.offRouteMeters > 0 && trip.onRouteShare < 1, "a deviation drove off the route: \(trip)")
                #expect(abs(trip.onRouteShare - (1 - trip.offRouteMeters / trip.distanceMeters)) < 1e-9)
            }
        }
        #expect(judged.filter { $0.deviations > 0 }.count >= 5, "the injected detours are judged")
        // Every deviation raised during a judged trip is counted in one.
        let inTrips = deviationEvents.filter { stored in
            judged.contains {
                $0.vehicleID == stored.event.vehicleID && $0.route == stored.event.route
                    && stored.event.time >= $0.start && stored.event.time <= $0.end
            }
        }
        #expect(judged.reduce(0) { $0 + $1.deviations } == inTrips.count)
        let onRoute = judged.filter { $0.deviations == 0 }.count
        let share =
            judged.reduce(0) { $0 + $1.distanceMeters * $1.onRouteShare }
            / max(1, judged.reduce(0) { $0 + $1.distanceMeters })
        print(
            "wmata route trips: \(judged.count) judged for \(busTrips) bus trips; \(onRoute) without a deviation "
                + "(100 % on route); \(inTrips.count) of \(deviationEvents.count) deviations inside judged trips; "
                + "fleet distance on route \(String(format: "%.2f", share * 100)) %")
    }
}
