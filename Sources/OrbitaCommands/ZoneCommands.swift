import ArgumentParser
import Foundation
import GeoJSON
import OrbitaModel
import OrbitaWire
import Storage
import TerminalOutput
import TrackImport

/// `orbita geofence add|list|remove`.
struct GeofenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geofence", abstract: "Add, list and remove geofences (GeoJSON, longitude before latitude).",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a geofence, or replace the one with the same name.",
            discussion: """
                --geojson takes a Polygon or MultiPolygon (holes allowed), a Point with a "radius_m" property \
                (a circle), or a LineString with a "corridor_m" half-width (or give --corridor).
                """)

        @Argument(help: "A unique name.") var name: String
        @Option(help: "A GeoJSON file (Feature, FeatureCollection or geometry).") var geojson: String?
        @Option(help: "A circle: LAT,LON,RADIUS_M.") var circle: String?
        @Option(help: "Half-width in metres for a LineString given with --geojson.") var corridor: Double?
        @Option(help: "Only these vehicle IDs (comma-separated).") var vehicles: String?
        @Option(help: "Only these kinds (comma-separated: bus, tram, ambulance, …).") var kinds: String?
        @Option(help: "Speed limit inside, km/h (overspeed events).") var speedLimit: Double?
        @Option(help: "Raise geofenceDwell after this many seconds inside.") var dwell: Double?
        @OptionGroup var database: DatabaseOption
        @OptionGroup var fenceLimits: FenceLimitOptions

        func validate() throws {
            if let problem = ZoneName.problem(name) { throw ValidationError(problem) }
            guard (geojson == nil) != (circle == nil) else {
                throw ValidationError("give exactly one of --geojson FILE and --circle LAT,LON,RADIUS_M")
            }
            if let speedLimit, !(speedLimit > 0) { throw ValidationError("--speed-limit must be positive") }
            if let dwell, !(dwell > 0) { throw ValidationError("--dwell must be positive") }
        }

        func run() throws {
            let shape: GeoShape
            if let circle {
                let parts = circle.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 3, let lat = parts[0], let lon = parts[1], let radius = parts[2],
                    abs(lat) <= 90, abs(lon) <= 180, radius > 0, radius.isFinite
                else {
                    throw CommandError(
                        "orbita geofence add: --circle wants LAT,LON,RADIUS_M (e.g. 55.7558,37.6173,500)")
                }
                shape = .circle(center: Coordinate(latitude: lat, longitude: lon), radiusMeters: radius)
            } else {
                shape = try readShape(geojson ?? "", corridor: corridor)
            }
            var kindList: [VehicleKind] = []
            for name in list(kinds) {
                guard let kind = VehicleKind(rawValue: name) else {
                    throw CommandError(
                        "orbita geofence add: unknown kind \(name) (\(VehicleKind.allCases.map(\.rawValue).joined(separator: ", ")))"
                    )
                }
                kindList.append(kind)
            }
            let store = try database.open()
            let fence = Geofence(
                name: name, shape: shape, vehicleIDs: list(vehicles), kinds: kindList, speedLimitKmh: speedLimit,
                dwellSeconds: dwell)
            do {
                if let problem = fenceLimits.limits.problem(adding: fence, to: try store.geofences()) {
                    throw CommandError("orbita geofence add: \(name): \(problem)")
                }
                try store.save(fence)
            } catch let error as StoreError {
                throw CommandError("orbita geofence add: \(error)")
            }
            printText("geofence \(name) saved (\(shape.vertexCount) vertices)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the geofences as a GeoJSON FeatureCollection.")
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let store = try database.open()
            let fences: [Geofence]
            do {
                fences = try store.geofences()
            } catch {
                throw CommandError("orbita geofence list: \(error)")
            }
            let features = fences.map(GeoJSON.feature(of:))
            print(GeoJSON.text(["type": "FeatureCollection", "features": features]))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a geofence (its past events stay).")
        @Argument(help: "The geofence's name.") var name: String
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let store = try database.open()
            do {
                guard try store.removeGeofence(named: name) else {
                    throw CommandError("orbita geofence remove: no geofence named \(name)")
                }
            } catch let error as StoreError {
                throw CommandError("orbita geofence remove: \(error)")
            }
            printText("geofence \(name) removed")
        }
    }
}

/// `orbita route add|assign|exempt|list|remove`.
struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "Routes with corridors and checkpoints, and which vehicle drives which.",
        subcommands: [Add.self, Assign.self, Exempt.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a route, or replace the one with the same name (its assignments stay).")
        @Argument(help: "A unique name.") var name: String
        @Option(help: "A GeoJSON file with one LineString, drawn from the start terminal to the end.")
        var geojson: String?
        @Option(help: "A GTFS feed folder (with --shape).") var gtfs: String?
        @Option(help: "The shape_id in the feed's shapes.txt.") var shape: String?
        @Option(help: "Corridor half-width, metres.") var corridor: Double = 50
        @Option(help: "Checkpoints: GeoJSON Points in route order (properties name, radius_m).")
        var checkpoints: String?
        @OptionGroup var database: DatabaseOption

        func validate() throws {
            guard (geojson == nil) != (gtfs == nil) else {
                throw ValidationError("give exactly one of --geojson FILE and --gtfs DIR --shape ID")
            }
            if gtfs != nil, shape == nil { throw ValidationError("--gtfs needs --shape ID") }
            guard corridor > 0, corridor <= 10_000 else { throw ValidationError("--corridor must be 0–10000 m") }
        }

        func run() throws {
            var line: [Coordinate]
            if let gtfs, let shape {
                do {
                    guard let found = try GTFS.shapes(inFeed: gtfs)[shape] else {
                        throw CommandError("orbita route add: no shape \(shape) in \(gtfs)/shapes.txt")
                    }
                    line = found
                } catch let error as GTFS.ReadError {
                    throw CommandError("orbita route add: \(error)")
                }
            } else {
                do {
                    line = try GeoJSON.routeLine(in: try readFile(geojson ?? ""))
                } catch let error as GeoJSON.ParseError {
                    throw CommandError("orbita route add: \(geojson ?? ""): \(error)")
                }
            }
            guard line.count >= 2 else {
                throw CommandError("orbita route add: a route needs at least two points")
            }
            var stops: [Checkpoint] = []
            if let checkpoints {
                do {
                    stops = try GeoJSON.checkpoints(in: try readFile(checkpoints))
                } catch let error as GeoJSON.ParseError {
                    throw CommandError("orbita route add: \(checkpoints): \(error)")
                }
            }
            let store = try database.open()
            do {
                try store.save(Route(name: name, line: line, corridorMeters: corridor, checkpoints: stops))
            } catch {
                throw CommandError("orbita route add: \(error)")
            }
            printText("route \(name) saved: \(line.count) points, \(stops.count) checkpoints, corridor \(corridor) m")
        }
    }

    struct Assign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Assign a route to a vehicle for a period.")
        @Argument(help: "The vehicle ID.") var vehicle: String
        @Argument(help: "The route's name.") var route: String
        @Option(help: "From (ISO 8601 UTC or a date; default: always).") var from: InstantArgument?
        @Option(help: "To (ISO 8601 UTC or a date; default: open).") var to: InstantArgument?
        @OptionGroup var database: DatabaseOption

        func validate() throws {
            if let from, let to, from.instant > to.instant { throw ValidationError("--from must not be after --to") }
        }

        func run() throws {
            let store = try database.open()
            do {
                try store.assign(
                    RouteAssignment(vehicleID: vehicle, route: route, from: from?.instant, to: to?.instant))
            } catch {
                throw CommandError("orbita route assign: \(error)")
            }
            printText("route \(route) assigned to \(vehicle)")
        }
    }

    struct Exempt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a detour or silence a vehicle: no route judgement between two instants.")
        @Argument(help: "The vehicle ID.") var vehicle: String
        @Option(help: "From (ISO 8601 UTC).") var from: InstantArgument
        @Option(help: "To (ISO 8601 UTC).") var to: InstantArgument
        @Option(help: "Why (shown to dispatchers).") var reason = "approved detour"
        @OptionGroup var database: DatabaseOption

        func run() throws {
            guard from.instant <= to.instant else {
                throw CommandError("orbita route exempt: --from must not be after --to")
            }
            let store = try database.open()
            do {
                try store.exempt(
                    RouteExemption(vehicleID: vehicle, from: from.instant, to: to.instant, reason: reason))
            } catch {
                throw CommandError("orbita route exempt: \(error)")
            }
            printText("\(vehicle) exempt from route judgement \(from.instant.iso8601) – \(to.instant.iso8601)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print routes as a GeoJSON FeatureCollection (assignments in the properties).")
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let store = try database.open()
            do {
                let assignments = try store.assignments()
                let features = try store.routes().map { GeoJSON.feature(of: $0, assignments: assignments) }
                print(GeoJSON.text(["type": "FeatureCollection", "features": features]))
            } catch {
                throw CommandError("orbita route list: \(error)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a route and its assignments.")
        @Argument(help: "The route's name.") var name: String
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let store = try database.open()
            do {
                guard try store.removeRoute(named: name) else {
                    throw CommandError("orbita route remove: no route named \(name)")
                }
            } catch let error as StoreError {
                throw CommandError("orbita route remove: \(error)")
            }
            printText("route \(name) removed")
        }
    }
}

/// `orbita events`: stored geofence and route events.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Print stored events, oldest first, as a table or JSON lines.")

    @OptionGroup var database: DatabaseOption
    @Option(help: "Only this vehicle.") var vehicle: String?
    @Option(help: "Only this kind (geofenceEnter, routeDeviation, …); repeatable.") var kind: [EventKindArgument] = []
    @Option(help: "From (ISO 8601 UTC or a date).") var since: InstantArgument?
    @Option(help: "Until (ISO 8601 UTC or a date).") var until: InstantArgument?
    @Option(help: "At most this many.") var limit: Int?
    @Option(help: "table, or json: one object a line, as the API gives events.") var format = EventsFormat.table

    func run() throws {
        let store = try database.open()
        let events: [StoredEvent]
        do {
            events = try store.storedEvents(
                EventQuery(
                    vehicleID: vehicle, kinds: kind.map(\.kind), since: since?.instant, until: until?.instant,
                    limit: limit), order: .oldestFirst)
        } catch {
            throw CommandError("orbita events: \(error)")
        }
        var output = OutputBuffer()
        switch format {
        case .json:
            var json = JSONWriter(capacity: 512)
            for stored in events {
                json.clear()
                Wire.Event(stored).write(to: &json)
                json.bytes.append(UInt8(ascii: "\n"))
                output.write(bytes: json.bytes)
            }
        case .table:
            var rows = [["id", "time", "vehicle", "kind", "subject", "lat", "lon", "details"]]
            for stored in events {
                let event = stored.event
                rows.append([
                    String(stored.id), event.time.iso8601, event.vehicleID, event.kind.rawValue, event.subject,
                    TextFormat.fixed(event.coordinate.latitude, decimals: 6),
                    TextFormat.fixed(event.coordinate.longitude, decimals: 6), Self.details(Wire.Event(stored)),
                ])
            }
            output.write(TextTable.render(rows) + "\n")
        }
        output.flush()
    }
}

extension EventsCommand {
    /// The kind's measurements as `name=value` pairs, named as in JSON.
    static func details(_ event: Wire.Event) -> String {
        let metrics: [(String, Double?)] = [
            ("distance_m", event.distanceM), ("progress_m", event.progressM), ("skipped_m", event.skippedM),
            ("duration_s", event.durationS), ("speed_kmh", event.speedKmh), ("limit_kmh", event.limitKmh),
        ]
        return metrics.compactMap { name, value in value.map { "\(name)=\(TextFormat.fixed($0, decimals: 1))" } }
            .joined(separator: " ")
    }
}

/// `orbita events --format`.
enum EventsFormat: String, ExpressibleByArgument, CaseIterable {
    /// Aligned columns for people.
    case table
    /// One JSON object a line (`Wire.Event`).
    case json
}

/// An event kind on the command line.
struct EventKindArgument: ExpressibleByArgument {
    let kind: EventKind
    init?(argument: String) {
        guard let kind = EventKind(rawValue: argument) else { return nil }
        self.kind = kind
    }
    static var allValueStrings: [String] { EventKind.allCases.map(\.rawValue) }
}

private func list(_ text: String?) -> [String] {
    (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

private func readFile(_ path: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CommandError("orbita: cannot read \(path)")
    }
    return data
}

private func readShape(_ path: String, corridor: Double?) throws -> GeoShape {
    do {
        return try GeoJSON.shape(in: try readFile(path), defaultHalfWidth: corridor)
    } catch let error as GeoJSON.ParseError {
        throw CommandError("orbita geofence add: \(path): \(error)")
    }
}
