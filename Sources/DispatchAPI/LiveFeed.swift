import Foundation
public import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
public import OrbitaModel
public import OrbitaWire

/// `/api/live`: a WebSocket pushing every fix and event as it is committed, as JSON text frames. Each message
/// carries a cursor (`FIX:EVENT`, the numbers of the last fix and event sent); a client that reconnects with
/// `?after=CURSOR` gets everything committed since, so it misses nothing. Without `after` the feed starts at the
/// newest data (take the snapshot from `/api/vehicles`). What each commit stored is pushed to the feed, which
/// encodes each message once for all sessions (`LiveHub`); the database fills any gap.
public enum LiveFeed {
    /// How often the feed looks for new data, seconds.
    public static let pollInterval = 0.25
    /// How often a session's token is checked again (revoking it ends the session within this).
    static let tokenRecheck = Duration.seconds(1)
    /// Messages read from the database per poll at most (a client far behind catches up over several reads).
    public static let batch = 2_000

    /// The resume point: the numbers of the last fix and event sent (`FIX:EVENT`).
    public typealias Cursor = Wire.Cursor

    /// Adds `GET /api/live` (WebSocket upgrade, viewer role) to the router that decides upgrades, and a plain GET
    /// answer (426) to the HTTP router. At most `maximumSessions` sessions are open at once; more are accepted and
    /// closed at once with code 1013 (try again later).
    /// - Returns: where the server pushes what each commit stored (without pushes the feed reads the database every
    ///   `pollInterval`).
    @discardableResult
    public static func register(
        webSocketRouter: Router<DispatchContext>, httpRouter: Router<DispatchContext>, store: DispatchStore,
        maximumSessions: Int = defaultMaximumSessions, pushed: Bool = false
    ) -> Publisher {
        let hub = LiveHub(
            store: store, maximumSessions: maximumSessions,
            fallbackInterval: pushed ? .seconds(1) : .milliseconds(Int64(pollInterval * 1000)))
        httpRouter.group("api").add(middleware: BearerAuth(store: store)).get("live") { _, context in
            try RequireRole.check(.viewer, context)
            return DispatchRoutes.error(.upgradeRequired, "/api/live is a WebSocket")
        }
        webSocketRouter.group("api").add(middleware: BearerAuth(store: store)).ws(
            "live",
            shouldUpgrade: { request, context in
                guard let role = context.role, role >= .viewer else { return .dontUpgrade }
                if let after = request.uri.queryParameters["after"], Cursor(String(after)) == nil {
                    return .dontUpgrade
                }
                return .upgrade([:])
            },
            onUpgrade: { inbound, outbound, context in
                let after = context.request.uri.queryParameters["after"].flatMap { Cursor(String($0)) }
                guard
                    let session = hub.open(
                        tokenHash: context.requestContext.tokenHash, channel: context.requestContext.channel)
                else {
                    try await outbound.close(.unknown(1013), reason: "too many live sessions; try again later")
                    return
                }
                defer { hub.close(session) }
                try await stream(
                    to: outbound, inbound: inbound, hub: hub, session: session, after: after,
                    channel: context.requestContext.channel)
            })
        return Publisher(hub: hub)
    }

    /// Where the server hands the feed what each commit stored.
    public struct Publisher: Sendable {
        let hub: LiveHub

        /// Whether anyone follows the feed (nothing need be handed over otherwise).
        public var isFollowed: Bool { hub.isFollowed }

        /// Hands over the fixes and events a commit stored, with their numbers (returns at once).
        public func publish(fixes: [(id: Int64, point: TrackPoint)], events: [StoredEvent]) {
            hub.publish(fixes: fixes, events: events)
        }

        /// Another process committed up to `cursor` (a `NOTIFY` from another cluster node): the feed reads it from
        /// the database (returns at once).
        public func committedElsewhere(through cursor: Cursor) {
            hub.committedElsewhere(through: cursor)
        }
    }

    /// Sessions open at once by default.
    public static let defaultMaximumSessions = 2_000

    /// Sends `hello` with the starting cursor, then every new fix and event, until the client goes away.
    static func stream(
        to outbound: WebSocketOutboundWriter, inbound: WebSocketInboundStream, hub: LiveHub, session: LiveHub.Session,
        after: Cursor?, channel: (any Channel)?
    ) async throws {
        let cursor: Cursor
        var sequence: Int64?
        if let after {
            cursor = after
        } else {
            guard let head = await hub.head(for: session) else { return }
            cursor = head.cursor
            sequence = head.sequence
        }
        let writer = try await FrameWriter(channel)
        var hello = ByteBuffer()
        var json = JSONWriter(capacity: 64)
        Wire.LiveMessage.writeHello(cursor, to: &json)
        appendFrame(ByteBuffer(bytes: json.bytes), to: &hello)
        try await writer.write([hello])
        let start = sequence
        let sender = Task {
            let ending = try await hub.run(session, cursor: cursor, sequence: start) { try await writer.write($0) }
            if ending == .revoked { try await outbound.close(.policyViolation, reason: "token revoked") }
        }
        defer { sender.cancel() }
        // The client's frames are not used; the stream ends when it closes.
        for try await _ in inbound {}
        sender.cancel()
        _ = try? await sender.value
    }

    /// A position message's JSON text.
    static func position(_ point: TrackPoint, cursor: Cursor) -> ByteBuffer {
        var json = JSONWriter(capacity: 200)
        Wire.LiveMessage.writePosition(point, cursor: cursor, to: &json)
        return ByteBuffer(bytes: json.bytes)
    }

    /// An event message's JSON text (the event as `/api/events` gives it, with `type` and `cursor`).
    static func event(_ stored: StoredEvent, cursor: Cursor) -> ByteBuffer {
        var json = JSONWriter(capacity: 400)
        Wire.Event(stored).write(to: &json, live: cursor)
        return ByteBuffer(bytes: json.bytes)
    }

    /// Appends `json` to `buffer` as one unmasked, final WebSocket text frame (RFC 6455 §5.2).
    static func appendFrame(_ json: ByteBuffer, to buffer: inout ByteBuffer) {
        let length = json.readableBytes
        buffer.writeInteger(UInt8(0x81))
        if length < 126 {
            buffer.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
        buffer.writeImmutableBuffer(json)
    }

    /// Writes ready-made frames to a WebSocket connection in one flush, below the library's frame encoder, and waits
    /// until the socket has taken them (a client that reads slowly holds one batch in flight, no more).
    ///
    /// Why not `WebSocketOutboundWriter`: it takes one frame at a time through an async writer and the encoder,
    /// ≈ 4 µs a message per client (1,000 clients × 1,000 fixes/s would need four cores). Here a batch is one hop to
    /// the event loop and one `writev` of slices that every client shares. The library's own frames (pings, close)
    /// go through the same pipeline in between whole frames.
    struct FrameWriter: Sendable {
        private let channel: any Channel
        private let encoder: NIOLoopBound<ChannelHandlerContext>

        /// A writer for the connection; fails when it has no WebSocket frame encoder.
        init(_ channel: (any Channel)?) async throws {
            guard let channel else { throw ChannelError.ioOnClosedChannel }
            self.channel = channel
            encoder = try await channel.eventLoop.submit {
                NIOLoopBound(
                    try channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self),
                    eventLoop: channel.eventLoop)
            }.get()
        }

        /// Writes `frames` and waits until the socket has taken them.
        func write(_ frames: [ByteBuffer]) async throws {
            guard let last = frames.last else { return }
            let encoder = encoder
            try await channel.eventLoop.flatSubmit {
                let context = encoder.value
                for frame in frames.dropLast() { context.write(NIOAny(frame), promise: nil) }
                let written = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(NIOAny(last), promise: written)
                return written.futureResult
            }.get()
        }
    }
}
