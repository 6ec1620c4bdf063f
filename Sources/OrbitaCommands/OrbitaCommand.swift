public import ArgumentParser
import Foundation
import TerminalOutput

/// The `orbita` command line: one subcommand per job.
public struct OrbitaCommand: AsyncParsableCommand {
    /// The command's name, abstract and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "orbita",
        abstract: "Orbita: a GLONASS/GPS fleet tracking backend.",
        subcommands: [
            DecodeCommand.self, ImportCommand.self, VehiclesCommand.self, TrackCommand.self, GeofenceCommand.self,
            RouteCommand.self, EventsCommand.self, ReportCommand.self, ServeCommand.self, SimulateCommand.self,
            TokenCommand.self,
            MapCommand.self, DatabaseCommand.self, ClusterCommand.self,
            BenchCommand.self,
        ]
    )

    /// Creates the command (ArgumentParser fills it in).
    public init() {}
}

/// The entry point the `orbita` executable calls.
public enum OrbitaCLI {
    /// Parses the process arguments and runs the chosen subcommand. ArgumentParser's own messages (help, usage
    /// errors quoting what was typed) are written here, made safe for a terminal like every other output.
    public static func main() async {
        do {
            // `orbita bench …` hands everything after `bench` to `orbita-bench`, help included.
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments.first == "bench" { try BenchCommand.exec(Array(arguments.dropFirst())) }
            var command = try OrbitaCommand.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as CommandError {
            printError(error.message)
            Foundation.exit(error.exitCode)
        } catch {
            let code = OrbitaCommand.exitCode(for: error)
            let message = OrbitaCommand.fullMessage(for: error)
            if !message.isEmpty {
                if code == .success { printText(message) } else { printError(message) }
            }
            Foundation.exit(code.rawValue)
        }
    }
}
