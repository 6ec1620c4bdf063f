public import Hummingbird
public import HummingbirdWebSocket
public import NIOCore
public import OrbitaModel

/// The request context of Orbita's HTTP server: Hummingbird's core, the caller's role once a bearer token was checked,
/// and a small body limit (the API takes JSON and GeoJSON, not uploads).
public struct DispatchContext: RequestContext, WebSocketRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The role of the token the request carried (nil: none checked yet).
    public var role: AccessRole?
    /// The token's name, for logs.
    public var tokenName: String?
    /// The SHA-256 of the token's secret (a long-lived WebSocket checks it again, so that revoking ends it).
    public var tokenHash: String?
    /// The connection (a live session that stops reading is closed through it).
    public let channel: (any Channel)?
    /// Where a WebSocket upgrade leaves its handler (`/api/live`).
    public let webSocket = WebSocketHandlerReference<DispatchContext>()

    /// A context for a request.
    public init(source: Source) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Bodies over 1 MiB are refused with 413.
    public var maxUploadSize: Int { 1 << 20 }
}
