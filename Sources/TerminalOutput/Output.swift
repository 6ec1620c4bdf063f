import Glibc
import OrbitaModel

/// Buffered writes to a file descriptor.
public struct OutputBuffer {
    private var bytes: [UInt8] = []
    private let fd: Int32

    /// A buffer for a file descriptor (1: standard output).
    public init(fd: Int32 = 1) {
        self.fd = fd
        bytes.reserveCapacity(1 << 16)
    }

    /// Appends text, flushing every 64 KiB.
    public mutating func write(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        if bytes.count >= 1 << 16 { flush() }
    }

    /// Appends bytes, flushing every 64 KiB.
    public mutating func write(bytes more: [UInt8]) {
        bytes.append(contentsOf: more)
        if bytes.count >= 1 << 16 { flush() }
    }

    /// Writes out what is buffered.
    public mutating func flush() {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                break
            }
            offset += written
        }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Writes one line to standard error, made safe for a terminal (`TerminalText.output`): messages quote names,
/// paths and input.
public func printError(_ line: String) {
    var out = OutputBuffer(fd: 2)
    out.write(TerminalText.output(line) + "\n")
    out.flush()
}

/// Writes text for people (tables, messages) to standard output, made safe for a terminal: every command's human
/// output goes through here, JSON through `TextFormat.jsonString`.
public func printText(_ text: String, terminator: String = "\n") {
    var out = OutputBuffer()
    out.write(TerminalText.output(text) + terminator)
    out.flush()
}
