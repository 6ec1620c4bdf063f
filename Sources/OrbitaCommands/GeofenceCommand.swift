import ArgumentParser
import Foundation
import GeoJSON
import OrbitaModel
import StoreFactory
import TerminalOutput

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
