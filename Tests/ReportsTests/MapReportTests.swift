import ConsoleMap
import DispatcherMap
import Foundation
import OrbitaModel
import OrbitaWire
import Reports
import Storage
import Testing

/// The terminal map's report panel on a database: the selected vehicle's day — the calendar day of its last fix in
/// the map's time zone — as trips (Enter replays each from its start to its end) and stops (Enter jumps there), in
/// time order.
@Suite("reports: the terminal map's report panel")
struct MapReportTests {
    @Test func theDayOfTheLastFixComesAsTripsAndStopsInTimeOrder() throws {
        var day = TripDetectorTests.Drive(seed: 3)
        day.halt(600, drift: 3)
        day.drive(300)
        day.halt(40, drift: 2)
        day.drive(300)
        day.halt(400, drift: 3)
        let store = try SQLiteTrackStore()
        _ = try store.insert(day.points)
        _ = try ReportRebuild.run(store: store, crs: "EPSG:32637")
        let feed = DatabaseFeed(store: store, writable: false)
        let report = try feed.report("B1", timeZone: .gmt)
        #expect(report.trips.count == 1 && report.stops.count == 3, "\(report.trips) \(report.stops)")
        #expect(report.to == day.points.last?.time)

        let builder = MapSceneBuilder(basemap: .none)
        _ = try builder.build(try feed.data())
        let rows = builder.reportRows(report, timeZone: .gmt)
        #expect(rows.map(\.text).first?.hasPrefix("08:00 parking 10 min") == true, "\(rows.map(\.text))")
        #expect(rows.count == 4)
        guard case .trip(let from, let to) = rows[1].kind else {
            Issue.record("the second row is the trip: \(rows)")
            return
        }
        #expect(from == report.trips[0].start && to == report.trips[0].end)
        let replay = try builder.replay(of: "B1", from: from, to: to, feed: feed)
        #expect(replay?.fixes.first?.time == from && replay?.fixes.last?.time == to)
        #expect(
            rows.allSatisfy { row in
                if case .halt(let point) = row.kind { return point != nil }
                return true
            })
    }
}
