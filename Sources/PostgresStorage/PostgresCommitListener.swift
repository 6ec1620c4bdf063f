import Logging
import NIOPosix
public import OrbitaModel
import PostgresNIO
import Synchronization

/// Follows what every process commits to the database (`LISTEN orbita_live`, on a connection of its own): each
/// commit's cursor (`FIX:EVENT`) goes to `onCommit`. A lost connection is made again after a second, and
/// `onCommit(.mayHaveMissed)` then says that commits may have gone unseen meanwhile.
public final class PostgresCommitListener: CommitListener {
    private let task: Task<Void, Never>
    private let current = OpenConnection()

    /// The connection listening now, if any (stop closes it).
    private final class OpenConnection: Sendable {
        let connection = Mutex<PostgresConnection?>(nil)
    }

    /// Starts listening.
    public init(_ endpoint: PostgresEndpoint, onCommit: @escaping @Sendable (CommitNotice) -> Void) {
        var logger = Logger(label: "orbita.postgres.listen")
        logger.logLevel = .critical
        let configuration = PostgresSession.configuration(endpoint)
        let current = self.current
        task = Task {
            var first = true
            while !Task.isCancelled {
                do {
                    let opened = try await PostgresConnection.connect(
                        on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                        id: PostgresSession.nextID(), logger: logger)
                    current.connection.withLock { $0 = opened }
                    let announceGap = !first
                    first = false
                    try await opened.listen(on: PostgresTrackStore.liveChannel) { notifications in
                        if announceGap { onCommit(.mayHaveMissed) }
                        for try await notification in notifications {
                            let parts = notification.payload.split(separator: ":")
                            guard parts.count == 2, let fix = Int64(parts[0]), let event = Int64(parts[1]) else {
                                continue
                            }
                            onCommit(.committed(fix: fix, event: event))
                        }
                    }
                } catch {
                    first = false
                }
                if let lost = current.connection.withLock({ $0 }) { try? await lost.close() }
                current.connection.withLock { $0 = nil }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Stops listening and closes the connection.
    public func stop() {
        task.cancel()
        current.connection.withLock { $0 }?.close().whenComplete { _ in }
    }
}
