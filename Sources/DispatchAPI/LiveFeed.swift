import Foundation
public import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import OrbitaModel
import Storage

/// `/api/live`: a WebSocket pushing every fix and event as it is committed, as JSON text frames. Each message
/// carries a cursor (`FIX:EVENT`, the numbers of the last fix and event sent); a client that reconnects with
/// `?after=CURSOR` gets everything committed since, so it misses nothing. Without `after` the feed starts at the
/// newest data (take the snapshot from `/api/vehicles`). The database is the source: the feed polls it every 250 ms.
public enum LiveFeed {
    /// How often the feed looks for new data, seconds.
    public static let pollInterval = 0.25
    /// How often a session's token is checked again (revoking it ends the session within this).
    static let tokenRecheck = Duration.seconds(1)
    /// Messages read from the database per poll at most (a client far behind catches up over several polls).
    public static let batch = 2_000

    /// A cursor: the last fix and event numbers sent.
    public struct Cursor: Sendable, Equatable {
        /// The last fix sent.
        public var fix: Int64
        /// The last event sent.
        public var event: Int64

        /// `FIX:EVENT`.
        public var text: String { "\(fix):\(event)" }

        /// Parses `FIX:EVENT`.
        public init?(_ text: String) {
            let parts = text.split(separator: ":")
            guard parts.count == 2, let fix = Int64(parts[0]), let event = Int64(parts[1]), fix >= 0, event >= 0
            else { return nil }
            self.fix = fix
            self.event = event
        }

        init(fix: Int64, event: Int64) {
            self.fix = fix
            self.event = event
        }
    }

    /// Adds `GET /api/live` (WebSocket upgrade, viewer role) to the router that decides upgrades, and a plain GET
    /// answer (426) to the HTTP router.
    public static func register(
        webSocketRouter: Router<DispatchContext>, httpRouter: Router<DispatchContext>, store: DispatchStore
    ) {
        httpRouter.group("api").add(middleware: BearerAuth(store: store)).get("live") { _, context in
            try DispatchRoutes.require(.viewer, context)
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
                try await stream(
                    to: outbound, inbound: inbound, store: store, after: after,
                    tokenHash: context.requestContext.tokenHash)
            })
    }

    /// Sends `hello` with the starting cursor, then every new fix and event, until the client goes away.
    static func stream(
        to outbound: WebSocketOutboundWriter, inbound: WebSocketInboundStream, store: DispatchStore, after: Cursor?,
        tokenHash: String?
    ) async throws {
        let cursor: Cursor
        if let after {
            cursor = after
        } else {
            let latest = try await store.use { try $0.latestNumbers() }
            cursor = Cursor(fix: latest.fix, event: latest.event)
        }
        try await outbound.write(.text(text(["type": "hello", "cursor": cursor.text])))
        let start = cursor
        let poller = Task { try await poll(outbound, store: store, from: start, tokenHash: tokenHash) }
        defer { poller.cancel() }
        // The client's frames are not used; the stream ends when it closes.
        for try await _ in inbound {}
        poller.cancel()
        _ = try? await poller.value
    }

    /// Sends what was committed after `start`, every `pollInterval`, until cancelled or the connection fails.
    private static func poll(
        _ outbound: WebSocketOutboundWriter, store: DispatchStore, from start: Cursor, tokenHash: String?
    ) async throws {
        var cursor = start
        var lastTokenCheck = ContinuousClock.now
        while !Task.isCancelled {
            // The token is checked again every second: revoking it ends the session (close code 1008).
            if let tokenHash, ContinuousClock.now - lastTokenCheck >= tokenRecheck {
                lastTokenCheck = ContinuousClock.now
                let token = try await store.use { try $0.token(secretSHA256: tokenHash) }
                if token == nil || token?.revoked != nil {
                    try await outbound.close(.policyViolation, reason: "token revoked")
                    return
                }
            }
            let after = cursor
            let fixes = try await store.use { try $0.fixes(afterID: after.fix, limit: batch) }
            let events = try await store.use {
                try $0.storedEvents(EventQuery(limit: batch), order: .oldestFirst, afterID: after.event)
            }
            for (id, point) in fixes {
                cursor.fix = id
                // Stored but not a position yet: dated ahead of the server's clock (see `FixFlags.ahead`).
                if point.flags.contains(.ahead) { continue }
                try await outbound.write(.text(text(position(point, cursor: cursor))))
            }
            for stored in events {
                cursor.event = stored.id
                var message = DispatchRoutes.eventJSON(stored)
                message["type"] = "event"
                message["cursor"] = cursor.text
                try await outbound.write(.text(text(message)))
            }
            if fixes.count < batch && events.count < batch {
                try await Task.sleep(for: .milliseconds(Int(pollInterval * 1000)))
            }
        }
    }

    static func position(_ point: TrackPoint, cursor: Cursor) -> [String: Any] {
        var message: [String: Any] = [
            "type": "position", "cursor": cursor.text, "vehicle": point.vehicleID, "time": point.time.iso8601,
            "lat": point.coordinate.latitude, "lon": point.coordinate.longitude,
        ]
        if let speed = point.speedMetersPerSecond { message["speed_mps"] = speed }
        if let course = point.courseDegrees { message["course_deg"] = course }
        return message
    }

    static func text(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
