import ArgumentParser
import FleetSimulation
import Foundation
import Geodesy
import Geofencing
import Glibc
import OrbitaModel
import StoreFactory
import TerminalOutput
import Tracking

/// `orbita bench geofence`: fence membership per point, fix by fix on one core, on the anchors' data set.
struct GeofenceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geofence",
        abstract: "Point-in-fence checks per second, one point at a time (data of ../shared/bench/gen_geo.py).")

    @Argument(help: "Fences: id<TAB>SRID=4326;POLYGON((lon lat, …)) per line.") var fences: String
    @Argument(help: "Points: lon<TAB>lat per line.") var points: String
    @Option(help: "Use at most this many points.") var limit = 1_000_000
    @Option(help: "Runs; the median is reported.") var runs = 3

    func run() throws {
        let frame = try LocalFrame(crs: "EPSG:32637")
        let started = ContinuousClock.now
        var shapes: [PlanarShape] = []
        for ring in try WKTRings.read(fences) {
            let planar = ring.compactMap { try? frame.project($0) }
            if planar.count >= 3 { shapes.append(.polygons([Polygon(outer: Ring(planar))])) }
        }
        let index = FenceIndex(shapes: shapes)
        var coordinates: [Coordinate] = []
        for line in try lines(of: points).prefix(limit) {
            let parts = line.split(separator: "\t")
            guard parts.count >= 2, let lon = Double(parts[0]), let lat = Double(parts[1]) else { continue }
            coordinates.append(Coordinate(latitude: lat, longitude: lon))
        }
        let load = (ContinuousClock.now - started).secondsValue
        // Membership only (points already on the plane), and with each point projected by PROJ as a live fix is.
        let planar = coordinates.map { (try? frame.project($0)) ?? PlanarPoint(x: 0, y: 0) }
        var membership: [Double] = []
        var projected: [Double] = []
        var hits = 0
        for _ in 0..<max(1, runs) {
            hits = 0
            var clock = ContinuousClock.now
            for point in planar {
                index.forEachContaining(point) { _ in hits += 1 }
            }
            membership.append((ContinuousClock.now - clock).secondsValue)
            clock = ContinuousClock.now
            var projectedHits = 0
            for coordinate in coordinates {
                guard let point = try? frame.project(coordinate) else { continue }
                index.forEachContaining(point) { _ in projectedHits += 1 }
            }
            projected.append((ContinuousClock.now - clock).secondsValue)
            precondition(projectedHits == hits)
        }
        let count = Double(planar.count)
        print(
            "bench=geofence fences=\(shapes.count) points=\(planar.count) pairs=\(hits) "
                + "load_s=\(TextFormat.fixed(load, decimals: 2)) "
                + "points_per_s=\(Int(count / median(membership))) "
                + "points_per_s_with_projection=\(Int(count / median(projected)))")
    }
}

/// `orbita bench zones`: bulk-load fences into a new database, read them back and build the zone set, as a server
/// starting on a database with many fences does.
struct ZonesBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zones", abstract: "Time saving, reading and indexing fences (data of ../shared/bench/gen_geo.py)."
    )

    @Argument(help: "Fences: id<TAB>SRID=4326;POLYGON((lon lat, …)) per line.") var fences: String
    @Option(help: "The scratch database: a SQLite file (deleted first) or a postgres:// URL of an empty database.")
    var db = "/tmp/orbita-bench/zones-bench.sqlite"
    @Flag(help: "Keep the database (a set-up for other benchmarks) instead of deleting it.") var keep = false

    func run() throws {
        let location = try DatabaseLocation(parsing: db)
        if case .sqlite(let path) = location { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
        let rings = try WKTRings.read(fences)
        let geofences = rings.enumerated().map {
            Geofence(name: "fence-\($0.offset)", shape: .polygons([[$0.element]]))
        }
        let store = try StoreFactory.open(location)
        var clock = ContinuousClock.now
        try store.save(geofences)
        let save = (ContinuousClock.now - clock).secondsValue
        clock = ContinuousClock.now
        let loaded = try store.geofences()
        let read = (ContinuousClock.now - clock).secondsValue
        clock = ContinuousClock.now
        let zones = try ZoneSet(frame: try LocalFrame(crs: "EPSG:32637"), fences: loaded)
        let build = (ContinuousClock.now - clock).secondsValue
        print(
            "bench=zones fences=\(zones.fences.count) save_s=\(TextFormat.fixed(save, decimals: 2)) "
                + "read_s=\(TextFormat.fixed(read, decimals: 2)) index_s=\(TextFormat.fixed(build, decimals: 2))")
        if !keep, case .sqlite(let path) = location { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
    }
}

/// `orbita bench fleet`: registers the generator's vehicles (`orbita bench generate`'s IDs) as buses and assigns
/// them a route: the live benchmarks' fleet, on either backend.
struct FleetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "Register the benchmark fleet's vehicles and assign them a stored route.")

    @Option(help: "The database (a SQLite file or a postgres:// URL).") var db: String
    @Option(help: "Vehicles.") var vehicles = 10_000
    @Option(help: "The stored route to assign to every vehicle.") var route: String?

    func run() throws {
        let store = try StoreFactory.open(try DatabaseLocation(parsing: db))
        let ids = FleetLogGenerator(vehicles: vehicles, seed: 1).vehicleIDs
        for id in ids { try store.save(Vehicle(id: id, kind: .bus)) }
        if let route {
            for id in ids { try store.assign(RouteAssignment(vehicleID: id, route: route)) }
        }
        print("bench=fleet vehicles=\(ids.count) route=\(route ?? "-")")
    }
}

/// WKT polygon rings (`… POLYGON((lon lat, …))` per line) read with strtod over the file's bytes (String splitting
/// took 40 s for 11 M vertices).
enum WKTRings {
    static func read(_ path: String) throws -> [[Coordinate]] {
        var text = try bytes(of: path)
        text.append(0)
        var rings: [[Coordinate]] = []
        text.withUnsafeMutableBufferPointer { buffer in
            guard var cursor = buffer.baseAddress else { return }
            let end = cursor + buffer.count - 1
            while cursor < end {
                guard let open = strchr(cursor, 0x28) else { break }  // "("
                cursor = open
                while cursor.pointee == 0x28 { cursor += 1 }
                var ring: [Coordinate] = []
                while cursor < end, cursor.pointee != 0x29 {  // ")"
                    var next: UnsafeMutablePointer<CChar>? = nil
                    let lon = strtod(cursor, &next)
                    guard let afterLon = next, afterLon != cursor else { break }
                    let lat = strtod(afterLon, &next)
                    guard let afterLat = next, afterLat != afterLon else { break }
                    cursor = afterLat
                    ring.append(Coordinate(latitude: lat, longitude: lon))
                    if cursor.pointee == 0x2C { cursor += 1 }  // ","
                }
                if ring.count > 1, ring.first == ring.last { ring.removeLast() }
                if ring.count >= 3 { rings.append(ring) }
                guard let newline = strchr(cursor, 0x0A) else { break }
                cursor = newline + 1
            }
        }
        return rings
    }
}

/// `orbita bench route`: route-deviation evaluations per second against the anchors' 2,000-segment route.
struct RouteBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Route judgements per second: a vehicle driving the route of ../shared/bench/gen_geo.py.")

    @Argument(help: "route.npy (float64 lon,lat pairs) from gen_geo.py.") var route: String
    @Option(help: "Fixes to evaluate.") var fixes = 1_000_000
    @Option(help: "Runs; the median is reported.") var runs = 3

    func run() throws {
        let line = try NumpyPairs.read(route).map { Coordinate(latitude: $0.1, longitude: $0.0) }
        let frame = try LocalFrame(crs: "EPSG:32637")
        let planar = Polyline(try line.map { try frame.project($0) })
        // 1 fix a second at 12 m/s with ±5 m noise, back to the start when the route ends; a 400 m detour every 5 km.
        var rng = SeededGenerator(seed: 5)
        var points: [TrackPoint] = []
        points.reserveCapacity(fixes)
        var along = 0.0
        for second in 0..<fixes {
            along += 12
            if along > planar.length { along = 0 }
            var here = planar.point(at: along)
            let segment = planar.segment(at: along)
            if Int(along) % 5000 < 600, along > 1000 { here.x += 400 }
            here.x += rng.uniform(-5, 5)
            here.y += rng.uniform(-5, 5)
            points.append(
                TrackPoint(
                    vehicleID: "bus",
                    time: UTCInstant(microsecondsSinceEpoch: 1_780_000_000_000_000 + Int64(second) * 1_000_000),
                    coordinate: try frame.unproject(here), speedMetersPerSecond: 12,
                    courseDegrees: planar.bearing(ofSegment: segment), mode: .threeDimensional, hdop: 0.9,
                    satellitesUsed: 10))
        }
        var timings: [Double] = []
        var counts: [EventKind: Int] = [:]
        for _ in 0..<max(1, runs) {
            let zones = try ZoneSet(
                frame: frame, routes: [Route(name: "r", line: line)],
                assignments: [RouteAssignment(vehicleID: "bus", route: "r")])
            let engine = EventEngine(zones: zones, frame: try LocalFrame(crs: "EPSG:32637"))
            var events: [VehicleEvent] = []
            let clock = ContinuousClock.now
            for point in points { engine.evaluate(point, appendingTo: &events) }
            timings.append((ContinuousClock.now - clock).secondsValue)
            counts = Dictionary(grouping: events, by: \.kind).mapValues(\.count)
        }
        let events = counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }
        print(
            "bench=route vertices=\(line.count) fixes=\(points.count) "
                + "evaluations_per_s=\(Int(Double(points.count) / median(timings))) "
                + "events=\(events.joined(separator: ","))")
    }
}

private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

private func bytes(of path: String) throws -> [CChar] {
    guard let data = FileManager.default.contents(atPath: path) else {
        printError("orbita bench: cannot read \(path)")
        throw ExitCode(1)
    }
    return data.map { CChar(bitPattern: $0) }
}

private func lines(of path: String) throws -> [Substring] {
    guard let data = FileManager.default.contents(atPath: path) else {
        printError("orbita bench: cannot read \(path)")
        throw ExitCode(1)
    }
    return String(decoding: data, as: UTF8.self).split(separator: "\n")
}

/// Reads a NumPy `.npy` file of float64 pairs (shape (N, 2), C order, little-endian).
enum NumpyPairs {
    static func read(_ path: String) throws -> [(Double, Double)] {
        guard let data = FileManager.default.contents(atPath: path), data.count > 10,
            data.prefix(6) == Data([0x93]) + Data("NUMPY".utf8)
        else {
            printError("orbita bench: \(path) is not a .npy file")
            throw ExitCode(1)
        }
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        guard header.contains("<f8"), header.contains("False") else {
            printError("orbita bench: \(path): expected little-endian float64 in C order")
            throw ExitCode(1)
        }
        let body = data[(10 + headerLength)...]
        let values = body.withUnsafeBytes { raw in Array(raw.bindMemory(to: Double.self)) }
        return stride(from: 0, to: values.count - 1, by: 2).map { (values[$0], values[$0 + 1]) }
    }
}
