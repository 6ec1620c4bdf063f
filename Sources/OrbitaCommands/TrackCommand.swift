import ArgumentParser
import OrbitaModel
import OrbitaWire
import StoreFactory
import TerminalOutput

/// `orbita track`: one vehicle's track as GeoJSON, GPX or CSV.
struct TrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track", abstract: "Export a vehicle's track as GeoJSON, GPX or CSV.")

    @Argument(help: "The vehicle ID.") var vehicle: String
    @OptionGroup var database: DatabaseOption
    @Option(help: "From (ISO 8601 UTC or a date).") var from: InstantArgument?
    @Option(help: "To (ISO 8601 UTC or a date).") var to: InstantArgument?
    @Option(help: "geojson, gpx or csv.") var format = FormatArgument(.geojson)

    func run() throws {
        let store = try database.open()
        do {
            guard let known = try store.vehicle(id: vehicle) else {
                throw CommandError("orbita track: no vehicle \(vehicle) in \(database.resolved); see `orbita vehicles`")
            }
            let points = try store.track(vehicleID: vehicle, from: from?.instant, to: to?.instant)
            var output = OutputBuffer()
            TrackDocument.write(points, vehicle: known, format: format.format) { piece in
                output.write(bytes: piece)
            }
            output.flush()
        } catch let error as StoreError {
            throw CommandError("orbita track: \(error)")
        }
    }
}
