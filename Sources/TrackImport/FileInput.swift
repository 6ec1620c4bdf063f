import CZlib
import Glibc

/// Reads files or standard input in chunks with POSIX calls (no whole-file copies, works on pipes).
public enum FileInput {
    /// An error opening or reading an input.
    public struct ReadError: Error, CustomStringConvertible {
        /// The path as given.
        public let path: String
        /// The system's reason.
        public let reason: String
        /// `cannot read PATH: REASON`.
        public var description: String { "cannot read \(path): \(reason)" }
    }

    /// Calls `body` with successive chunks of the file (`-` is standard input). The default chunk, 128 KiB, stays in a
    /// core's L2 cache while it is decoded (measured ≈ 7% faster imports than 1 MiB).
    public static func forEachChunk(
        of path: String, chunkSize: Int = 1 << 17, _ body: (UnsafeRawBufferPointer) -> Void
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

    /// Whether bytes begin with gzip's magic number.
    public static func isGzip(_ prefix: some Collection<UInt8>) -> Bool {
        prefix.count >= 2 && prefix.first == 0x1F && prefix.dropFirst().first == 0x8B
    }

    /// Like `forEachChunk(of:chunkSize:_:)`, but a gzip'd file (`log.nmea.gz`, found by its magic number, also
    /// several members one after another) is inflated on the way: memory stays one chunk either way.
    public static func forEachDecodedChunk(
        of path: String, gzip: Bool, chunkSize: Int = 1 << 17, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(ReadError) {
        guard gzip else { return try forEachChunk(of: path, chunkSize: chunkSize, body) }
        var stream = z_stream()
        guard orbita_inflate_init(&stream) == Z_OK else { throw ReadError(path: path, reason: "zlib did not start") }
        defer { inflateEnd(&stream) }
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { output.deallocate() }
        var failure: String?
        var ended = false
        try forEachChunk(of: path, chunkSize: chunkSize) { input in
            guard failure == nil, let base = input.baseAddress else { return }
            stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self))
            stream.avail_in = UInt32(input.count)
            while stream.avail_in > 0 || stream.avail_out == 0 {
                if ended {
                    // Another gzip member follows (concatenated .gz files are one stream).
                    guard inflateReset(&stream) == Z_OK else { return failure = "corrupt gzip member" }
                    ended = false
                }
                stream.next_out = output
                stream.avail_out = UInt32(chunkSize)
                let status = inflate(&stream, Z_NO_FLUSH)
                let produced = chunkSize - Int(stream.avail_out)
                if produced > 0 { body(UnsafeRawBufferPointer(start: output, count: produced)) }
                switch status {
                case Z_OK: continue
                case Z_STREAM_END: ended = true
                case Z_BUF_ERROR: return
                default:
                    return failure =
                        "corrupt gzip data (" + (stream.msg.map { String(cString: $0) } ?? "zlib \(status)")
                        + ")"
                }
                if stream.avail_in == 0 { return }
            }
        }
        if let failure { throw ReadError(path: path, reason: failure) }
        if !ended { throw ReadError(path: path, reason: "gzip data ends early (a cut file?)") }
    }

    /// The first bytes of a file (up to `count`), read once; nil for standard input, which cannot be read twice.
    public static func prefix(of path: String, count: Int = 4096) throws(ReadError) -> [UInt8]? {
        guard path != "-" else { return nil }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ReadError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, count) }
        guard read >= 0 else { throw ReadError(path: path, reason: String(cString: strerror(errno))) }
        return Array(bytes.prefix(read))
    }

    /// The size of a regular file in bytes, or nil (pipes, missing files).
    public static func size(of path: String) -> Int? {
        guard path != "-" else { return nil }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Reads a whole file into memory.
    public static func readAll(_ path: String) throws(ReadError) -> [UInt8] {
        var bytes: [UInt8] = []
        try forEachChunk(of: path) { bytes.append(contentsOf: $0) }
        return bytes
    }
}
