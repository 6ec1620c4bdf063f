import ArgumentParser
import ConsoleMap
import Foundation
import GeoJSON
import Geodesy
import OrbitaModel
import Storage

/// `orbita map`: the fleet on a terminal map, from the database.
struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Draw the fleet on a terminal map: vehicles, geofences, routes, a basemap.",
        discussion: """
            Vehicles show as arrows along their course when moving, ■ when stopped, □ when stale (no fix for 10 \
            minutes), ! when off their route; several in one cell as a count. Geofences and routes are drawn in \
            Braille dots (--ascii: plain marks). Keys: arrows/hjkl pan, +/- or a/z zoom, f follow, Tab next \
            vehicle, / search, g go to lat,lon, e events (Enter jumps, a acknowledges with --writable), r replay \
            the selected vehicle's last 24 hours (←/→ step, Space play, [/] speed), ? help, q quit. The database is read every second, read-only unless --writable. --snapshot prints one frame and \
            exits. Names from the database are sanitised before they reach the terminal.
            """)

    @OptionGroup var database: DatabaseOption
    @Option(help: "GeoJSON basemap layers (lines and polygons; repeatable).") var basemap: [String] = []
    @Option(help: "Columns of the frame.") var columns = 100
    @Option(help: "Rows of the map (a status line follows).") var rows = 30
    @Option(help: "Metres per Braille dot (default: fit the fleet).") var zoom: Double?
    @Flag(help: "Plain marks instead of Braille dots.") var ascii = false
    @Flag(help: "Colours as ANSI escapes (default when standard output is a terminal).") var colour = false
    @Flag(help: "Print one frame and exit.") var snapshot = false
    @Flag(help: "Allow acknowledging events (writes to the database).") var writable = false

    /// The metric frame, chosen at the first load and kept (so the view does not jump when vehicles move).
    private final class FrameBox: @unchecked Sendable {
        // @unchecked: the map command runs on one thread.
        var frame: LocalFrame?
    }
    private static let frameBox = FrameBox()
    private var frameBox: FrameBox { Self.frameBox }
    private var currentFrame: LocalFrame? { frameBox.frame }

    func run() throws {
        guard (10...1_000).contains(columns), (5...500).contains(rows) else {
            throw ValidationError("--columns 10–1000, --rows 5–500")
        }
        let store = try database.open()
        let (scene, extent, status) = try buildScene(store)
        var viewport = MapViewport(center: PlanarPoint(x: 0, y: 0), metresPerDot: 10, columns: columns, rows: rows)
        if let extent {
            viewport.center = PlanarPoint(x: (extent.0.x + extent.1.x) / 2, y: (extent.0.y + extent.1.y) / 2)
            let fit = max((extent.1.x - extent.0.x) / Double(columns * 2), (extent.1.y - extent.0.y) / Double(rows * 4))
            viewport.metresPerDot = zoom ?? max(1, fit * 1.1)
        } else if let zoom {
            viewport.metresPerDot = zoom
        }
        guard snapshot else { return try interactive(store, viewport: viewport) }
        let grid = MapRenderer.render(scene, viewport: viewport, ascii: ascii)
        if colour || isatty(STDOUT_FILENO) == 1 {
            print(ANSIFrame.render(grid).replacingOccurrences(of: "\u{1B}[H", with: ""))
        } else {
            for line in grid.lines { print(line) }
        }
        print(status + String(format: "  %.0f m/dot", viewport.metresPerDot))
    }

    /// The live view: reads the database every second, redraws at most five times a second and on every key.
    private func interactive(_ store: SQLiteTrackStore, viewport: MapViewport) throws {
        guard Terminal.enter() else {
            printError("orbita map: the interactive view needs a terminal (use --snapshot otherwise)")
            throw ExitCode(2)
        }
        defer { Terminal.restore() }
        var session = MapSession(viewport: viewport, canAcknowledge: writable)
        var (scene, _, status) = try buildScene(store)
        var events = try panelEvents(store)
        var loaded = ContinuousClock.now
        var size = Terminal.size()
        var ticked = ContinuousClock.now
        while true {
            let elapsed = ContinuousClock.now - ticked
            ticked = ContinuousClock.now
            session.tick(seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            if ContinuousClock.now - loaded >= .seconds(1) {
                (scene, _, status) = try buildScene(store)
                events = try panelEvents(store)
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
                    session: session, scene: scene, events: events, status: line, columns: size.columns,
                    rows: size.rows, ascii: ascii))
            for key in Terminal.keys(timeout: 0.2) {
                switch session.handle(key, scene: scene, events: events) {
                case .quit: return
                case .acknowledge(let id):
                    _ = try? store.acknowledgeEvent(id: id, at: .now)
                    events = try panelEvents(store)
                    session.message = "event \(id) acknowledged"
                case .goTo(let coordinate):
                    if let frame = currentFrame, let point = try? frame.project(coordinate) {
                        session.viewport.center = point
                        session.follow = false
                    }
                case .replay(let vehicleID):
                    session.startReplay(try replay(of: vehicleID, from: store))
                case nil: break
                }
            }
        }
    }

    /// The selected vehicle's stored track for replay: the 24 hours up to its last fix, at most 50,000 fixes.
    private func replay(of vehicleID: String, from store: SQLiteTrackStore) throws -> MapReplay? {
        guard let frame = currentFrame, let last = try store.lastPoint(vehicleID: vehicleID, atOrBefore: nil) else {
            return nil
        }
        let start = UTCInstant(microsecondsSinceEpoch: last.time.microsecondsSinceEpoch - 86_400_000_000)
        let fixes = try store.track(vehicleID: vehicleID, from: start, to: nil).suffix(50_000).compactMap { point in
            (try? frame.project(point.coordinate)).map {
                ReplayFix(
                    time: point.time, point: $0, courseDegrees: point.courseDegrees,
                    speedMetersPerSecond: point.speedMetersPerSecond)
            }
        }
        return MapReplay(vehicleID: vehicleID, fixes: fixes)
    }

    /// The newest 200 events as panel lines.
    private func panelEvents(_ store: SQLiteTrackStore) throws -> [PanelEvent] {
        try store.storedEvents(EventQuery(limit: 200), order: .newestFirst).map { stored in
            let event = stored.event
            let clock = String(event.time.iso8601.dropFirst(11).prefix(8))
            let point = currentFrame.flatMap { try? $0.project(event.coordinate) }
            return PanelEvent(
                id: stored.id, text: "\(clock) \(event.vehicleID) \(event.kind.rawValue) \(event.subject)",
                acknowledged: event.acknowledgedAt != nil, point: point)
        }
    }

    /// The scene in a UTM frame around the fleet, the extent of the vehicles (or of everything), a status line.
    private func buildScene(_ store: SQLiteTrackStore) throws -> (MapScene, (PlanarPoint, PlanarPoint)?, String) {
        let vehicles = try store.vehicles()
        let last = Dictionary(try store.lastPositions().map { ($0.vehicleID, $0) }, uniquingKeysWith: { a, _ in a })
        let fences = try store.geofences()
        let routes = try store.routes()
        // Off route: the latest of a vehicle's deviation and return events is a deviation.
        var offRoute: [String: Bool] = [:]
        for event in try store.events(EventQuery(kinds: [.routeDeviation, .routeReturn])) {
            offRoute[event.vehicleID] = event.kind == .routeDeviation
        }
        var anchor = Array(last.values.map(\.coordinate))
        if anchor.isEmpty { anchor = fences.flatMap(\.shape.coordinates) + routes.flatMap(\.line) }
        guard !anchor.isEmpty else { return (MapScene(), nil, "no vehicles, geofences or routes in the database") }
        let frame = try currentFrame ?? LocalFrame.utm(for: anchor)
        frameBox.frame = frame
        func project(_ coordinates: [Coordinate]) -> [PlanarPoint] { frame.project(coordinates).compactMap(\.self) }

        var scene = MapScene()
        for path in basemap {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            for feature in try GeoJSON.features(in: data) {
                let colour: UInt8 = feature.type.contains("Polygon") ? 25 : 240
                for ring in Self.rings(feature.geometry) {
                    scene.basemap.append(
                        MapLine(points: project(ring), closed: feature.type.contains("Polygon"), colour: colour))
                }
            }
        }
        for fence in fences {
            switch fence.shape {
            case .polygons(let polygons):
                for ring in polygons.flatMap(\.self) {
                    scene.overlays.append(MapLine(points: project(ring), closed: true, colour: 141))
                }
            case .circle(let center, let radius):
                guard let middle = try? frame.project(center) else { continue }
                let ring = (0..<48).map { step -> PlanarPoint in
                    let angle = Double(step) / 48 * 2 * .pi
                    return PlanarPoint(x: middle.x + radius * cos(angle), y: middle.y + radius * sin(angle))
                }
                scene.overlays.append(MapLine(points: ring, closed: true, colour: 141))
            case .corridor(let line, _):
                scene.overlays.append(MapLine(points: project(line), colour: 141))
            }
        }
        for route in routes { scene.overlays.append(MapLine(points: project(route.line), colour: 39)) }
        let now = UTCInstant.now
        var low = PlanarPoint(x: .infinity, y: .infinity)
        var high = PlanarPoint(x: -.infinity, y: -.infinity)
        var counts: [MarkerState: Int] = [:]
        for vehicle in vehicles {
            guard let fix = last[vehicle.id], let point = try? frame.project(fix.coordinate) else { continue }
            let age = (now.microsecondsSinceEpoch - fix.time.microsecondsSinceEpoch) / 1_000_000
            let state: MarkerState =
                offRoute[vehicle.id] == true
                ? .alarm : age > 600 ? .stale : (fix.speedMetersPerSecond ?? 0) > 1.4 ? .moving : .stopped
            counts[state, default: 0] += 1
            scene.vehicles.append(
                MapVehicle(
                    id: vehicle.id, label: vehicle.name, point: point, state: state, courseDegrees: fix.courseDegrees))
            low = PlanarPoint(x: min(low.x, point.x), y: min(low.y, point.y))
            high = PlanarPoint(x: max(high.x, point.x), y: max(high.y, point.y))
        }
        if scene.vehicles.isEmpty {
            for line in scene.overlays {
                for point in line.points {
                    low = PlanarPoint(x: min(low.x, point.x), y: min(low.y, point.y))
                    high = PlanarPoint(x: max(high.x, point.x), y: max(high.y, point.y))
                }
            }
        }
        let status =
            "\(scene.vehicles.count) vehicles: \(counts[.moving, default: 0]) moving, \(counts[.stopped, default: 0]) stopped, "
            + "\(counts[.stale, default: 0]) stale, \(counts[.alarm, default: 0]) off route · \(fences.count) geofences · "
            + "\(routes.count) routes · \(now.iso8601)"
        return (scene, low.x.isFinite ? (low, high) : nil, status)
    }

    /// The rings and lines of a GeoJSON geometry as coordinate lists.
    static func rings(_ geometry: [String: Any]) -> [[Coordinate]] {
        func line(_ value: Any?) -> [Coordinate] {
            ((value as? [[Double]]) ?? []).compactMap {
                $0.count >= 2 ? Coordinate(latitude: $0[1], longitude: $0[0]) : nil
            }
        }
        let coordinates = geometry["coordinates"]
        switch geometry["type"] as? String ?? "" {
        case "LineString": return [line(coordinates)]
        case "MultiLineString", "Polygon": return ((coordinates as? [Any]) ?? []).map(line)
        case "MultiPolygon": return ((coordinates as? [[Any]]) ?? []).flatMap { $0.map(line) }
        case "GeometryCollection":
            return ((geometry["geometries"] as? [[String: Any]]) ?? []).flatMap(rings)
        default: return []
        }
    }
}
