import ArgumentParser
import NMEA
import OrbitaModel
import TerminalOutput
import TrackImport

/// `orbita decode`: NMEA in, one gpsd-style TPV JSON object per receiver epoch out.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode NMEA 0183 logs into fixes, one JSON object per receiver epoch.",
        discussion: """
            Reads each FILE in turn (standard input when none is given or FILE is -) and writes one JSON object \
            per line per epoch, with gpsd's names and units. At the end it prints a summary line to standard error.
            """
    )

    @Argument(help: "NMEA log files; - or none for standard input.")
    var files: [String] = []

    @Flag(help: "Strict NMEA framing: require a checksum, reject text before '$' that is not a device ID.")
    var strict = false

    @Option(help: "Device ID for data that names none.")
    var device: String?

    func run() throws {
        let inputs = files.isEmpty ? ["-"] : files
        let output = DecodeOutput()
        var statistics = DecodeStatistics()
        var failed = false
        for path in inputs {
            let decoder = NMEADecoder(options: DecoderOptions(strict: strict), device: device)
            let emit: (Fix) -> Void = { output.add($0) }
            do {
                try FileInput.forEachChunk(of: path) { decoder.decode($0, emit: emit) }
            } catch {
                output.finish()
                printError("orbita decode: \(error.description); check the path and permissions")
                failed = true
            }
            decoder.finish(emit: emit)
            statistics.merge(decoder.statistics)
        }
        output.finish()
        printError(statistics.summary)
        if failed { throw ExitCode(1) }
    }
}
