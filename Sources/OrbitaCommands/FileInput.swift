import Glibc

/// Reads files or standard input in chunks with POSIX calls (no whole-file copies, works on pipes).
enum FileInput {
    /// An error opening or reading an input.
    struct ReadError: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "cannot read \(path): \(reason)" }
    }

    /// Calls `body` with successive chunks of the file (`-` is standard input).
    static func forEachChunk(
        of path: String, chunkSize: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(ReadError) {
        let fd = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else { throw ReadError(path: path, reason: String(cString: strerror(errno))) }
        defer { if fd != 0 { close(fd) } }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { return }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Reads a whole file into memory.
    static func readAll(_ path: String) throws(ReadError) -> [UInt8] {
        var bytes: [UInt8] = []
        try forEachChunk(of: path) { bytes.append(contentsOf: $0) }
        return bytes
    }
}

/// Buffered writes to a file descriptor.
struct OutputBuffer {
    private var bytes: [UInt8] = []
    private let fd: Int32

    init(fd: Int32 = 1) {
        self.fd = fd
        bytes.reserveCapacity(1 << 16)
    }

    mutating func write(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        if bytes.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
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

/// Writes one line to standard error.
func printError(_ line: String) {
    var out = OutputBuffer(fd: 2)
    out.write(line + "\n")
    out.flush()
}
