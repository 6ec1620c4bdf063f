import ArgumentParser
import FleetSimulation
import Foundation
import GeoJSON
import Ingest
import NIOCore
import NIOPosix
import OrbitaModel
import StoreFactory
import TerminalOutput

/// `orbita simulate`: a fleet of trackers sending NMEA to a server.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a fleet of trackers sending NMEA over UDP or TCP.",
        discussion: """
            Each vehicle sends, every 1/RATE s, a cycle stamped with the current UTC time: a $PGID identity, RMC, \
            VTG, GGA, one GSA per constellation and GSV groups (GPS, GLONASS, some Galileo and BeiDou), with \
            receiver noise. With routes (--geojson, or --route NAME from --db) vehicles drive along them at bus \
            speeds with stops; --deviate sends that share of them on a 400 m detour each lap. Without routes they \
            roam around Moscow. Prints what it sent; --log writes every cycle sent, for comparison with an import.
            """)

    @Option(help: "udp://HOST:PORT or tcp://HOST:PORT.") var to: String = "udp://127.0.0.1:5005"
    @Option(help: "Vehicles.") var vehicles = 10
    @Option(help: "Cycles per second per vehicle.") var rate: Double = 1
    @Option(help: "Seconds to run (default 60; with --replay: the whole file unless given).") var duration: Double?
    @Option(help: "Routes to drive: GeoJSON LineStrings, MultiLineStrings or FeatureCollections of lines (repeatable).")
    var geojson: [String] = []
    @Option(help: "A route stored in the database (--db) to drive.") var route: String?
    @Option(help: "A GTFS folder: drive the shapes of shapes.txt (named after their routes).") var gtfs: String?
    @Option(help: "Replay a logged NMEA file instead of simulating: its lines as they are, cycle by cycle.")
    var replay: String?
    @Option(help: "Replay speed: 1 real time, 10 ten times faster, 0 as fast as possible.") var speed: Double = 1
    @Option(help: "Replay: the vehicle ID of a log that names none (a $PGID line is put in front of each cycle).")
    var vehicle: String?
    @OptionGroup var database: DatabaseOption
    @Option(help: "Share of vehicles (0–1) that make a detour off their route.") var deviate: Double = 0
    @Option(help: "Random seed (the same seed sends the same fleet).") var seed: UInt64 = 1
    @Option(help: "Write every cycle sent to this file (an NMEA log).") var log: String?
    @Option(help: "Vehicle ID prefix (IDs are PREFIX0001…); default: 15-digit IMEI-like IDs.") var prefix: String?
    @Flag(help: "TCP: count the server's OK acknowledgements (wait up to 5 s for them at the end).") var ack = false
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
        guard vehicles > 0, rate > 0, (duration ?? 1) > 0 else { throw ValidationError("vehicles, rate, duration > 0") }
        guard speed >= 0 else { throw ValidationError("--speed is 0 (as fast as possible) or more") }
        guard (0...1).contains(deviate) else { throw ValidationError("--deviate is a share between 0 and 1") }
        guard Self.target(to) != nil else { throw ValidationError("--to is udp://HOST:PORT or tcp://HOST:PORT") }
    }

    static func target(_ text: String) -> (tcp: Bool, address: HostPort)? {
        for (scheme, tcp) in [("udp://", false), ("tcp://", true)] where text.hasPrefix(scheme) {
            if let address = HostPort(parsing: String(text.dropFirst(scheme.count))) { return (tcp, address) }
        }
        return nil
    }

    func run() async throws {
        guard let (tcp, address) = Self.target(to) else { throw ExitCode(2) }
        var fleet = FleetLogGenerator(vehicles: vehicles, seed: seed, prefix: prefix)
        let routes = try loadRoutes()
        if !routes.isEmpty {
            let detours = Int((Double(vehicles) * deviate).rounded())
            for index in 0..<vehicles {
                let line = routes[index % routes.count]
                fleet.assign(index, route: line, offset: Double(index / routes.count) * 1_500, detour: index < detours)
            }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let sender: any FleetSender
        do {
            sender =
                tcp
                ? try await TCPFleetSender.connect(
                    host: address.host, port: address.port, connections: min(vehicles, 32), group: group)
                : try await UDPFleetSender.open(host: address.host, port: address.port, group: group)
        } catch {
            throw CommandError("orbita simulate: cannot reach \(to): \(error)")
        }
        if let replay {
            try await self.replay(replay, through: sender)
            try? await group.shutdownGracefully()
            return
        }
        let duration = self.duration ?? 60
        var logHandle: FileHandle?
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            logHandle = FileHandle(forWritingAtPath: log)
        }
        if !quiet { printError("simulating \(vehicles) vehicles at \(rate) Hz for \(duration) s to \(to)") }
        var run = LiveFleetRun(fleet: fleet, vehicles: vehicles, rate: rate, duration: duration)
        let report = try await run.run(through: sender, log: logHandle, expectAcknowledgements: ack) { cycles, ticks in
            if !quiet { printError("sent \(cycles) cycles in \(ticks) ticks") }
        }
        try? logHandle?.close()
        var summary =
            "simulate sent vehicles=\(vehicles) cycles=\(report.cycles) datagrams=\(sender.messages) bytes=\(sender.bytes)"
            + " seconds=\(TextFormat.fixed(report.seconds, decimals: 2))"
            + " cycles_per_s=\(Int(Double(report.cycles) / max(report.seconds, 1e-9)))"
        if let acknowledged = report.acknowledged { summary += " acknowledged=\(acknowledged)" }
        if sender.failedWrites > 0 { summary += " failed_writes=\(sender.failedWrites)" }
        printText(summary)
        try? await group.shutdownGracefully()
        // Sent is not received: a connection the server closed, or cycles it never acknowledged, fail the run.
        if sender.failedWrites > 0 {
            throw CommandError(
                "orbita simulate: \(sender.failedWrites) writes failed: the server closed the connection")
        }
        if let acknowledged = report.acknowledged, acknowledged < report.cycles {
            throw CommandError("orbita simulate: \(acknowledged) of \(report.cycles) cycles acknowledged")
        }
    }

    /// Streams a logged file cycle by cycle at its own pace divided by `speed`.
    private func replay(_ path: String, through sender: any FleetSender) async throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandError("orbita simulate: cannot read \(path)")
        }
        var identity: [UInt8]?
        if let vehicle {
            var writer = SentenceWriter(out: [])
            writer.identity(vehicle)
            identity = writer.out
        }
        let log = ReplayLog(data, identity: identity)
        if !quiet {
            printError("replaying \(log.cycles.count) cycles of \(path) at \(speed == 0 ? "full" : "\(speed)×") speed")
        }
        let report = try await log.play(through: sender, speed: speed, duration: duration, expectAcknowledgements: ack)
        var summary =
            "simulate replayed cycles=\(report.cycles) datagrams=\(sender.messages) bytes=\(sender.bytes)"
            + " seconds=\(TextFormat.fixed(report.seconds, decimals: 2))"
        if let acknowledged = report.acknowledged { summary += " acknowledged=\(acknowledged)" }
        if sender.failedWrites > 0 { summary += " failed_writes=\(sender.failedWrites)" }
        printText(summary)
        // As for a simulated fleet: sent is not received.
        if sender.failedWrites > 0 {
            throw CommandError(
                "orbita simulate: \(sender.failedWrites) writes failed: the server closed the connection")
        }
        if let acknowledged = report.acknowledged, acknowledged < report.cycles {
            throw CommandError("orbita simulate: \(acknowledged) of \(report.cycles) cycles acknowledged")
        }
    }

    private func loadRoutes() throws -> [[Coordinate]] {
        var routes: [[Coordinate]] = []
        for geojson in self.geojson {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: geojson))
                for feature in try GeoJSON.features(in: data) where feature.type.hasSuffix("LineString") {
                    routes += feature.lines
                }
                routes.removeAll { $0.count < 2 }
                guard !routes.isEmpty else {
                    throw CommandError("orbita simulate: \(geojson) holds no LineString")
                }
            } catch {
                throw CommandError("orbita simulate: \(geojson): \(error)")
            }
        }
        if let gtfs {
            do {
                routes += try GTFS.namedShapes(inFeed: gtfs).map(\.line)
            } catch {
                throw CommandError("orbita simulate: \(error)")
            }
        }
        if let route {
            let store = try database.open()
            guard let stored = try store.routes().first(where: { $0.name == route }) else {
                throw CommandError("orbita simulate: no route named \(route) in \(database.resolved)")
            }
            routes.append(stored.line)
        }
        return routes
    }
}
