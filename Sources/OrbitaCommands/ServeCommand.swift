import ArgumentParser
import Foundation
import Ingest
import Logging
import OrbitaServer
import Tracking

/// An address option: `HOST:PORT`, or `off`.
struct ListenArgument: ExpressibleByArgument {
    var address: HostPort?

    init?(argument: String) {
        if argument == "off" {
            address = nil
            return
        }
        guard let parsed = HostPort(parsing: argument) else { return nil }
        address = parsed
    }

    init(_ address: HostPort?) { self.address = address }
}

/// `orbita serve`: the live server.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Receive NMEA from trackers over UDP and TCP, track them live, serve /metrics and /health.",
        discussion: """
            Fixes go through the same pipeline and event engine as `orbita import` and are committed in batches. \
            Only registered vehicles (`orbita vehicles add`) are accepted unless --register-unknown is given. \
            SIGINT or SIGTERM: stop accepting, commit everything received, exit 0; a second signal exits at once.
            """)

    @OptionGroup var database: DatabaseOption
    @Option(help: "UDP listening address HOST:PORT, or off.") var udp = ListenArgument(
        HostPort(host: "127.0.0.1", port: 5005))
    @Option(help: "TCP listening address HOST:PORT, or off.") var tcp = ListenArgument(
        HostPort(host: "127.0.0.1", port: 5005))
    @Option(help: "HTTP address for /metrics, /health and /sources, or off.")
    var http = ListenArgument(HostPort(host: "127.0.0.1", port: 8080))
    @Flag(help: "Accept and register devices that are not registered.") var registerUnknown = false
    @Flag(help: "TCP: answer OK for each fix once it is committed.") var ack = false
    @Option(help: "Messages per second one source may send (0: no limit).") var sourceRate: Double = 200
    @Option(help: "The metric frame (e.g. EPSG:32637); default: the UTM zone of the first position.") var crs: String?
    @Option(help: "Fixes waiting for the pipeline at most (beyond: dropped and counted as queue_full).")
    var queueCapacity = 1_000_000
    @Option(help: "Seconds between commits at most.") var commitInterval = 0.05
    @Option(help: "Fixes per commit at most.") var commitSize = 5_000
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "orbita.serve")
        let settings = ServerSettings(
            database: database.resolved,
            ingest: IngestSettings(udp: udp.address, tcp: tcp.address, sourceRate: sourceRate, acknowledge: ack),
            http: http.address, registerUnknown: registerUnknown, crs: crs, queueCapacity: queueCapacity,
            commitInterval: commitInterval, commitSize: commitSize)
        let status: Int32
        do {
            status = try await OrbitaServer.run(settings, logger: logger)
        } catch {
            printError("orbita serve: \(error)")
            throw ExitCode(1)
        }
        if status != 0 { throw ExitCode(status) }
    }
}
