public import Cluster
import Dispatch
import DispatchAPI
import FleetTracking
import Foundation
import Geodesy
import Hummingbird
import HummingbirdWebSocket
public import Ingest
public import Logging
import Metrics
import NIOCore
import NIOPosix
public import OrbitaModel
import OrbitaWire
import Prometheus
import ServiceLifecycle
import StoreFactory
public import Tracking

/// Everything `orbita serve` is configured with.
public struct ServerSettings: Sendable {
    /// The database: a SQLite file or a `postgres://` URL (`DatabaseLocation`).
    public var database: String
    /// UDP and TCP listeners.
    public var ingest: IngestSettings
    /// The HTTP port (`/metrics`, `/health`, `/sources`); nil: none.
    public var http: HostPort?
    /// Accept devices that are not registered (registering them).
    public var registerUnknown: Bool
    /// Pipeline thresholds.
    public var tracking: TrackingConfiguration
    /// Event engine thresholds.
    public var events: EventConfiguration
    /// The metric frame (nil: the UTM zone of the first fix).
    public var crs: String?
    /// Fixes waiting for the pipeline at most (beyond: dropped as `queue_full`, counted).
    public var queueCapacity: Int
    /// Seconds between commits at most (a commit also happens every `commitSize` fixes): longer amortises index
    /// pages over more fixes, shorter brings TCP acknowledgements and live views sooner. At 50,000 fixes/s a 50 ms
    /// interval rewrote most of the (vehicle, time) index every commit and fell behind after ≈ 5 M fixes; 1 s kept
    /// up (Benchmarks/soak.sh).
    public var commitInterval: Double
    /// Fixes per commit at most.
    public var commitSize: Int
    /// The log level (swift-log's names: trace … critical).
    public var logLevel = "info"
    /// SQLite's page cache per connection, MiB (the (vehicle, time) index should fit: ≈ 25 bytes a fix).
    public var cacheMegabytes = 512
    /// Vertex budgets of geofences (the API refuses fences over them; stored ones over them are skipped).
    public var fenceLimits = GeofenceLimits()
    /// Database connections of the dispatch API: queries that run at once (heavy ones, such as tracks, at most half).
    public var apiConnections = 4
    /// `/api/live` sessions open at once (more are closed at once with code 1013, try again later).
    public var liveMaximumSessions = LiveFeed.defaultMaximumSessions
    /// HTTP connection limits: request head size, time to send it, keep-alive idle time.
    public var httpLimits = HTTPLimits()
    /// How long history is kept (nil days: everything); applied at start and then every `retentionInterval`, with
    /// partitions made ahead of time.
    public var retention = RetentionPolicy()
    /// Seconds between retention passes.
    public var retentionInterval = 3_600.0
    /// This server's name in a cluster of servers on one PostgreSQL database (`--node`); nil: a single server.
    public var node: String?
    /// Shards, lease time and renewal of a cluster node.
    public var cluster = ClusterSettings()
    /// Seconds a fix waits in a cluster's inbox before its owner processes it, so that the fixes other nodes received
    /// of the same moment are there too and a vehicle's fixes are processed in time order.
    public var clusterHoldBackSeconds = 2.0

    /// Fixes older than this are dropped live unless configured otherwise, seconds (366 days).
    public static let liveMaximumAgeSeconds = 366.0 * 86_400

    /// Creates settings with the defaults of `orbita serve`.
    public init(
        database: String = "orbita.sqlite", ingest: IngestSettings = IngestSettings(),
        http: HostPort? = HostPort(host: "127.0.0.1", port: 8080), registerUnknown: Bool = false,
        tracking: TrackingConfiguration = TrackingConfiguration(), events: EventConfiguration = EventConfiguration(),
        crs: String? = nil, queueCapacity: Int = 1_000_000, commitInterval: Double = 1, commitSize: Int = 100_000
    ) {
        self.database = database
        self.ingest = ingest
        var tracking = tracking
        // Live: a fix older than a year is not a blackbox upload but a broken clock (a GPS week rollover dates it
        // 1999): dropped as too_old. Younger old fixes are stored as late. Imports keep history of any age; so does
        // a server replaying old logs with `--maximum-age off`.
        if tracking.maximumAgeSeconds == nil { tracking.maximumAgeSeconds = Self.liveMaximumAgeSeconds }
        self.http = http
        self.registerUnknown = registerUnknown
        self.tracking = tracking
        self.events = events
        self.crs = crs
        self.queueCapacity = queueCapacity
        self.commitInterval = commitInterval
        self.commitSize = commitSize
    }
}

/// Why a server could not start (besides a listener, `ListenerError`).
public struct StartupError: Error, CustomStringConvertible {
    /// One line for the operator.
    public let description: String
}

/// The live server: ingest listeners → processor thread (pipeline, events) → writer thread (SQLite), with an HTTP port
/// for metrics and health. SIGINT/SIGTERM stop accepting, drain the queue and commit everything accepted; a second
/// signal exits at once.
public enum OrbitaServer {
    /// Runs until a signal; returns the process exit status (0 after a clean drain).
    ///
    /// Start-up brings up every listener asked for — HTTP first, then UDP and TCP (bound, not yet reading) — and
    /// only then opens them to trackers and prints the ready line; a listener that cannot be brought up throws
    /// `ListenerError` before any data is accepted. A slow start is waited for, however long it takes.
    /// - Throws: `ListenerError`, or the store's error when the database cannot be opened.
    public static func run(_ settings: ServerSettings, logger: Logger) async throws -> Int32 {
        let signals = SignalWatcher()
        // PROJ and its database, before anything is accepted: a server that cannot project would count every fix
        // as a processing error.
        do throws(ProjError) {
            _ = try LocalFrame(crs: settings.crs ?? "EPSG:32637")
        } catch {
            throw StartupError(
                description: "PROJ cannot make the metric frame \(settings.crs ?? "EPSG:32637"): \(error)"
                    + " (is proj-data installed? is --crs a projected CRS?)")
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let location: DatabaseLocation
        do throws(DatabaseLocation.Problem) {
            location = try DatabaseLocation(parsing: settings.database)
        } catch {
            throw StartupError(description: "database: \(error.description)")
        }
        // The writer gets the big page cache (the index being written should fit); the processor reads zones,
        // registrations and resume points on a connection of its own.
        // A cluster node's writer keeps only the vehicles the node still holds, checked inside each commit; and no
        // call of the node's waits for ever on a database it cannot reach.
        let coordinatorBox = Shared<ClusterCoordinator?>(nil)
        let fence = settings.node.map { node in
            WriteFence(node: node, shardCount: settings.cluster.shardCount) {
                coordinatorBox.withLock { $0 }?.trustedLeases() ?? [:]
            }
        }
        let callTimeout = settings.node == nil ? nil : Self.clusterCallTimeoutSeconds
        let writer = try StoreFactory.open(
            location,
            options: .init(
                cacheMegabytes: settings.cacheMegabytes, callTimeoutSeconds: callTimeout, writeFence: fence))
        let store = try StoreFactory.open(
            location, options: .init(cacheMegabytes: 16, callTimeoutSeconds: callTimeout))
        let maintenance = HistoryMaintenance(
            policy: settings.retention, interval: settings.retentionInterval, logger: logger
        ) { () throws(StoreError) in try StoreFactory.open(location, options: .init(cacheMegabytes: 16)) }
        let processor = LiveProcessor(
            store: store, writer: writer, configuration: settings.tracking, events: settings.events, crs: settings.crs,
            registerUnknown: settings.registerUnknown, queueCapacity: settings.queueCapacity,
            commitInterval: settings.commitInterval, commitSize: settings.commitSize,
            fenceLimits: settings.fenceLimits, logger: logger)
        let listenersBox = Shared<IngestListeners?>(nil)
        var member: ClusterMember?
        if let node = settings.node {
            guard case .postgres = location else {
                throw StartupError(
                    description: "--node \(node): several nodes share a PostgreSQL database (--db postgres://…)")
            }
            guard ClusterSettings.isValidNodeName(node) else {
                throw StartupError(
                    description: "--node \(node): letters, digits, '.', '-' and '_', at most 63 characters")
            }
            processor.resumeEachVehicleFromStore()
            member = try ClusterMember(
                node: node, settings: settings.cluster, holdBack: settings.clusterHoldBackSeconds,
                queueCapacity: settings.queueCapacity, batchLimit: settings.commitSize, processor: processor,
                endpoints: Self.endpoints(settings), logger: logger
            ) { () throws(StoreError) in try StoreFactory.openCluster(location, settings: settings.cluster) }
            coordinatorBox.withLock { $0 = member?.coordinator }
        }

        var http: HTTPService?
        var commitListener: (any CommitListener)?
        defer { commitListener?.stop() }
        if let address = settings.http {
            let router = Router(context: DispatchContext.self)
            let apiStore = try DispatchStore(connections: settings.apiConnections) {
                try StoreFactory.open(location, options: .init(cacheMegabytes: 16))
            }
            DispatchRoutes.register(on: router, store: apiStore, fenceLimits: settings.fenceLimits)
            let webSocketRouter = Router(context: DispatchContext.self)
            let live = LiveFeed.register(
                webSocketRouter: webSocketRouter, httpRouter: router, store: apiStore,
                maximumSessions: settings.liveMaximumSessions, pushed: true)
            // Pushed from the commit itself: what was stored reaches `/api/live` without waiting for a poll.
            processor.onCommitted = { report in
                guard live.isFollowed else { return }
                live.publish(fixes: report.storedFixes, events: report.storedEvents)
            }
            // What other processes commit (the other nodes of a cluster, an import) is announced by PostgreSQL's
            // NOTIFY: the feed reads it at once instead of at its next fallback read.
            let notified = Counter(label: "orbita_live_commits_notified_total")
            commitListener = StoreFactory.listenForCommits(location) { notice in
                notified.increment()
                guard live.isFollowed else { return }
                switch notice {
                case .committed(let fix, let event):
                    live.committedElsewhere(through: LiveFeed.Cursor(fix: fix, event: event))
                case .mayHaveMissed:
                    // Read whatever is there: a cursor beyond every number.
                    live.committedElsewhere(through: LiveFeed.Cursor(fix: .max, event: .max))
                }
            }
            router.addRoutes(
                operations(registry: registry, processor: processor, listeners: listenersBox, cluster: member).routes)
            http = try await HTTPService.start(
                router: router, webSocketRouter: webSocketRouter, address: address, limits: settings.httpLimits,
                logger: logger)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var ingest = settings.ingest
        let descriptors = ConnectionLimiter.descriptorLimit()
        ingest.tcpMaximumConnections = ConnectionLimiter.fitted(ingest.tcpMaximumConnections, descriptors: descriptors)
        if ingest.tcpMaximumConnections < settings.ingest.tcpMaximumConnections, ingest.tcp != nil {
            logger.notice(
                "TCP connection limit lowered to fit the descriptor limit",
                metadata: [
                    "asked": "\(settings.ingest.tcpMaximumConnections)", "limit": "\(ingest.tcpMaximumConnections)",
                    "descriptors": "\(descriptors)",
                ])
        }
        let listeners: IngestListeners
        do {
            listeners = try await IngestListeners.start(
                ingest, sink: member?.received ?? processor.queue, group: group, logger: logger)
        } catch {
            await http?.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        listenersBox.withLock { $0 = listeners }
        processor.start()
        member?.start()
        maintenance.start()
        await listeners.startReading()
        let ready = [
            listeners.udpAddress.map { "udp=\(settings.ingest.udp?.host ?? ""):\($0.port ?? 0)" },
            listeners.tcpAddress.map { "tcp=\(settings.ingest.tcp?.host ?? ""):\($0.port ?? 0)" },
            http.map { "http=\($0.address)" },
        ].compactMap(\.self)
        // `orbita cluster status` shows the ports bound, not a configured 0.
        member?.coordinator.announce(endpoints: ready.joined(separator: " "))
        let readyLine = TerminalText.output(
            "orbita serve ready \(ready.joined(separator: " ")) db=\(location)"
                + (settings.node.map { " node=\($0)" } ?? ""))
        FileHandle.standardOutput.write(Data((readyLine + "\n").utf8))
        logger.info("ready", metadata: ["listening": "\(ready.joined(separator: " "))"])

        let stop = await waitForStop(http: http, signals: signals) {
            logger.warning("second signal: exiting without draining")
            processor.abandon()
            exit(1)
        }
        if case .httpFailed(let error) = stop {
            logger.error("the HTTP side stopped; shutting down", metadata: ["error": "\(error)"])
        }
        logger.info("stopping: no new data; draining the queue")
        maintenance.stop()
        await listeners.close()
        if let member {
            // What was received goes to the inbox; the shards are handed over once their last fetch is committed.
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    member.stop()
                    continuation.resume()
                }
            }
        }
        let failure = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: processor.drain()) }
        }
        let status = processor.status.withLock { $0 }
        await http?.stop()
        try? await group.shutdownGracefully()
        if let failure {
            logger.error("stopped with data not committed", metadata: ["error": "\(failure)"])
            return 1
        }
        logger.info(
            "stopped", metadata: ["received": "\(status.received)", "committed": "\(status.committedFixes)"])
        if case .httpFailed = stop { return 1 }
        return 0
    }

    /// `/metrics`, `/health` and `/sources` on the processor, the listeners and the metrics registry.
    private static func operations(
        registry: PrometheusCollectorRegistry, processor: LiveProcessor, listeners: Shared<IngestListeners?>,
        cluster: ClusterMember?
    ) -> OperationsController {
        OperationsController(
            metrics: {
                var bytes: [UInt8] = []
                registry.emit(into: &bytes)
                return bytes
            },
            health: {
                let status = processor.status.withLock { $0 }
                var health = Wire.Health(
                    received: status.received, committedFixes: status.committedFixes,
                    committedEvents: status.committedEvents, queueDepth: processor.queue.depth,
                    vehiclesOnline: status.vehiclesOnline, unregistered: status.unregistered,
                    storeError: status.storeError)
                if let cluster {
                    let figures = cluster.status.withLock { $0 }
                    health.cluster = Wire.Health.Cluster(
                        node: cluster.coordinator.node, shards: figures.shards, liveNodes: figures.liveNodes,
                        inboxBacklog: figures.backlog, forwarded: figures.forwarded, claimed: figures.claimed,
                        released: figures.released, lost: figures.lost, error: figures.error)
                }
                return health
            },
            sources: {
                let counters = listeners.withLock { $0 }.map { [$0.udpCounters, $0.tcpCounters] } ?? []
                return Wire.SourceList(
                    sources: counters.flatMap { counters in
                        counters.noisiestSources().map { source, counts in
                            Wire.SourceList.Source(
                                source: source, messages: counts.messages, fixes: counts.fixes,
                                dropped: Dictionary(
                                    uniqueKeysWithValues: counts.dropped.map { ($0.key.rawValue, $0.value) }))
                        }
                    })
            })
    }

    /// How long a cluster node's track-store call waits for PostgreSQL before it fails and is retried (its lease
    /// calls wait half a lease time): a cut network then shows as errors, not as a hang.
    static let clusterCallTimeoutSeconds = 30.0

    /// What a cluster node listens on, for `orbita cluster status` until the listeners are bound (the configured
    /// addresses; the bound ones replace them at once).
    private static func endpoints(_ settings: ServerSettings) -> String {
        [
            settings.ingest.udp.map { "udp=\($0.host):\($0.port)" },
            settings.ingest.tcp.map { "tcp=\($0.host):\($0.port)" },
            settings.http.map { "http=\($0.host):\($0.port)" },
        ].compactMap(\.self).joined(separator: " ")
    }

    /// Why the server stops.
    enum Stop {
        /// SIGINT or SIGTERM.
        case signal
        /// The HTTP server ended on its own (its error).
        case httpFailed(String)
    }

    /// Waits for the first signal, or for the HTTP server to fail while running.
    static func waitForStop(
        http: HTTPService?, signals: SignalWatcher, onSecond: @escaping @Sendable () -> Void
    ) async -> Stop {
        let stop = OneShot<Stop>()
        if let http {
            Task {
                let error = await http.failure()
                stop.complete(.httpFailed(error))
            }
        }
        Task {
            await signals.first(thenOnSecond: onSecond)
            stop.complete(.signal)
        }
        return await stop.value()
    }
}

/// SIGINT and SIGTERM, watched from the start of `run` (before the ready line: a signal sent as soon as it is read
/// must not be lost): the first is awaited by `first()`, a second calls `onSecond`.
final class SignalWatcher: @unchecked Sendable {
    // @unchecked: `sources` is written once in init and only kept alive afterwards.
    private let firstSignal = OneShot<Void>()
    private let onSecond = Shared<(@Sendable () -> Void)?>(nil)
    private let sources: [any DispatchSourceSignal]

    init() {
        let queue = DispatchQueue(label: "orbita.signals")
        let seen = Shared(0)
        let firstSignal = self.firstSignal
        let onSecond = self.onSecond
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let count = seen.withLock { value in
                    value += 1
                    return value
                }
                if count == 1 { firstSignal.complete(()) } else { onSecond.withLock { $0 }?() }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Waits for the first signal (at once when it came already); `second` runs on a second one.
    func first(thenOnSecond second: @escaping @Sendable () -> Void) async {
        onSecond.withLock { $0 = second }
        await firstSignal.value()
    }
}
