/// Why a command failed, for the person who ran it: `OrbitaCLI.main` writes the message to standard error (made safe
/// for a terminal) and exits with the code — 1 for a failed job, 2 for a usage or configuration problem.
struct CommandError: Error, CustomStringConvertible {
    /// The whole message, starting with the command (`orbita serve: …`).
    let message: String
    /// The process's exit status.
    let exitCode: Int32

    /// A failure with its message.
    init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }
}
