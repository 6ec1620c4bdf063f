import ArgumentParser
import Foundation
import Glibc
import Ingest
import Logging
import OrbitaModel
import OrbitaServer
import TerminalOutput
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

    @Option(help: "A YAML configuration file (see --print-config for every key); flags override it.")
    var config: String?
    @Option(
        name: .customLong("db"),
        help:
            "A SQLite file or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (default: $ORBITA_DB, or ./orbita.sqlite)."
    )
    var database: String?
    @Option(help: "Keep this many days of fixes, dropping older partitions at start and hourly, or off (default).")
    var retention: DaysArgument?
    @Option(help: "Keep this many days of events, or off (default: keep every event).") var eventRetention:
        DaysArgument?
    @Option(
        help: "This server's name in a cluster of servers on one PostgreSQL database (each node its own; off: single).")
    var node: String?
    @Option(help: "UDP listening address HOST:PORT, or off (default 127.0.0.1:5005).") var udp: ListenArgument?
    @Option(help: "TCP listening address HOST:PORT, or off (default 127.0.0.1:5005).") var tcp: ListenArgument?
    @Option(help: "HTTP address for /metrics, /health and /sources, or off (default 127.0.0.1:8080).")
    var http: ListenArgument?
    @Flag(help: "Accept and register devices that are not registered.") var registerUnknown = false
    @Flag(help: "TCP: answer OK for each fix once it is committed.") var ack = false
    @Option(help: "Fixes per second one device may send (0: no limit; default 100, bursts of --device-burst).")
    var deviceRate: Double?
    @Option(help: "Fixes one device may send at once beyond its rate (default 1000).") var deviceBurst: Double?
    @Option(help: .hidden) var sourceRate: Double?
    @Option(help: "TCP: seconds a connection may send nothing before it is closed (0: never; default 600).")
    var tcpIdleTimeout: Double?
    @Option(help: "TCP: open connections at most (default 10000, lowered to fit the descriptor limit).")
    var tcpMaxConnections: Int?
    @Option(help: "TCP: open connections from one IP address at most (default 1000).") var tcpMaxPerSource: Int?
    @Option(help: "The metric frame (e.g. EPSG:32637); default: the UTM zone of the first position.") var crs: String?
    @Option(help: "Fixes waiting for the pipeline at most (beyond: dropped and counted as queue_full).")
    var queueCapacity: Int?
    @Option(help: "Seconds between commits at most (default 1).") var commitInterval: Double?
    @Option(help: "Fixes per commit at most (default 100000).") var commitSize: Int?
    @Option(help: "SQLite page cache, MiB (default 512; the fixes index takes ≈ 25 bytes a fix).") var cacheMb: Int?
    @OptionGroup var fenceLimits: FenceLimitOptions
    @Option(help: "Drop live fixes older than this many seconds as too_old, or off (default 31622400: 366 days).")
    var maximumAge: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: LogLevelArgument?
    @Flag(help: "Print the settings in force (defaults, then --config, then flags) as YAML and exit.")
    var printConfig = false

    /// Defaults, then the file, then the flags given.
    func settings() throws -> ServerSettings {
        var settings = ServerSettings()
        if let value = getenv("ORBITA_DB") { settings.database = String(cString: value) }
        if let config {
            do {
                settings = try ConfigFile.load(config, onto: settings)
            } catch {
                throw CommandError("orbita serve: \(error)", exitCode: 2)
            }
        }
        if let database { settings.database = database }
        if let node { settings.node = node == "off" ? nil : node }
        if let udp { settings.ingest.udp = udp.address }
        if let tcp { settings.ingest.tcp = tcp.address }
        if let http { settings.http = http.address }
        if registerUnknown { settings.registerUnknown = true }
        if ack { settings.ingest.acknowledge = true }
        if sourceRate != nil {
            throw CommandError(
                "orbita serve: --source-rate is gone: sources share a saturated server fairly instead of being "
                    + "rate-limited; the per-device limit is --device-rate (and --device-burst)", exitCode: 2)
        }
        if let deviceRate { settings.ingest.deviceRate = max(0, deviceRate) }
        if let deviceBurst { settings.ingest.deviceBurst = max(1, deviceBurst) }
        if let tcpIdleTimeout { settings.ingest.tcpIdleTimeoutSeconds = max(0, tcpIdleTimeout) }
        if let tcpMaxConnections { settings.ingest.tcpMaximumConnections = max(1, tcpMaxConnections) }
        if let tcpMaxPerSource { settings.ingest.tcpMaximumPerSource = max(1, tcpMaxPerSource) }
        if let crs { settings.crs = crs }
        if let queueCapacity { settings.queueCapacity = queueCapacity }
        if let commitInterval { settings.commitInterval = commitInterval }
        if let commitSize { settings.commitSize = commitSize }
        if let cacheMb { settings.cacheMegabytes = cacheMb }
        if let retention { settings.retention.fixDays = retention.days }
        if let eventRetention { settings.retention.eventDays = eventRetention.days }
        fenceLimits.apply(to: &settings.fenceLimits)
        if let maximumAge {
            if maximumAge == "off" {
                settings.tracking.maximumAgeSeconds = nil
            } else if let seconds = Double(maximumAge), seconds > 0 {
                settings.tracking.maximumAgeSeconds = seconds
            } else {
                throw CommandError(
                    "orbita serve: --maximum-age wants seconds > 0 or off, got \(maximumAge)", exitCode: 2)
            }
        }
        if let logLevel { settings.logLevel = logLevel.level.rawValue }
        return settings
    }

    func run() async throws {
        let settings = try settings()
        if printConfig {
            printText(ConfigFile.render(settings), terminator: "")
            return
        }
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = SanitisingLogHandler(wrapped: StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "orbita.serve")
        let status: Int32
        do {
            status = try await OrbitaServer.run(settings, logger: logger)
        } catch {
            throw CommandError("orbita serve: \(error)")
        }
        if status != 0 { throw ExitCode(status) }
    }
}

/// `orbita serve --log-level`: one of swift-log's levels.
struct LogLevelArgument: ExpressibleByArgument {
    let level: Logger.Level
    init?(argument: String) {
        guard let level = Logger.Level(rawValue: argument) else { return nil }
        self.level = level
    }
    static var allValueStrings: [String] { Logger.Level.allCases.map(\.rawValue) }
}
