public import ArgumentParser

/// The `orbita` command line: one subcommand per job.
public struct OrbitaCommand: AsyncParsableCommand {
    /// The command's name, abstract and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "orbita",
        abstract: "Orbita: a GLONASS/GPS fleet tracking backend.",
        subcommands: [
            DecodeCommand.self, ImportCommand.self, VehiclesCommand.self, TrackCommand.self, GeofenceCommand.self,
            RouteCommand.self, EventsCommand.self, ServeCommand.self, SimulateCommand.self, TokenCommand.self,
            MapCommand.self,
            BenchCommand.self,
        ]
    )

    /// Creates the command (ArgumentParser fills it in).
    public init() {}
}

/// The entry point the `orbita` executable calls.
public enum OrbitaCLI {
    /// Parses the process arguments and runs the chosen subcommand.
    public static func main() async {
        await OrbitaCommand.main()
    }
}
