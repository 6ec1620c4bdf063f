import ArgumentParser
import Glibc
import TerminalOutput

/// `orbita bench`: the benchmarks live in the separate `orbita-bench` executable (built beside `orbita`), so that
/// their generators and readers are not part of the server's binary; this command runs it with the same arguments.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Orbita's throughput (runs orbita-bench, built beside orbita).",
        discussion: "`orbita bench SUBCOMMAND …` is `orbita-bench SUBCOMMAND …`; see `orbita-bench --help`.")

    @Argument(parsing: .allUnrecognized, help: "The benchmark and its arguments.") var arguments: [String] = []

    func run() throws { try Self.exec(arguments) }

    /// Replaces this process with `orbita-bench ARGUMENTS…` from the directory of the running executable.
    static func exec(_ arguments: [String]) throws {
        let path = executableDirectory() + "/orbita-bench"
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        printError(
            "orbita bench: cannot run \(path) (\(String(cString: strerror(errno)))); the benchmarks are their own "
                + "executable: build it with `swift build -c release --product orbita-bench` (`make release` does)")
        throw ExitCode(1)
    }

    private static func executableDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return "." }
        let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
    }
}
