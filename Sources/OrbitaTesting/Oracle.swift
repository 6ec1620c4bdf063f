import Foundation

/// A deterministic generator for tests (SplitMix64): a seed always gives the same data.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
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
