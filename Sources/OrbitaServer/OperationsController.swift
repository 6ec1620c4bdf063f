import DispatchAPI
import Foundation
import Hummingbird
import NIOCore
import OrbitaWire

/// The operator's endpoints, without a token: `/metrics` (Prometheus text), `/health` (`Wire.Health`, 503 when the
/// store failed) and `/sources` (`Wire.SourceList`). What they report comes from the closures, so the controller
/// knows nothing of the processor or the listeners.
struct OperationsController: Sendable {
    /// The Prometheus exposition text.
    let metrics: @Sendable () -> [UInt8]
    /// The server's health now.
    let health: @Sendable () -> Wire.Health
    /// The noisiest senders now.
    let sources: @Sendable () -> Wire.SourceList

    /// The routes, at the root.
    var routes: RouteCollection<DispatchContext> {
        let routes = RouteCollection(context: DispatchContext.self)
        let metrics = metrics
        let health = health
        let sources = sources
        routes.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics())))
        }
        routes.get("health") { _, _ -> Response in
            let report = health()
            return Self.json(report, status: report.isHealthy ? .ok : .serviceUnavailable)
        }
        routes.get("sources") { _, _ -> Response in Self.json(sources(), status: .ok) }
        return routes
    }

    private static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
