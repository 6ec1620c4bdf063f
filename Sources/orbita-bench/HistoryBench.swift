import ArgumentParser
import Glibc
import OrbitaModel
import StoreFactory
import TerminalOutput

/// `orbita bench history`: does storage slow down as a fleet's history grows? Fleet-interleaved fixes (every vehicle
/// once per `--interval` seconds of fix time, the vehicles in turn, as a live server commits them) go into one
/// database in batches; the rate is reported for every `--chunk` rows. Then a vehicle's one-day track is read for
/// `--queries` random vehicles and days, and — with `--compare ROWS` — ROWS more fixes go into that database and
/// ROWS into an empty one, in turn, so that the two rates come from the same run.
struct HistoryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Insert rate per chunk as the history grows, one-day track reads, and full versus empty database.")

    @Option(help: "A SQLite file or a postgres:// URL (grown further when it holds fixes; --fresh deletes a file).")
    var db = "/tmp/orbita-bench/history.sqlite"
    @Flag(help: "Delete the database first.") var fresh = false
    @Option(help: "Rows to add.") var rows = 10_000_000
    @Option(help: "Rows per reported chunk.") var chunk = 1_000_000
    @Option(help: "Vehicles (interleaved).") var vehicles = 10_000
    @Option(help: "Seconds of fix time between a vehicle's fixes.") var interval = 10
    @Option(help: "Rows per transaction (a live server commits every second).") var batch = 10_000
    @Option(help: "SQLite page cache, MiB (orbita serve's default: 512).") var cacheMb = 512
    @Option(help: "One-day track reads after the load (median reported).") var queries = 100
    @Option(help: "Then insert this many rows into this database and as many into an empty one, in turn.")
    var compare = 0
    @Option(help: "The empty database for --compare (default: the file's name + .empty; give one for PostgreSQL).")
    var emptyDatabase: String?

    /// The first fix time: 2026-01-01T00:00:00Z.
    static let origin: Int64 = 1_767_225_600_000_000

    func run() throws {
        if fresh { Self.remove(db) }
        let store = try Self.open(db, cacheMb)
        let names = (0..<vehicles).map { "BENCH\(100_000 + $0)" }
        let existing = try store.summaries().reduce(0) { $0 + $1.fixCount }
        print("bench=history db=\(db) existing_rows=\(existing) vehicles=\(vehicles) interval_s=\(interval)")
        var next = existing
        var done = 0
        while done < rows {
            let count = min(chunk, rows - done)
            let seconds = try insert(count, from: next, names: names, into: store)
            next += count
            done += count
            print(
                "chunk rows_before=\(next - count) rows=\(count) seconds=\(TextFormat.fixed(seconds, decimals: 2))"
                    + " rows_per_s=\(Int(Double(count) / seconds))")
            fflush(nil)
        }
        if queries > 0 { try readDays(store, names: names, total: next) }
        if compare > 0 {
            let emptyPath = emptyDatabase ?? db + ".empty"
            Self.remove(emptyPath)
            let empty = try Self.open(emptyPath, cacheMb)
            var full = (rows: 0, seconds: 0.0)
            var fresh = (rows: 0, seconds: 0.0)
            var emptyNext = 0
            // In turns of `chunk` rows, the empty database first in every other turn, so that neither side always
            // follows the other's writes.
            var turn = 0
            while full.rows < compare {
                let count = min(chunk, compare - full.rows)
                let intoFull = { () throws -> Double in try insert(count, from: next, names: names, into: store) }
                let intoEmpty = { () throws -> Double in
                    try insert(count, from: emptyNext, names: names, into: empty)
                }
                let (a, b) = turn % 2 == 0 ? (try intoFull(), try intoEmpty()) : (try intoEmpty(), try intoFull())
                let (fullSeconds, emptySeconds) = turn % 2 == 0 ? (a, b) : (b, a)
                full.seconds += fullSeconds
                fresh.seconds += emptySeconds
                print(
                    "compare_turn rows=\(count) full_rows_per_s=\(Int(Double(count) / fullSeconds))"
                        + " empty_rows_per_s=\(Int(Double(count) / emptySeconds))")
                fflush(nil)
                next += count
                emptyNext += count
                full.rows += count
                fresh.rows += count
                turn += 1
            }
            let fullRate = Double(full.rows) / full.seconds
            let emptyRate = Double(fresh.rows) / fresh.seconds
            print(
                "compare rows=\(compare) full_db_rows_before=\(next - compare) full_rows_per_s=\(Int(fullRate))"
                    + " empty_rows_per_s=\(Int(emptyRate)) ratio=\(TextFormat.fixed(fullRate / emptyRate, decimals: 3))"
            )
            Self.remove(emptyPath)
        }
    }

    /// Inserts `count` rows numbered from `first` (row n: vehicle n mod vehicles, at origin + ⌊n / vehicles⌋ ·
    /// interval plus the vehicle's offset within the interval); returns the seconds spent in `insert`.
    private func insert(_ count: Int, from first: Int, names: [String], into store: any OrbitaStore) throws -> Double {
        let clock = ContinuousClock()
        var spent = Duration.zero
        var points: [TrackPoint] = []
        points.reserveCapacity(batch)
        var row = first
        while row < first + count {
            points.removeAll(keepingCapacity: true)
            let end = min(row + batch, first + count)
            while row < end {
                let vehicle = row % vehicles
                let round = Int64(row / vehicles)
                let offset = Int64(vehicle) * Int64(interval) * 1_000_000 / Int64(vehicles)
                let time = Self.origin + round * Int64(interval) * 1_000_000 + offset
                let phase = Double(round % 3600) * 0.001
                points.append(
                    TrackPoint(
                        vehicleID: names[vehicle], time: UTCInstant(microsecondsSinceEpoch: time),
                        coordinate: Coordinate(
                            latitude: 55.5 + Double(vehicle % 100) * 0.005 + phase * 0.01,
                            longitude: 37.3 + Double(vehicle / 100) * 0.005 + phase * 0.01),
                        altitudeMSL: 150, speedMetersPerSecond: 8.5, courseDegrees: 45, mode: .threeDimensional,
                        hdop: 0.9, satellitesUsed: 12, source: "bench", segmentMeters: 85))
                row += 1
            }
            let started = clock.now
            _ = try store.insert(points)
            spent += clock.now - started
        }
        return spent.secondsValue
    }

    /// One-day tracks of random vehicles on random days of the loaded span: the median and the worst read.
    private func readDays(_ store: any OrbitaStore, names: [String], total: Int) throws {
        let span = Int64(total / vehicles) * Int64(interval) * 1_000_000
        let days = max(1, Int(span / 86_400_000_000))
        var random = SeededGenerator(seed: 7)
        var timings: [Double] = []
        var fixes = 0
        let clock = ContinuousClock()
        for _ in 0..<queries {
            let vehicle = names[Int.random(in: 0..<names.count, using: &random)]
            let day = Int64(Int.random(in: 0..<days, using: &random))
            let from = UTCInstant(microsecondsSinceEpoch: Self.origin + day * 86_400_000_000)
            let to = UTCInstant(microsecondsSinceEpoch: from.microsecondsSinceEpoch + 86_400_000_000 - 1)
            let started = clock.now
            fixes += try store.track(vehicleID: vehicle, from: from, to: to).count
            timings.append((clock.now - started).secondsValue * 1000)
        }
        timings.sort()
        print(
            "track_day queries=\(queries) days=\(days) fixes_per_track=\(fixes / max(1, queries))"
                + " median_ms=\(TextFormat.fixed(timings[timings.count / 2], decimals: 2))"
                + " p90_ms=\(TextFormat.fixed(timings[timings.count * 9 / 10], decimals: 2))"
                + " max_ms=\(TextFormat.fixed(timings[timings.count - 1], decimals: 2))")
    }

    static func open(_ db: String, _ cacheMegabytes: Int) throws -> any OrbitaStore {
        try StoreFactory.open(try DatabaseLocation(parsing: db), options: .init(cacheMegabytes: cacheMegabytes))
    }

    static func remove(_ db: String) { Scratch.remove(db) }
}
