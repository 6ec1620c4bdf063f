public import ConsoleMap
public import Foundation
import GeoJSON
public import Geodesy
public import OrbitaModel
import OrbitaWire

/// Turns what a feed holds into what the terminal map draws: a scene in one metric frame (a UTM zone around the
/// fleet, chosen at the first data and kept, so the view does not jump when vehicles move), the basemap projected
/// into it once, panel lines and replays. Not thread-safe: the map's loop owns it.
public final class MapSceneBuilder {
    /// Where the basemap comes from.
    public enum Basemap: Sendable {
        /// None at all.
        case none
        /// The built-in Natural Earth map around the fleet.
        case builtIn
        /// GeoJSON layers: lines and polygon rings, and points with a `name` (or `NAME`, `name_en`) as places.
        case files([String])
    }

    /// A scene, the extent of its vehicles (or of everything when there are none), and a status line.
    public struct Built {
        /// What to draw.
        public var scene: MapScene
        /// The extent to fit the view to; nil when there is nothing.
        public var extent: (PlanarPoint, PlanarPoint)?
        /// The status line.
        public var status: String
    }

    private let basemapSource: Basemap
    /// The frame, once there was data to choose it.
    public private(set) var frame: LocalFrame?
    private var basemap: MapSimplifier?
    /// The zones last drawn and their projected outlines (projected again only when the zones change).
    private var zones: (fences: [GeoShape], routes: [[Coordinate]], overlays: [MapLine])?

    /// A builder drawing `basemap`.
    public init(basemap: Basemap) { basemapSource = basemap }

    /// The scene in a UTM frame around the fleet, the extent of the vehicles (or of everything), a status line.
    public func build(_ data: MapData, now: UTCInstant = .now) throws -> Built {
        var anchor = data.last.values.map(\.coordinate)
        if anchor.isEmpty { anchor = data.fences.flatMap(\.coordinates) + data.routes.flatMap(\.self) }
        guard !anchor.isEmpty else {
            return Built(
                scene: MapScene(), extent: nil, status: Self.prefix(data) + "no vehicles, geofences or routes yet")
        }
        let frame = try self.frame ?? LocalFrame.utm(for: anchor)
        if self.frame == nil {
            self.frame = frame
            let (lines, places) = try loadBasemap(frame, around: anchor)
            basemap = MapSimplifier(lines, places: places)
        }

        var scene = MapScene()
        if let zones, zones.fences == data.fences, zones.routes == data.routes {
            scene.overlays = zones.overlays
        } else {
            scene.overlays = Self.outlines(data, frame: frame)
            zones = (data.fences, data.routes, scene.overlays)
        }
        var low = PlanarPoint(x: .infinity, y: .infinity)
        var high = PlanarPoint(x: -.infinity, y: -.infinity)
        var counts: [MarkerState: Int] = [:]
        for (id, fix) in data.last {
            guard let point = try? frame.project(fix.coordinate) else { continue }
            let state: MarkerState =
                data.offRoute.contains(id)
                ? .alarm
                : MarkerState(
                    LiveState(reportedAt: fix.time, speedMetersPerSecond: fix.speedMetersPerSecond, now: now))
            counts[state, default: 0] += 1
            scene.vehicles.append(
                MapVehicle(
                    id: id, label: data.names[id] ?? id, point: point, state: state, courseDegrees: fix.courseDegrees))
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
            Self.prefix(data)
            + "\(scene.vehicles.count) vehicles: \(counts[.moving, default: 0]) moving, \(counts[.stopped, default: 0]) stopped, "
            + "\(counts[.stale, default: 0]) stale, \(counts[.alarm, default: 0]) off route · \(data.fences.count) geofences · "
            + "\(data.routes.count) routes · \(now.iso8601)"
        return Built(scene: scene, extent: low.x.isFinite ? (low, high) : nil, status: status)
    }

    /// The scene with the basemap simplified for the viewport's zoom, and its places.
    public func withBasemap(_ scene: MapScene, _ viewport: MapViewport) -> MapScene {
        guard let basemap else { return scene }
        var scene = scene
        scene.basemap = basemap.lines(metresPerDot: viewport.metresPerDot)
        scene.places = basemap.places(metresPerDot: viewport.metresPerDot)
        return scene
    }

    /// The events as panel lines.
    public func panelEvents(_ data: MapData) -> [PanelEvent] {
        data.events.map { event in
            let clock = String(event.time.iso8601.dropFirst(11).prefix(8))
            let point = frame.flatMap { try? $0.project(event.coordinate) }
            return PanelEvent(
                id: event.id, text: "\(clock) \(event.line)", acknowledged: event.acknowledged, point: point)
        }
    }

    /// A vehicle's stored track for replay (the 24 hours up to its last fix), in the map's frame.
    public func replay(of vehicleID: String, from feed: any MapFeed) throws -> MapReplay? {
        replay(of: vehicleID, try feed.track(vehicleID))
    }

    /// A trip of `from` to `to` of a vehicle, replayed.
    public func replay(of vehicleID: String, from: UTCInstant, to: UTCInstant, feed: any MapFeed) throws -> MapReplay? {
        replay(of: vehicleID, try feed.track(vehicleID, from: from, to: to))
    }

    /// A replay of fixes, projected into the frame.
    private func replay(of vehicleID: String, _ track: [MapData.Fix]) -> MapReplay? {
        guard let frame else { return nil }
        let fixes = track.compactMap { fix in
            (try? frame.project(fix.coordinate)).map {
                ReplayFix(
                    time: fix.time, point: $0, courseDegrees: fix.courseDegrees,
                    speedMetersPerSecond: fix.speedMetersPerSecond)
            }
        }
        return MapReplay(vehicleID: vehicleID, fixes: fixes)
    }

    /// The report panel's rows: trips and stops in time order, each a line of its times, length or duration, and
    /// its geofences.
    public func reportRows(_ report: MapReport, timeZone: TimeZone) -> [MapReportRow] {
        let formatter = DateFormatter()
        formatter.timeZone = timeZone
        formatter.dateFormat = "HH:mm"
        func clock(_ time: UTCInstant) -> String {
            formatter.string(from: Date(timeIntervalSince1970: time.secondsSinceEpoch))
        }
        func minutes(_ seconds: Double) -> String {
            seconds >= 3_600
                ? "\(Int(seconds / 3_600))h\(String(format: "%02d", Int(seconds) % 3_600 / 60))"
                : "\(Int((seconds / 60).rounded())) min"
        }
        var rows: [(UTCInstant, MapReportRow)] = report.trips.map { trip in
            (
                trip.start,
                MapReportRow(
                    text:
                        "\(clock(trip.start))–\(clock(trip.end)) trip \(String(format: "%.1f", trip.distanceM / 1000)) km"
                        + (trip.open ? " (on)" : ""),
                    kind: .trip(from: trip.start, to: trip.end))
            )
        }
        rows += report.stops.map { stop in
            let point = frame.flatMap { try? $0.project(Coordinate(latitude: stop.lat, longitude: stop.lon)) }
            let fences = stop.geofences.isEmpty ? "" : " " + stop.geofences.joined(separator: ",")
            return (
                stop.start,
                MapReportRow(
                    text: "\(clock(stop.start)) \(stop.kind.rawValue) \(minutes(stop.durationS))\(fences)",
                    kind: .halt(point))
            )
        }
        return rows.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Geofence outlines and route lines in the frame.
    private static func outlines(_ data: MapData, frame: LocalFrame) -> [MapLine] {
        func project(_ coordinates: [Coordinate]) -> [PlanarPoint] { frame.project(coordinates).compactMap(\.self) }
        var overlays: [MapLine] = []
        for shape in data.fences {
            switch shape {
            case .polygons(let polygons):
                for ring in polygons.flatMap(\.self) {
                    overlays.append(MapLine(points: project(ring), closed: true, colour: 141))
                }
            case .circle(let center, let radius):
                guard let middle = try? frame.project(center) else { continue }
                let ring = (0..<48).map { step -> PlanarPoint in
                    let angle = Double(step) / 48 * 2 * .pi
                    return PlanarPoint(x: middle.x + radius * cos(angle), y: middle.y + radius * sin(angle))
                }
                overlays.append(MapLine(points: ring, closed: true, colour: 141))
            case .corridor(let line, _):
                overlays.append(MapLine(points: project(line), colour: 141))
            }
        }
        for route in data.routes { overlays.append(MapLine(points: project(route), colour: 39)) }
        return overlays
    }

    /// The connection's state first on the status line (server mode).
    private static func prefix(_ data: MapData) -> String { data.connection.isEmpty ? "" : "[\(data.connection)] " }

    /// The basemap, projected once.
    private func loadBasemap(_ frame: LocalFrame, around anchor: [Coordinate]) throws -> ([MapLine], [MapPlace]) {
        switch basemapSource {
        case .none: return ([], [])
        case .files(let paths): return try Self.loadFiles(paths, frame)
        case .builtIn: break
        }
        // The region a transverse Mercator frame around the fleet draws well: 25° of longitude and 15° of
        // latitude either side of it.
        let latitude = anchor.map(\.latitude).reduce(0, +) / Double(anchor.count)
        let longitude = anchor.map(\.longitude).reduce(0, +) / Double(anchor.count)
        var lines: [MapLine] = []
        var places: [MapPlace] = []
        for feature in DefaultBasemap.features(
            south: latitude - 15, west: longitude - 25, north: latitude + 15, east: longitude + 25)
        {
            let points = frame.project(feature.coordinates).compactMap(\.self)
            switch feature.kind {
            case .place:
                guard let point = points.first else { continue }
                places.append(
                    MapPlace(point: point, name: feature.name, maximumMetresPerDot: feature.maximumMetresPerDot))
            case .coastline, .border, .lake, .river:
                let colour: UInt8 =
                    switch feature.kind {
                    case .coastline: 31
                    case .lake: 25
                    case .river: 24
                    default: 243
                    }
                lines.append(
                    MapLine(
                        points: points, closed: feature.kind == .lake, colour: colour,
                        maximumMetresPerDot: feature.maximumMetresPerDot))
            }
        }
        return (lines, places)
    }

    /// GeoJSON layers: lines and polygon rings, and points with a `name` (or `NAME`, `name_en`) as places.
    private static func loadFiles(_ paths: [String], _ frame: LocalFrame) throws -> ([MapLine], [MapPlace]) {
        var lines: [MapLine] = []
        var places: [MapPlace] = []
        for path in paths {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            for feature in try GeoJSON.features(in: data) {
                if feature.type == "Point" || feature.type == "MultiPoint" {
                    let name = ["name", "NAME", "name_en"].lazy.compactMap { feature.properties[$0] as? String }.first
                    guard let name else { continue }
                    for point in frame.project(feature.points).compactMap(\.self) {
                        places.append(MapPlace(point: point, name: name))
                    }
                    continue
                }
                let colour: UInt8 = feature.type.contains("Polygon") ? 25 : 240
                for ring in feature.lines {
                    let points = frame.project(ring).compactMap(\.self)
                    lines.append(MapLine(points: points, closed: feature.type.contains("Polygon"), colour: colour))
                }
            }
        }
        return (lines, places)
    }
}
