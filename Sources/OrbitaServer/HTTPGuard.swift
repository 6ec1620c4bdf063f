import HummingbirdCore
import HummingbirdWebSocket
import Logging
import Metrics
import NIOCore

/// Limits on HTTP connections before a request reaches the router.
public struct HTTPLimits: Sendable {
    /// The most bytes of a request's head (request line and headers) accepted; beyond: 431 and close.
    public var maximumHeadBytes = 64 * 1024
    /// Seconds a new connection may take to send its first request head (a half-sent request): beyond, closed.
    public var headTimeoutSeconds = 10.0
    /// Seconds a keep-alive connection may stay idle between requests.
    public var idleTimeoutSeconds = 60.0

    /// The defaults.
    public init() {}
}

/// A server child channel that puts `HeadGuard` in front of Hummingbird's HTTP/WebSocket channel.
struct GuardedHTTPChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value
    let inner: Inner
    let limits: HTTPLimits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(HeadGuard(limits: limits), position: .first)
        }.flatMap { inner.setup(channel: channel, logger: logger) }
    }

    func handle(value: Value, logger: Logger) async { await inner.handle(value: value, logger: logger) }
}

/// Watches the raw bytes of a connection until its first request head is complete: a head over the limit is answered
/// 431 and the connection closed; a head not complete within the timeout closes the connection. Then it steps aside
/// (later requests are bounded by the HTTP decoder and the idle timeout).
final class HeadGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limits: HTTPLimits
    private var seen = 0
    /// The last bytes seen, to find `\r\n\r\n` across reads.
    private var tail: [UInt8] = []
    private var deadline: Scheduled<Void>?
    private var done = false
    private static let oversize = Counter(label: "orbita_http_refused_total", dimensions: [("reason", "header_size")])
    private static let slow = Counter(label: "orbita_http_refused_total", dimensions: [("reason", "head_timeout")])

    init(limits: HTTPLimits) { self.limits = limits }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: .milliseconds(Int64(limits.headTimeoutSeconds * 1_000))) {
            Self.slow.increment()
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) { deadline?.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else {
            context.fireChannelRead(data)
            return
        }
        let buffer = unwrapInboundIn(data)
        let bytes = tail + buffer.readableBytesView
        if let end = Self.headEnd(in: bytes) {
            let headBytes = seen + end - tail.count
            if headBytes > limits.maximumHeadBytes {
                refuse(context)
                return
            }
            done = true
            deadline?.cancel()
            if seen == 0, Self.isUnauthenticatedUpgrade(bytes[..<end]) {
                respond(context, status: "401 Unauthorized", body: "a bearer token is required (orbita token create)")
                return
            }
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
            return
        }
        seen += buffer.readableBytes
        if seen > limits.maximumHeadBytes {
            refuse(context)
            return
        }
        tail = Array(bytes.suffix(3))
        context.fireChannelRead(data)
    }

    /// The index just past the first `\r\n\r\n`, or nil.
    static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 3..<bytes.count
        where bytes[i] == 10 && bytes[i - 1] == 13 && bytes[i - 2] == 10 && bytes[i - 3] == 13 {
            return i + 1
        }
        return nil
    }

    /// A WebSocket upgrade of `/api/live` without an `Authorization` header. The WebSocket library answers any
    /// refused upgrade with a bare 400, so the missing token is answered here with the API's 401.
    static func isUnauthenticatedUpgrade(_ head: ArraySlice<UInt8>) -> Bool {
        let text = String(decoding: head, as: UTF8.self).lowercased()
        guard text.hasPrefix("get /api/live"), text.contains("\r\nupgrade: websocket") else { return false }
        return !text.contains("\r\nauthorization:")
    }

    private func refuse(_ context: ChannelHandlerContext) {
        done = true
        deadline?.cancel()
        Self.oversize.increment()
        respond(
            context, status: "431 Request Header Fields Too Large",
            body: "request headers over \(limits.maximumHeadBytes / 1024) KiB")
    }

    /// Writes a complete JSON error response in the API's shape and closes the connection.
    private func respond(_ context: ChannelHandlerContext, status: String, body message: String) {
        let body = "{\"error\":\"\(message)\"}"
        var response =
            "HTTP/1.1 \(status)\r\nconnection: close\r\ncontent-type: application/json\r\n"
            + "content-length: \(body.utf8.count)\r\n"
        if status.hasPrefix("401") { response += "www-authenticate: Bearer realm=\"orbita\"\r\n" }
        response += "\r\n" + body
        let channel = context.channel
        // Straight to the socket: the HTTP handlers behind have not seen a complete head.
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
