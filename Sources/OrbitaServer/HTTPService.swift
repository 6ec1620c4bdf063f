import DispatchAPI
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Ingest
import Logging
import ServiceLifecycle

/// The HTTP side of a server (API, live feed, operations endpoints), started and awaited until it listens or
/// fails, so that a server never runs without the HTTP side it was asked for.
final class HTTPService: Sendable {
    /// `HOST:PORT` it listens on (the real port when 0 was asked).
    let address: String
    private let group: ServiceGroup
    private let serving: Task<Void, Never>
    private let ended: OneShot<String>

    private init(address: String, group: ServiceGroup, serving: Task<Void, Never>, ended: OneShot<String>) {
        self.address = address
        self.group = group
        self.serving = serving
        self.ended = ended
    }

    /// Starts the server and waits until it listens, however long that takes.
    /// - Throws: `ListenerError` when it cannot listen (port in use, permission, an address that does not resolve).
    static func start(
        router: Router<DispatchContext>, webSocketRouter: Router<DispatchContext>, address: HostPort,
        limits: HTTPLimits = HTTPLimits(), logger: Logger
    ) async throws(ListenerError) -> HTTPService {
        let started = OneShot<Result<String, ListenerError>>()
        let ended = OneShot<String>()
        let webSocketResponder = webSocketRouter.buildResponder()
        let server = HTTPServerBuilder { responder in
            GuardedHTTPChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder,
                    configuration: .init(
                        http1: .init(idleTimeout: .milliseconds(Int64(limits.idleTimeoutSeconds * 1_000))))),
                limits: limits)
        }
        let app = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(address.host, port: address.port)),
            onServerRunning: { channel in
                let bound = HostPort(host: address.host, port: channel.localAddress?.port ?? address.port)
                started.complete(.success(bound.description))
            }, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))
        let serving = Task {
            do {
                try await group.run()
                started.complete(
                    .failure(ListenerError(listener: "HTTP", address: address, cause: "stopped before listening")))
                ended.complete("stopped")
            } catch {
                started.complete(.failure(ListenerError(listener: "HTTP", address: address, error: error)))
                ended.complete("\(error)")
            }
        }
        switch await started.value() {
        case .success(let bound):
            return HTTPService(address: bound, group: group, serving: serving, ended: ended)
        case .failure(let error):
            _ = await serving.value
            throw error
        }
    }

    /// Waits until the server ends; the error text (or `stopped` after `stop()`).
    func failure() async -> String { await ended.value() }

    /// Stops it and waits until it has.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await serving.value
    }
}
