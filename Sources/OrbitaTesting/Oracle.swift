import Foundation
import Glibc

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
    /// posix_spawn and waitpid, output to /dev/null: for programs that leave a daemon holding their descriptors
    /// (Foundation's `Process` did not see `runuser … pg_ctl start` end).
    static func spawnAndWait(_ arguments: [String]) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EPERM) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xFF
    }

    /// Runs `program` with `arguments`; returns the exit status, standard output and standard error. A program that
    /// leaves a daemon behind (`pg_ctl start`) runs with `capturing: false`: the daemon would hold the pipes open.
    public static func run(_ program: String, _ arguments: [String], capturing: Bool = true) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        guard capturing else { return (try spawnAndWait([program] + arguments), "", "") }
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
