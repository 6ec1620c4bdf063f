import ArgumentParser
import NMEA
import OrbitaModel
import TrackImport

/// `orbita bench`: throughput measurements (never part of the test suite).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Orbita's throughput.",
        subcommands: [GenerateLog.self, DecodeBench.self]
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
                timings.append(
                    Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                statistics = decoder.statistics
            }
            let median = timings.sorted()[timings.count / 2]
            let megabytes = Double(bytes.count) / 1e6
            print(
                "bench=decode lines=\(statistics.lines) sentences=\(statistics.sentences) fixes=\(statistics.fixes) "
                    + "seconds=\(FixJSON.fixed(median, decimals: 4)) "
                    + "lines_per_s=\(Int(Double(statistics.lines) / median)) "
                    + "sentences_per_s=\(Int(Double(statistics.sentences) / median)) "
                    + "MB_per_s=\(FixJSON.fixed(megabytes / median, decimals: 1)) "
                    + "rejects=\(statistics.rejects.values.reduce(0, +)) checksum=\(Int(checksum) % 1000)")
        }
    }
}
