import ArgumentParser
import GeoJSON
import OrbitaModel
import StoreFactory
import TerminalOutput

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
