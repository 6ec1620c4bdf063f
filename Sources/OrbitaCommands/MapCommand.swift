import ArgumentParser
import ConsoleMap
import DispatchClient
import DispatcherMap
import Foundation
import GeoJSON
import Geodesy
import OrbitaModel
import Reports
import StoreFactory

/// `orbita map`: the fleet on a terminal map, from the database or from a server's dispatch API.
struct MapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Draw the fleet on a terminal map: vehicles, geofences, routes, a basemap.",
        discussion: """
            Vehicles show as arrows along their course when moving, ■ when stopped, □ when stale (no fix for 10 \
            minutes), ! when off their route; several in one cell as a count. Geofences and routes are drawn in \
            Braille dots (--ascii: plain marks). Keys: arrows/hjkl pan, +/- or a/z zoom, f follow, Tab next \
            vehicle, / search, g go to lat,lon, e events (Enter jumps, a acknowledges), r replay the selected \
            vehicle's last 24 hours (←/→ step, Space play, [/] speed), n next match, t labels, c Braille/ASCII, ? \
            help, q quit. With --db the database is \
            read every second, read-only unless --writable; with --server URL --token T (or $ORBITA_TOKEN) the map \
            follows the server's live feed (acknowledging needs a dispatcher token). --snapshot prints one frame \
            and exits; --headless S follows the feed for S seconds without a terminal and prints how late fixes \
            reach the map. Names are sanitised before they reach the terminal.
            """)

    @OptionGroup var database: DatabaseOption
    @Option(help: "A server's HTTP address (http://HOST:PORT) instead of a local database.") var server: String?
    @Option(help: "The bearer token for --server (default: $ORBITA_TOKEN).") var token: String?
    @Option(
        help:
            "GeoJSON basemap layers (lines, polygons; points with a name are labelled; repeatable). Default: the built-in Natural Earth map."
    )
    var basemap: [String] = []
    @Flag(help: "Draw no basemap, not even the built-in one.") var noBasemap = false
    @Option(help: "Columns of the frame.") var columns = 100
    @Option(help: "Rows of the map (a status line follows).") var rows = 30
    @Option(help: "Metres per Braille dot (default: fit the fleet).") var zoom: Double?
    @Flag(help: "Plain marks instead of Braille dots.") var ascii = false
    @Flag(help: "Colours as ANSI escapes (default when standard output is a terminal).") var colour = false
    @Option(help: "Colours: 256, 16, or auto (256 when $COLORTERM is set or $TERM names 256 colours).")
    var colours = ColourDepthArgument.auto
    @Flag(help: "Print one frame and exit.") var snapshot = false
    @Flag(help: "Allow acknowledging events in the local database.") var writable = false
    @Option(help: "Follow --server's feed for this many seconds, drawing frames off-screen; print the lag every 10 s.")
    var headless: Double?

    /// Runs on a thread of its own: the map loop blocks (it polls the keyboard) and bridges to async code for the
    /// server's API; on a Swift concurrency thread that would hold one of the few the pool has (one per core) and,
    /// on a one-core machine, wait forever for the task it waits on.
    func run() async throws {
        let command = self
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try command.draw()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "orbita map"
            thread.start()
        }
    }

    private func draw() throws {
        guard (10...1_000).contains(columns), (5...500).contains(rows) else {
            throw ValidationError("--columns 10–1000, --rows 5–500")
        }
        if let zoom, !(0.25...100_000).contains(zoom) {
            throw ValidationError("--zoom is metres per dot, 0.25–100000")
        }
        let feed = try openFeed()
        let builder = MapSceneBuilder(basemap: noBasemap ? .none : basemap.isEmpty ? .builtIn : .files(basemap))
        let (scene, extent, status) = try build(builder, try feed.data())
        var viewport = MapViewport(center: PlanarPoint(x: 0, y: 0), metresPerDot: 10, columns: columns, rows: rows)
        if let extent {
            fit(&viewport, to: extent)
        } else if let zoom {
            viewport.metresPerDot = zoom
        }
        if let headless {
            guard let feed = feed as? ServerFeed else { throw ValidationError("--headless needs --server") }
            return try measure(feed, builder, viewport: viewport, seconds: headless)
        }
        guard snapshot else { return try interactive(feed, builder, viewport: viewport) }
        let grid = MapRenderer.render(builder.withBasemap(scene, viewport), viewport: viewport, ascii: ascii)
        if colour || isatty(STDOUT_FILENO) == 1 {
            print(ANSIFrame.render(grid, colours: depth).replacingOccurrences(of: "\u{1B}[H", with: ""))
        } else {
            for line in grid.lines { print(line) }
        }
        print(status + String(format: "  %.0f m/dot", viewport.metresPerDot))
    }

    /// The builder's scene, extent and status line.
    private func build(_ builder: MapSceneBuilder, _ data: MapData) throws -> (
        MapScene, (PlanarPoint, PlanarPoint)?, String
    ) {
        let built = try builder.build(data)
        return (built.scene, built.extent, built.status)
    }

    /// The database, or the server when --server is given.
    private func openFeed() throws -> any MapFeed {
        guard let server else { return DatabaseFeed(store: try database.open(), writable: writable) }
        guard let token = token ?? ProcessInfo.processInfo.environment["ORBITA_TOKEN"], !token.isEmpty else {
            throw ValidationError("--server needs --token (or $ORBITA_TOKEN): see orbita token create")
        }
        guard server.hasPrefix("http://") || server.hasPrefix("https://") else {
            throw ValidationError("--server is an http:// or https:// address, e.g. http://127.0.0.1:8080")
        }
        do {
            return try ServerFeed(client: DispatchClient(base: server, token: token))
        } catch {
            throw CommandError("orbita map: \(server): \(error)")
        }
    }

    /// Centres `viewport` on `extent` and zooms so that it fits with a margin (at least a kilometre across, so a lone
    /// vehicle shows its streets, not its bumper); `--zoom` keeps its zoom.
    private func fit(_ viewport: inout MapViewport, to extent: (PlanarPoint, PlanarPoint)) {
        viewport.center = PlanarPoint(x: (extent.0.x + extent.1.x) / 2, y: (extent.0.y + extent.1.y) / 2)
        let width = max(extent.1.x - extent.0.x, 1_000)
        let height = max(extent.1.y - extent.0.y, 1_000)
        let fit = max(width / Double(viewport.columns * 2), height / Double(viewport.rows * 4))
        viewport.metresPerDot = zoom ?? fit * 1.1
    }

    /// The live view: reads the feed at its interval, redraws at most five times a second and on every key. The view
    /// is fitted to the fleet at the start and again when the first vehicles arrive (a map opened before any vehicle
    /// reported), unless the user moved it meanwhile.
    private func interactive(_ feed: any MapFeed, _ builder: MapSceneBuilder, viewport: MapViewport) throws {
        guard Terminal.enter() else {
            throw CommandError(
                "orbita map: the interactive view needs a terminal (use --snapshot otherwise)", exitCode: 2)
        }
        defer { Terminal.restore() }
        var session = MapSession(viewport: viewport, canAcknowledge: feed.canAcknowledge)
        var data = try feed.data()
        var (scene, _, status) = try build(builder, data)
        // The view as last fitted, and whether it was fitted to vehicles (not only to zones, or to nothing).
        var fitted = viewport
        var fittedToVehicles = !scene.vehicles.isEmpty
        var events = builder.panelEvents(data)
        var loaded = ContinuousClock.now
        var size = Terminal.size()
        var ticked = ContinuousClock.now
        while true {
            session.tick(seconds: (ContinuousClock.now - ticked).secondsValue)
            ticked = ContinuousClock.now
            if (ContinuousClock.now - loaded).secondsValue >= feed.refreshInterval {
                data = try feed.data()
                var extent: (PlanarPoint, PlanarPoint)?
                (scene, extent, status) = try build(builder, data)
                if !fittedToVehicles, !scene.vehicles.isEmpty, session.viewport == fitted, let extent {
                    fit(&session.viewport, to: extent)
                    fitted = session.viewport
                    fittedToVehicles = true
                }
                events = builder.panelEvents(data)
                session.track(scene)
                loaded = ContinuousClock.now
            }
            let now = Terminal.size()
            if now != size {
                size = now
                Terminal.write("\u{1B}[2J")
            }
            let line =
                status + String(format: "  %.0f m/dot", session.viewport.metresPerDot)
                + (session.follow ? "  follow \(session.selected ?? "")" : "")
                + (session.selected.map { "  selected \($0)" } ?? "") + "  ? help"
            Terminal.write(
                MapScreen.compose(
                    session: session, scene: builder.withBasemap(scene, session.viewport), events: events, status: line,
                    columns: size.columns, rows: size.rows, ascii: ascii, colours: depth))
            for key in Terminal.keys(timeout: 0.2) {
                switch session.handle(key, scene: scene, events: events) {
                case .quit: return
                case .acknowledge(let id):
                    session.message = feed.acknowledge(id)
                    data = try feed.data()
                    events = builder.panelEvents(data)
                case .goTo(let coordinate):
                    if let frame = builder.frame, let point = try? frame.project(coordinate) {
                        session.viewport.center = point
                        session.follow = false
                    }
                case .replay(let vehicleID):
                    session.startReplay(try builder.replay(of: vehicleID, from: feed))
                case .report(let vehicleID):
                    do {
                        let report = try feed.report(vehicleID, timeZone: .current)
                        let day = DailyMileage.daySpan(of: report.from, in: .current).day.iso8601
                        session.showReport(
                            vehicleID: vehicleID, title: day, rows: builder.reportRows(report, timeZone: .current))
                    } catch {
                        session.message = "report failed: \(error)"
                    }
                case .replayTrip(let vehicleID, let from, let to):
                    session.startReplay(try builder.replay(of: vehicleID, from: from, to: to, feed: feed))
                case nil: break
                }
            }
        }
    }

    /// `--headless`: follows the server's feed, rebuilding and drawing a full frame five times a second off-screen
    /// (as the live view does), and prints every 10 s how many fixes arrived and how late (arrival − fix time).
    private func measure(_ feed: ServerFeed, _ builder: MapSceneBuilder, viewport: MapViewport, seconds: Double)
        throws
    {
        let start = ContinuousClock.now
        var windowStart = start
        var frames = 0
        var slowest = 0.0
        var drawing = 0.0
        FileHandle.standardOutput.write(
            Data(
                "seconds  fixes  fixes/s  lag_mean_s  lag_max_s  frames  frame_mean_ms  frame_max_ms  connection\n".utf8
            ))
        while (ContinuousClock.now - start).secondsValue < seconds {
            let began = ContinuousClock.now
            let data = try feed.data()
            let (scene, _, status) = try build(builder, data)
            let frame = MapScreen.compose(
                session: MapSession(viewport: viewport, canAcknowledge: false),
                scene: builder.withBasemap(scene, viewport), events: builder.panelEvents(data), status: status,
                columns: columns,
                rows: rows + 1, ascii: ascii)
            precondition(!frame.isEmpty)
            let took = (ContinuousClock.now - began).secondsValue
            frames += 1
            drawing += took
            slowest = max(slowest, took)
            if (ContinuousClock.now - windowStart).secondsValue >= 10 {
                let lag = feed.takeLag()
                let window = (ContinuousClock.now - windowStart).secondsValue
                let line = String(
                    format: "%7.0f  %5d  %7.0f  %10.2f  %9.2f  %6d  %13.1f  %12.1f  ",
                    (ContinuousClock.now - start).secondsValue, lag.count, Double(lag.count) / window, lag.mean,
                    lag.maximum, frames, drawing / Double(frames) * 1000, slowest * 1000)
                FileHandle.standardOutput.write(Data((line + data.connection + "\n").utf8))
                windowStart = ContinuousClock.now
                frames = 0
                drawing = 0
                slowest = 0
            }
            Thread.sleep(forTimeInterval: max(0, 0.2 - took))
        }
    }

    /// The colour depth to draw with.
    private var depth: ANSIFrame.Colours {
        switch colours {
        case .indexed256: .indexed256
        case .basic16: .basic16
        case .auto:
            ANSIFrame.depth(
                term: ProcessInfo.processInfo.environment["TERM"],
                colorterm: ProcessInfo.processInfo.environment["COLORTERM"])
        }
    }
}

/// `orbita map --colours`.
enum ColourDepthArgument: String, ExpressibleByArgument, CaseIterable {
    /// 256 when `$COLORTERM` is set or `$TERM` names 256 colours, else 16.
    case auto
    /// The xterm 256-colour palette.
    case indexed256 = "256"
    /// The 16 basic ANSI colours.
    case basic16 = "16"
}
