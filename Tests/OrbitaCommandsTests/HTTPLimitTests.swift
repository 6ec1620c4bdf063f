import Foundation
import Testing

/// HTTP connections cannot be held open for nothing: oversized heads get 431 and a close, half-sent requests and
/// idle keep-alive connections are closed (before: no answer, never closed).
@Suite("orbita serve: HTTP connection limits", .serialized)
struct HTTPLimitTests {
    /// A raw TCP connection to `address` (HOST:PORT).
    static func connect(_ address: String) throws -> TCPConnection {
        try #require(TCPConnection(from: "127.0.0.1", to: Int(address.split(separator: ":").last ?? "") ?? 0))
    }

    @Test func oversizedHeadsHalfSentRequestsAndIdleConnectionsAreClosed() throws {
        let folder = ImportCommandTests.folder()
        let config = folder.appendingPathComponent("http.yaml")
        try "http_head_timeout: 2\nhttp_idle_timeout: 2\n".write(to: config, atomically: true, encoding: .utf8)
        let server = try LiveServer(db: folder.appendingPathComponent("http.sqlite").path, ["--config", config.path])
        defer { _ = server.stop(SIGTERM) }

        // 100 KB of headers: 431, then closed.
        var connection = try Self.connect(server.http)
        connection.send(
            "GET /health HTTP/1.1\r\nHost: x\r\nX-Junk: " + String(repeating: "a", count: 100_000) + "\r\n\r\n")
        var answer = connection.readUntilClosed()
        connection.close()
        #expect(answer.text.hasPrefix("HTTP/1.1 431"), "\(answer.text.prefix(200))")
        #expect(answer.closed)

        // Half a request, then nothing: closed after the head timeout, without an answer.
        connection = try Self.connect(server.http)
        connection.send("GET /health HTTP/1.1\r\nHost: x\r\n")
        answer = connection.readUntilClosed()
        connection.close()
        #expect(answer.closed, "a half-sent request held its connection")

        // A complete request, kept alive and then idle: answered, then closed after the idle timeout.
        connection = try Self.connect(server.http)
        connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = connection.readUntilClosed()
        connection.close()
        #expect(answer.text.hasPrefix("HTTP/1.1 200"), "\(answer.text.prefix(200))")
        #expect(answer.closed, "an idle keep-alive connection stayed open")
        // A WebSocket upgrade of /api/live without a token: the API's 401, not a bare 400.
        connection = try Self.connect(server.http)
        let upgrade =
            "GET /api/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        connection.send(upgrade)
        answer = connection.readUntilClosed()
        connection.close()
        #expect(answer.text.hasPrefix("HTTP/1.1 401"), "\(answer.text.prefix(200))")
        #expect(answer.text.contains(#"{"error":"#))
        #expect(server.get("/health").status == 200)
        let metrics = server.get("/metrics").body
        #expect(metrics.contains(#"orbita_http_refused_total{reason="header_size"} 1"#), "\(metrics.prefix(0))")
        #expect(metrics.contains(#"orbita_http_refused_total{reason="head_timeout"} 1"#))
    }
}
