import Foundation
import Testing

/// HTTP connections cannot be held open for nothing: oversized heads get 431 and a close, half-sent requests and
/// idle keep-alive connections are closed (before: no answer, never closed).
@Suite("orbita serve: HTTP connection limits", .serialized)
struct HTTPLimitTests {
    /// A raw TCP connection to `address` (HOST:PORT).
    static func connect(_ address: String) throws -> Int32 {
        let parts = address.split(separator: ":")
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(parts[1])!).bigEndian
        inet_pton(AF_INET, String(parts[0]), &addr.sin_addr)
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(result == 0)
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Everything the server sends until it closes (or 20 s pass), and whether it closed.
    static func readUntilClosed(_ fd: Int32) -> (text: String, closed: Bool) {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count == 0 { return (String(decoding: data, as: UTF8.self), true) }
            if count < 0 { return (String(decoding: data, as: UTF8.self), false) }
            data += buffer[0..<count]
        }
    }

    @Test func oversizedHeadsHalfSentRequestsAndIdleConnectionsAreClosed() throws {
        let folder = ImportCommandTests.folder()
        let config = folder.appendingPathComponent("http.yaml")
        try "http_head_timeout: 2\nhttp_idle_timeout: 2\n".write(to: config, atomically: true, encoding: .utf8)
        let server = try LiveServer(db: folder.appendingPathComponent("http.sqlite").path, ["--config", config.path])
        defer { _ = server.stop(SIGTERM) }

        // 100 KB of headers: 431, then closed.
        var fd = try Self.connect(server.http)
        let junk = "GET /health HTTP/1.1\r\nHost: x\r\nX-Junk: " + String(repeating: "a", count: 100_000) + "\r\n\r\n"
        _ = junk.withCString { write(fd, $0, strlen($0)) }
        var answer = Self.readUntilClosed(fd)
        close(fd)
        #expect(answer.text.hasPrefix("HTTP/1.1 431"), "\(answer.text.prefix(200))")
        #expect(answer.closed)

        // Half a request, then nothing: closed after the head timeout, without an answer.
        fd = try Self.connect(server.http)
        _ = "GET /health HTTP/1.1\r\nHost: x\r\n".withCString { write(fd, $0, strlen($0)) }
        answer = Self.readUntilClosed(fd)
        close(fd)
        #expect(answer.closed, "a half-sent request held its connection")

        // A complete request, kept alive and then idle: answered, then closed after the idle timeout.
        fd = try Self.connect(server.http)
        _ = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n".withCString { write(fd, $0, strlen($0)) }
        answer = Self.readUntilClosed(fd)
        close(fd)
        #expect(answer.text.hasPrefix("HTTP/1.1 200"), "\(answer.text.prefix(200))")
        #expect(answer.closed, "an idle keep-alive connection stayed open")
        // A WebSocket upgrade of /api/live without a token: the API's 401, not a bare 400.
        fd = try Self.connect(server.http)
        let upgrade =
            "GET /api/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        _ = upgrade.withCString { write(fd, $0, strlen($0)) }
        answer = Self.readUntilClosed(fd)
        close(fd)
        #expect(answer.text.hasPrefix("HTTP/1.1 401"), "\(answer.text.prefix(200))")
        #expect(answer.text.contains(#"{"error":"#))
        #expect(server.get("/health").status == 200)
        let metrics = server.get("/metrics").body
        #expect(metrics.contains(#"orbita_http_refused_total{reason="header_size"} 1"#), "\(metrics.prefix(0))")
        #expect(metrics.contains(#"orbita_http_refused_total{reason="head_timeout"} 1"#))
    }
}
