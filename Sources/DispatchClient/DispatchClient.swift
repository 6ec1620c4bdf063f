import AsyncHTTPClient
public import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
public import OrbitaModel
public import OrbitaWire
import Synchronization

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

    /// `GET /api/vehicles`: every vehicle with its last position, and the live feed's cursor as of the list.
    public func vehicles() async throws(Failure) -> Wire.VehicleList {
        try await decode(Wire.VehicleList.self, "/api/vehicles")
    }

    /// `GET /api/events`: the newest `limit` events, newest first.
    public func events(limit: Int) async throws(Failure) -> Wire.EventPage {
        try await decode(Wire.EventPage.self, "/api/events?limit=\(limit)")
    }

    /// `GET /api/vehicles/{id}/track` from `from` (to `to`, when given), at most `limit` fixes (the newest).
    public func track(vehicle: String, from: UTCInstant, to: UTCInstant? = nil, limit: Int) async throws(Failure)
        -> Wire.Track
    {
        let id = vehicle.addingPercentEncoding(
            withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
        let until = to.map { "&to=\($0.iso8601)" } ?? ""
        return try await decode(
            Wire.Track.self, "/api/vehicles/\(id ?? vehicle)/track?from=\(from.iso8601)\(until)&limit=\(limit)")
    }

    /// `GET /api/reports/trips` of one vehicle.
    public func reportTrips(vehicle: String, from: UTCInstant, to: UTCInstant) async throws(Failure)
        -> Wire.Report<Wire.TripRow>
    {
        try await decode(Wire.Report<Wire.TripRow>.self, Self.reportPath("trips", vehicle, from, to))
    }

    /// `GET /api/reports/stops` of one vehicle.
    public func reportStops(vehicle: String, from: UTCInstant, to: UTCInstant) async throws(Failure)
        -> Wire.Report<Wire.StopRow>
    {
        try await decode(Wire.Report<Wire.StopRow>.self, Self.reportPath("stops", vehicle, from, to))
    }

    private static func reportPath(_ report: String, _ vehicle: String, _ from: UTCInstant, _ to: UTCInstant)
        -> String
    {
        let id = vehicle.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? vehicle
        return "/api/reports/\(report)?vehicle=\(id)&from=\(from.iso8601)&to=\(to.iso8601)"
    }

    /// `POST /api/events/{id}/ack`: the event as acknowledged.
    public func acknowledge(event id: Int64) async throws(Failure) -> Wire.Event {
        let path = "/api/events/\(id)/ack"
        return try Self.decode(Wire.Event.self, try await post(path), path)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ path: String) async throws(Failure) -> T {
        try Self.decode(type, try await get(path), path)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ path: String) throws(Failure) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw Failure(status: 200, description: "\(path): not the JSON expected (\(error))")
        }
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
            // Every API error is a Wire.ErrorBody (DispatchAPI's ErrorEnvelope).
            let text = (try? JSONDecoder().decode(Wire.ErrorBody.self, from: data))?.error
            let message = "HTTP \(status)" + (text.map { ": " + $0 } ?? "")
            throw Failure(status: status, description: "\(method) \(path): \(message)")
        }
        return data
    }

    /// Follows `/api/live` until the task is cancelled: each message goes to `receive` (messages of a type this
    /// version does not know are skipped); a dropped connection is retried every second with `?after=` the last
    /// cursor seen, so nothing is missed. `connected` hears whether the feed is up.
    public func live(
        after: Wire.Cursor? = nil, connected: @escaping @Sendable (Bool, String) -> Void,
        receive: @escaping @Sendable (Wire.LiveMessage) -> Void
    ) async {
        let cursor = CursorBox(after)
        var fields = HTTPFields()
        fields[.authorization] = "Bearer \(token)"
        let headers = fields
        let socketBase = base.replacingOccurrences(of: "http://", with: "ws://")
            .replacingOccurrences(of: "https://", with: "wss://")
        while !Task.isCancelled {
            let url = socketBase + "/api/live" + (cursor.value.map { "?after=\($0.text)" } ?? "")
            do {
                try await WebSocketClient.connect(
                    url: url, configuration: .init(additionalHeaders: headers), logger: Logger(label: "orbita.map.live")
                ) { inbound, _, _ in
                    connected(true, "live")
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message,
                            let decoded = try? JSONDecoder().decode(Wire.LiveMessage.self, from: Data(text.utf8))
                        else { continue }
                        cursor.value = decoded.cursor
                        receive(decoded)
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
private final class CursorBox: Sendable {
    private let stored: Mutex<Wire.Cursor?>
    init(_ value: Wire.Cursor?) { stored = Mutex(value) }
    var value: Wire.Cursor? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
