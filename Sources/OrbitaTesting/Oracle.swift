import Foundation

/// Runs Python oracles (shapely, pyproj) that tests compare against.
public enum PythonOracle {
    /// Why an oracle is unavailable (nil when `python3` imports every module), for a clean skip.
    public static func unavailable(modules: [String]) -> String? {
        let result = try? run(["-c", "import " + modules.joined(separator: ", ")])
        guard let result else { return "python3 not found" }
        return result.status == 0
            ? nil : "python3 lacks \(modules.joined(separator: "/")) (`make test-deps` installs it with pip)"
    }

    /// Runs `python3` with arguments; returns the exit status, standard output and standard error.
    public static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try ProgramRun.run("python3", arguments)
    }
}

/// Runs a program found on `PATH` to its end.
public enum ProgramRun {
    /// Runs `program` with `arguments`; returns the exit status, standard output and standard error.
    public static func run(_ program: String, _ arguments: [String]) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
