import ArgumentParser
import FleetSimulation
import FleetTracking
import Geodesy
import Glibc
import NMEA
import OrbitaModel
import PostgresStorage
import Reports
import Storage
import StoreFactory
import TerminalOutput
import TrackImport
import Tracking

/// `orbita-bench` (also run as `orbita bench`): throughput measurements, never part of the test suite and not in
/// the server's binary.
struct OrbitaBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orbita-bench",
        abstract: "Measure Orbita's throughput (`orbita bench …` runs this).",
        subcommands: [
            GenerateLog.self, DecodeBench.self, PipelineBench.self, ImportBench.self, StoreBench.self,
            GeofenceBench.self, RouteBench.self, ZonesBench.self, FleetBench.self, MapBench.self, HistoryBench.self,
            ReportBench.self,
        ]
    )

    /// `orbita bench generate`: writes the deterministic fleet log the benchmarks use.
    struct GenerateLog: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate", abstract: "Write a deterministic multi-constellation fleet NMEA log to stdout.")

        @Option(help: "Lines to write.") var lines = 2_000_000
        @Option(help: "Vehicles in the fleet.") var vehicles = 1000
        @Option(help: "Random seed.") var seed: UInt64 = 1

        func run() {
            var generator = FleetLogGenerator(vehicles: max(1, vehicles), seed: seed)
            var output = OutputBuffer()
            generator.generate(lines: lines) { output.write($0) }
            output.flush()
        }
    }

    /// `orbita bench decode`: full decode of a file held in memory, to `Fix` values.
    struct DecodeBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "decode", abstract: "Decode a file held in memory and report sentences/s and MB/s.")

        @Argument(help: "An NMEA log (see `orbita bench generate`).") var file: String
        @Option(help: "Runs; the median is reported.") var runs = 5

        func run() throws {
            let bytes: [UInt8]
            do {
                bytes = try FileInput.readAll(file)
            } catch {
                printError("orbita bench decode: \(error.description)")
                throw ExitCode(1)
            }
            var timings: [Double] = []
            var statistics = DecodeStatistics()
            var checksum = 0.0
            for _ in 0..<max(1, runs) {
                let decoder = NMEADecoder()
                let clock = ContinuousClock()
                let started = clock.now
                bytes.withUnsafeBytes { raw in
                    decoder.decode(raw) { fix in checksum += fix.latitude ?? 0 }
                    decoder.finish { fix in checksum += fix.latitude ?? 0 }
                }
                let elapsed = clock.now - started
                timings.append(elapsed.secondsValue)
                statistics = decoder.statistics
            }
            let median = timings.sorted()[timings.count / 2]
            let megabytes = Double(bytes.count) / 1e6
            print(
                "bench=decode lines=\(statistics.lines) sentences=\(statistics.sentences) fixes=\(statistics.fixes) "
                    + "seconds=\(TextFormat.fixed(median, decimals: 4)) "
                    + "lines_per_s=\(Int(Double(statistics.lines) / median)) "
                    + "sentences_per_s=\(Int(Double(statistics.sentences) / median)) "
                    + "MB_per_s=\(TextFormat.fixed(megabytes / median, decimals: 1)) "
                    + "rejects=\(statistics.rejects.values.reduce(0, +)) checksum=\(Int(checksum) % 1000)")
        }
    }

    /// `orbita bench pipeline`: the position pipeline alone (projection on), on fixes decoded beforehand.
    struct PipelineBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pipeline", abstract: "Run decoded fixes through the position pipeline and report fixes/s.")

        @Argument(help: "An NMEA log (see `orbita bench generate`).") var file: String
        @Option(help: "Runs; the median is reported.") var runs = 5
        @Flag(
            help: """
                Also time the pipeline with report maintenance after each batch of 10,000 (derivation in memory, \
                rows written to an in-memory SQLite database; at the end every vehicle's rows still going on), in \
                the same run, and print the added cost.
                """)
        var reports = false

        func run() throws {
            let decoder = NMEADecoder()
            var fixes: [Fix] = []
            do {
                try FileInput.forEachChunk(of: file) { chunk in decoder.decode(chunk) { fixes.append($0) } }
            } catch {
                printError("orbita bench pipeline: \(error.description)")
                throw ExitCode(1)
            }
            decoder.finish { fixes.append($0) }
            guard let first = fixes.first(where: \.hasPosition), let lat = first.latitude, let lon = first.longitude
            else {
                printError("orbita bench pipeline: \(file) has no positions")
                throw ExitCode(1)
            }
            var timings: [Double] = []
            var reportTimings: [Double] = []
            var flushTimings: [Double] = []
            var accepted = 0
            let vehicleIDs = Set(fixes.map { $0.device ?? "anonymous" })
            for _ in 0..<max(1, runs) {
                for maintaining in reports ? [false, true] : [false] {
                    let frame = try LocalFrame.utm(around: Coordinate(latitude: lat, longitude: lon))
                    let pipeline = try PositionPipeline(frame: frame)
                    var maintainer: ReportMaintainer?
                    if maintaining {
                        let store = try SQLiteTrackStore()
                        for id in vehicleIDs { try store.save(Vehicle(id: id)) }
                        maintainer = ReportMaintainer(store: store)
                    }
                    var points: [TrackPoint] = []
                    var hints: [PipelineHint] = []
                    points.reserveCapacity(10_000)
                    accepted = 0
                    let clock = ContinuousClock()
                    var started = clock.now
                    // The first tenth warms up (every vehicle met once: a report derivation starts cold, from the
                    // store), untimed in both modes: the steady state a running server is in is what is measured.
                    let warmUp = fixes.count / 10
                    for (index, fix) in fixes.enumerated() {
                        if index == warmUp {
                            accepted += points.count
                            try maintainer?.committed(points, hints: hints, frameCRS: frame.crs)
                            points.removeAll(keepingCapacity: true)
                            hints.removeAll(keepingCapacity: true)
                            started = clock.now
                        }
                        let before = points.count
                        let decision = pipeline.process(
                            fix, vehicleID: fix.device ?? "anonymous", source: "bench", appendingTo: &points)
                        if maintaining && points.count > before {
                            // As the recorder does: the pipeline's vehicle slot, and its planar point of a fix it
                            // accepted in order.
                            hints.append(PipelineHint(pipeline, accepted: decision == .accepted))
                        }
                        if points.count >= 10_000 {  // what import does with a batch: hand it over and start again
                            accepted += points.count
                            try maintainer?.committed(points, hints: hints, frameCRS: frame.crs)
                            points.removeAll(keepingCapacity: true)
                            hints.removeAll(keepingCapacity: true)
                        }
                    }
                    accepted += points.count
                    try maintainer?.committed(points, hints: hints, frameCRS: frame.crs)
                    let flushStarted = clock.now
                    try maintainer?.flush()
                    if maintaining {
                        flushTimings.append((clock.now - flushStarted).secondsValue)
                        reportTimings.append((clock.now - started).secondsValue)
                    } else {
                        timings.append((clock.now - started).secondsValue)
                    }
                }
            }
            if reports {
                let plain = timings.sorted()[timings.count / 2]
                let maintained = reportTimings.sorted()[reportTimings.count / 2]
                let flushed = flushTimings.sorted()[flushTimings.count / 2]
                let timed = fixes.count - fixes.count / 10
                print(
                    "bench=pipeline+reports fixes=\(timed) seconds=\(TextFormat.fixed(maintained, decimals: 4)) "
                        + "fixes_per_s=\(Int(Double(timed) / maintained)) "
                        + "pipeline_alone_s=\(TextFormat.fixed(plain, decimals: 4)) "
                        + "added=\(TextFormat.fixed((maintained / plain - 1) * 100, decimals: 1))% "
                        + "of_which_final_flush_s=\(TextFormat.fixed(flushed, decimals: 4))")
            }
            let median = timings.sorted()[timings.count / 2]
            let frame = try LocalFrame.utm(around: Coordinate(latitude: lat, longitude: lon))
            let clock = ContinuousClock()
            let started = clock.now
            var sum = 0.0
            for fix in fixes where fix.hasPosition {
                if let point = try? frame.project(
                    Coordinate(latitude: fix.latitude ?? 0, longitude: fix.longitude ?? 0))
                {
                    sum += point.x
                }
            }
            let projectionSeconds = (clock.now - started).secondsValue
            print(
                "bench=projection points=\(fixes.count) points_per_s=\(Int(Double(fixes.count) / projectionSeconds)) sum=\(Int(sum) % 10)"
            )
            let timed = fixes.count - fixes.count / 10
            print(
                "bench=pipeline fixes=\(timed) (after \(fixes.count / 10) untimed) accepted=\(accepted) "
                    + "seconds=\(TextFormat.fixed(median, decimals: 4)) fixes_per_s=\(Int(Double(timed) / median))")
        }

    }

    /// `orbita bench import`: end to end, from the file to committed rows in a new SQLite database.
    struct ImportBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Import a file into a new database and report committed fixes/s.")

        @Argument(help: "An NMEA log (see `orbita bench generate`).") var file: String
        @Option(help: "The scratch database: a SQLite file (deleted first) or a postgres:// URL of an empty database.")
        var db = "/tmp/orbita-bench/import-bench.sqlite"
        @Flag(help: "Keep no report rows (to measure what maintaining them costs).") var noReports = false

        func run() throws {
            let store = try Scratch.open(db)
            let importer = TrackImporter(store: store, reports: noReports ? nil : TripSettings())
            let clock = ContinuousClock()
            let cpuBefore = Self.cpuSeconds()
            let started = clock.now
            try importer.importFile(file)
            try importer.finish()
            let seconds = (clock.now - started).secondsValue
            let cpu = Self.cpuSeconds() - cpuBefore
            let stored = importer.vehicles.values.reduce(0) { $0 + $1.stored }
            print(
                "bench=import\(noReports ? "" : "+reports") fixes_stored=\(stored) "
                    + "seconds=\(TextFormat.fixed(seconds, decimals: 3)) fixes_per_s=\(Int(Double(stored) / seconds)) "
                    + "cpu_s=\(TextFormat.fixed(cpu, decimals: 3)) cpu_us_per_fix=\(TextFormat.fixed(cpu / Double(max(stored, 1)) * 1e6, decimals: 2))"
            )
            Scratch.remove(db)
        }

        /// User and system CPU time of the process (all threads), seconds.
        static func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
    }

    /// `orbita bench store`: batches of fixes into a new database, storage alone (the rows `sqlite-limit` writes).
    struct StoreBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "store", abstract: "Insert fixes in batches of 10,000 into a new database; report rows/s.")

        @Option(help: "Rows.") var rows = 2_000_000
        @Option(help: "Vehicles the rows are spread over (interleaved, as a fleet sends them).") var vehicles = 1000
        @Option(help: "The scratch database: a SQLite file (deleted first) or a postgres:// URL of an empty database.")
        var db = "/tmp/orbita-bench/store-bench.sqlite"
        @Option(help: "Rows per transaction.") var batch = 10_000
        @Option(help: "PostgreSQL only: how fixes are written, copy (the default) or arrays (unnest, ON CONFLICT).")
        var pgWrite: String?

        func run() throws {
            let store = try Scratch.open(db)
            if let pgWrite {
                guard let method = FixWriteMethod(rawValue: pgWrite), let postgres = store as? PostgresTrackStore else {
                    throw ValidationError("--pg-write copy|arrays, with a postgres:// --db")
                }
                postgres.fixWriteMethod = method
            }
            let base: Int64 = 1_717_920_000_000_000
            let names = (0..<vehicles).map { "35\(100_000_000_000 + $0)" }
            var points: [TrackPoint] = []
            points.reserveCapacity(rows)
            for row in 0..<rows {
                let vehicle = row % vehicles
                points.append(
                    TrackPoint(
                        vehicleID: names[vehicle],
                        time: UTCInstant(microsecondsSinceEpoch: base + Int64(row / vehicles) * 1_000_000),
                        coordinate: Coordinate(latitude: 55.75 + Double(vehicle) * 1e-4, longitude: 37.6),
                        altitudeMSL: 150, speedMetersPerSecond: 10, courseDegrees: 90, mode: .threeDimensional,
                        hdop: 0.9, satellitesUsed: 12, source: "bench", segmentMeters: 10))
            }
            let clock = ContinuousClock()
            let started = clock.now
            var offset = 0
            while offset < rows {
                _ = try store.insert(Array(points[offset..<min(offset + batch, rows)]))
                offset += batch
            }
            let seconds = (clock.now - started).secondsValue
            print(
                "bench=store rows=\(rows) seconds=\(TextFormat.fixed(seconds, decimals: 3)) rows_per_s=\(Int(Double(rows) / seconds))"
            )
            Scratch.remove(db)
        }
    }
}

/// A benchmark's scratch database: a SQLite file (deleted before and after) or a PostgreSQL database (left as it is,
/// for the caller to drop).
enum Scratch {
    static func open(_ db: String) throws -> any OrbitaStore {
        remove(db)
        return try StoreFactory.open(try DatabaseLocation(parsing: db))
    }

    static func remove(_ db: String) {
        guard case .sqlite(let path) = try? DatabaseLocation(parsing: db) else { return }
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    }
}
