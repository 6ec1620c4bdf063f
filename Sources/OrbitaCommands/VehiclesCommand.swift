import ArgumentParser
import OrbitaModel
import StoreFactory
import TerminalOutput

/// `orbita vehicles`: list (the default) and register vehicles.
struct VehiclesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vehicles", abstract: "List or register vehicles.",
        subcommands: [VehiclesListCommand.self, VehiclesAddCommand.self], defaultSubcommand: VehiclesListCommand.self)
}

/// `orbita vehicles add`: registers a vehicle (a live server accepts only registered devices by default).
struct VehiclesAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Register a vehicle (or change its name, kind or registration).")

    @Argument(help: "The device identity the tracker sends (IMEI or ID).") var id: String
    @OptionGroup var database: DatabaseOption
    @Option(help: "A display name (default: the ID).") var name: String?
    @Option(help: "The kind: \(VehicleKind.allCases.map(\.rawValue).joined(separator: ", ")).") var kind: KindArgument?
    @Option(help: "The registration plate.") var registration: String?

    func validate() throws {
        if let problem = VehicleIdentifier.problem(id) { throw ValidationError(problem) }
    }

    func run() throws {
        let store = try database.open()
        do {
            var vehicle = try store.vehicle(id: id) ?? Vehicle(id: id)
            if let name { vehicle.name = name }
            if let kind { vehicle.kind = kind.kind }
            if let registration { vehicle.registration = registration }
            try store.save(vehicle)
            printText("registered \(vehicle.id) (\(vehicle.name), \(vehicle.kind.rawValue))")
        } catch {
            throw CommandError("orbita vehicles add: \(error)")
        }
    }
}

/// `orbita vehicles list`: every vehicle with its track summary.
struct VehiclesListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the vehicles in the database with their track summaries.")

    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try database.open()
        let summaries: [VehicleSummary]
        do {
            summaries = try store.summaries()
        } catch {
            throw CommandError("orbita vehicles: \(error)")
        }
        var rows = [["vehicle", "name", "kind", "fixes", "first", "last", "distance_km"]]
        for summary in summaries {
            rows.append([
                summary.vehicle.id, summary.vehicle.name, summary.vehicle.kind.rawValue, String(summary.fixCount),
                summary.firstTime?.iso8601 ?? "-", summary.lastTime?.iso8601 ?? "-",
                TextFormat.fixed(summary.distanceMeters / 1000, decimals: 3),
            ])
        }
        printText(TextTable.render(rows))
    }
}
