import AsyncHTTPClient
public import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1

/// A client of Orbita's dispatch API (`orbita serve --http`): REST calls with a bearer token through
/// AsyncHTTPClient, and the `/api/live` WebSocket with its resume cursor through Hummingbird's WebSocket client.
public struct DispatchClient: Sendable {
    /// What went wrong talking to the server.
    public struct Failure: Error, CustomStringConvertible {
        /// The HTTP status, 0 when the server could not be reached.
        public let status: Int
        /// The server's `error` message, or the transport error.
        public let description: String
    }

    /// The server's base URL (`http://HOST:PORT`, no trailing slash).
    public let base: String
    private let token: String

    /// A client of the server at `base` (`http://…`; a trailing `/` is dropped) with a bearer token.
    public init(base: String, token: String) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.token = token
    }

    /// GET `path` (starting with `/`): the JSON body.
    public func get(_ path: String) async throws(Failure) -> Data { try await call(.GET, path) }

    /// POST `path` with an empty JSON object: the JSON body.
    public func post(_ path: String) async throws(Failure) -> Data { try await call(.POST, path) }

    /// A JSON body as a dictionary (empty when it is not an object).
    public static func object(_ data: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    private func call(_ method: NIOHTTP1.HTTPMethod, _ path: String) async throws(Failure) -> Data {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if method == .POST {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: "{}"))
        }
        let status: Int
        let body: ByteBuffer
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
            status = Int(response.status.code)
            body = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw Failure(status: 0, description: "\(base): \(error)")
        }
        let data = Data(body.readableBytesView)
        guard (200..<300).contains(status), (try? JSONSerialization.jsonObject(with: data)) != nil else {
            // Orbita's own errors are {"error": "…"}; Hummingbird's HTTPError is {"error": {"message": "…"}}.
            let error = Self.object(data)["error"]
            let text = error as? String ?? (error as? [String: Any])?["message"] as? String
            let message = "HTTP \(status)" + (text.map { ": " + $0 } ?? "")
            throw Failure(status: status, description: "\(method) \(path): \(message)")
        }
        return data
    }

    /// Follows `/api/live` until the task is cancelled: each message (a JSON object with `type` and `cursor`) goes
    /// to `receive`; a dropped connection is retried every second with `?after=` the last cursor seen, so nothing
    /// is missed. `connected` hears whether the feed is up.
    public func live(
        after: String? = nil, connected: @escaping @Sendable (Bool, String) -> Void,
        receive: @escaping @Sendable ([String: Any]) -> Void
    ) async {
        let cursor = CursorBox(after)
        var fields = HTTPFields()
        fields[.authorization] = "Bearer \(token)"
        let headers = fields
        let socketBase = base.replacingOccurrences(of: "http://", with: "ws://")
            .replacingOccurrences(of: "https://", with: "wss://")
        while !Task.isCancelled {
            let url = socketBase + "/api/live" + (cursor.value.map { "?after=\($0)" } ?? "")
            do {
                try await WebSocketClient.connect(
                    url: url, configuration: .init(additionalHeaders: headers), logger: Logger(label: "orbita.map.live")
                ) { inbound, _, _ in
                    connected(true, "live")
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message,
                            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
                        else { continue }
                        if let next = object["cursor"] as? String { cursor.value = next }
                        receive(object)
                    }
                }
                connected(false, "live feed closed; reconnecting")
            } catch {
                connected(false, "live feed: \(error); reconnecting")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

/// The last cursor seen, shared between reconnects.
private final class CursorBox: @unchecked Sendable {
    // @unchecked: `value` is guarded by `lock`.
    private let lock = NSLock()
    private var stored: String?
    init(_ value: String?) { stored = value }
    var value: String? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
