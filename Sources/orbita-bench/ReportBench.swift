import ArgumentParser
import Foundation
import Geodesy
import OrbitaModel
import Reports
import StoreFactory
import TerminalOutput

/// `orbita bench reports`: a month of a fleet's fixes stored, the report rows derived from them all (fixes/s), then
/// the summary of the month read from the rows (seconds) — the figures of issue 18.
struct ReportBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports",
        abstract: "Store a month of a fleet, derive its report rows (fixes/s) and time the month's summary.")

    @Option(help: "Vehicles.") var vehicles = 1_000
    @Option(help: "Days.") var days = 30
    @Option(help: "Seconds between fixes while a tracker is on.") var interval = 10
    @Option(help: "Minutes a tracker is on a day (driving and at stops; off while parked).") var minutesOn = 144
    @Option(
        help:
            "The database: a SQLite file or a postgres:// URL. Made when it holds no fixes yet; kept for the next run.")
    var db = "/tmp/orbita-bench/reports-bench.sqlite"
    @Option(help: "Summary runs; the median is reported.") var runs = 5
    @Flag(help: "Skip the full re-derivation (only time the summary).") var summaryOnly = false

    func run() throws {
        let store = try StoreFactory.open(try DatabaseLocation(parsing: db))
        let clock = ContinuousClock()
        var stats = try store.historyStats()
        if stats.fixes == 0 {
            let started = clock.now
            let written = try Self.fill(store, vehicles: vehicles, days: days, interval: interval, minutesOn: minutesOn)
            let seconds = (clock.now - started).secondsValue
            print(
                "bench=reports-fill fixes=\(written) seconds=\(TextFormat.fixed(seconds, decimals: 1)) "
                    + "fixes_per_s=\(Int(Double(written) / seconds))")
            stats = try store.historyStats()
        }
        if !summaryOnly {
            let started = clock.now
            // A connection per core: vehicles are derived in parallel.
            let more = try (1..<max(1, ProcessInfo.processInfo.activeProcessorCount)).map { _ in
                try StoreFactory.open(try DatabaseLocation(parsing: db))
            }
            let result = try ReportRebuild.run(store: store, more: more, crs: "EPSG:32637")
            let seconds = (clock.now - started).secondsValue
            print(
                "bench=reports-rebuild threads=\(1 + more.count) vehicles=\(result.vehicles) fixes=\(result.fixes) trips=\(result.trips) "
                    + "halts=\(result.halts) seconds=\(TextFormat.fixed(seconds, decimals: 2)) "
                    + "fixes_per_s=\(Int(Double(result.fixes) / seconds))")
        }
        guard let first = stats.oldestFix, let last = stats.newestFix else { return }
        let service = ReportService(store: store)
        let window = ReportWindow(from: first, to: last, timeZone: .gmt)
        var timings: [Double] = []
        var rows = 0
        var distance = 0.0
        for _ in 0..<max(1, runs) {
            let started = clock.now
            let summary = try service.summary(vehicles: [], window: window)
            timings.append((clock.now - started).secondsValue)
            rows = summary.vehicles.count
            distance = summary.fleet.totals.distanceMeters
        }
        let median = timings.sorted()[timings.count / 2]
        print(
            "bench=reports-summary fixes=\(stats.fixes) days=\(TextFormat.fixed(last.seconds(since: first) / 86_400, decimals: 1)) "
                + "vehicles=\(rows) fleet_km=\(Int(distance / 1000)) seconds=\(TextFormat.fixed(median, decimals: 3))")
    }

    /// Stores the fleet's month: each day each vehicle makes trips (10–15 m/s, a stop of 30–120 s every few
    /// minutes) with its tracker on, and parks with it off between them (gaps: parkings), in batches of 50,000.
    static func fill(_ store: any OrbitaStore, vehicles: Int, days: Int, interval: Int, minutesOn: Int) throws -> Int {
        var random = SeededGenerator(seed: 18)
        let start: Int64 = 1_717_200_000_000_000  // 2024-06-01T00:00:00Z
        let step = Int64(interval) * 1_000_000
        let tripsADay = 6
        let fixesATrip = max(1, minutesOn * 60 / interval / tripsADay)
        var batch: [TrackPoint] = []
        batch.reserveCapacity(50_000)
        var written = 0
        for day in 0..<days {
            for vehicle in 0..<vehicles {
                let id = "V\(100_000 + vehicle)"
                var east = Double(vehicle % 40) * 500
                var north = Double(vehicle / 40) * 500
                var time =
                    start + Int64(day) * 86_400_000_000 + 6 * 3_600_000_000
                    + Int64.random(in: 0..<3_600, using: &random) * 1_000_000
                for _ in 0..<tripsADay {
                    var stopLeft = 0
                    var untilStop = Int.random(in: 12...40, using: &random)
                    let heading = Double.random(in: 0..<(2 * .pi), using: &random)
                    for _ in 0..<fixesATrip {
                        var speed = Double.random(in: 10...15, using: &random)
                        if stopLeft > 0 {
                            stopLeft -= 1
                            speed = Double.random(in: 0...0.3, using: &random)
                        } else if untilStop == 0 {
                            stopLeft = Int.random(in: 3...12, using: &random)
                            untilStop = Int.random(in: 12...40, using: &random)
                        } else {
                            untilStop -= 1
                            east += cos(heading) * speed * Double(interval)
                            north += sin(heading) * speed * Double(interval)
                        }
                        batch.append(
                            TrackPoint(
                                vehicleID: id, time: UTCInstant(microsecondsSinceEpoch: time),
                                coordinate: Coordinate(
                                    latitude: 55.75 + north / 111_320,
                                    longitude: 37.6 + east / (111_320 * cos(55.75 * .pi / 180))),
                                speedMetersPerSecond: speed, courseDegrees: 90, mode: .threeDimensional, hdop: 0.9,
                                satellitesUsed: 10, source: "bench"))
                        time += step
                        if batch.count == 50_000 {
                            written += try store.insert(batch).inserted
                            batch.removeAll(keepingCapacity: true)
                        }
                    }
                    // Parked, the tracker off, 20–90 minutes.
                    time += Int64.random(in: 1_200...5_400, using: &random) * 1_000_000
                }
            }
        }
        written += try store.insert(batch).inserted
        return written
    }
}
