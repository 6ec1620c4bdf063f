import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOWebSocket
import Testing

/// `/api/live` of a real server while a simulated fleet drives: what is committed is pushed; a client that
/// reconnects with its cursor misses nothing and gets nothing twice.
@Suite("dispatch API: the live WebSocket feed", .serialized)
struct LiveFeedTests {
    /// Connects to `/api/live` (with `after` when given) and collects text messages until `until` returns true or
    /// `seconds` pass; returns them as JSON objects, or the connection's error.
    static func listen(
        _ http: String, token: String?, after: String? = nil, seconds: Double,
        until: @escaping @Sendable ([[String: Any]]) -> Bool = { _ in false }
    ) async -> Result<[[String: Any]], any Error> {
        let collected = Collected()
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        let headers = fields
        let url = "ws://\(http)/api/live" + (after.map { "?after=\($0)" } ?? "")
        let deadline = ContinuousClock.now + .seconds(seconds)
        let outcome = await bounded(seconds + 2) {
            try await WebSocketClient.connect(
                url: url, configuration: .init(additionalHeaders: headers), logger: Logger(label: "test.live")
            ) { inbound, _, _ in
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    let all = collected.add(text)
                    if ContinuousClock.now > deadline || until(all.map(Self.object)) { return }
                }
            }
        }
        if case .failure(let error)? = outcome { return .failure(error) }
        return .success(collected.all.map(Self.object))
    }

    /// Runs `body` in a task of its own: its result, or nil after `seconds` — without waiting for a body that does
    /// not end when cancelled (a WebSocket client waiting for a message that never comes hung a loaded CI run).
    static func bounded<T: Sendable>(
        _ seconds: Double, _ body: @escaping @Sendable () async throws -> T
    ) async -> Result<T, any Error>? {
        await withCheckedContinuation { continuation in
            let first = FirstResult(continuation)
            let work = Task {
                do { first.resume(.success(try await body())) } catch { first.resume(.failure(error)) }
            }
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                work.cancel()
                first.resume(nil)
            }
        }
    }

    /// Resumes a continuation once, with whichever result comes first.
    final class FirstResult<T: Sendable>: @unchecked Sendable {
        // @unchecked: `continuation` is guarded by `lock`.
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Result<T, any Error>?, Never>?

        init(_ continuation: CheckedContinuation<Result<T, any Error>?, Never>) { self.continuation = continuation }

        func resume(_ result: Result<T, any Error>?) {
            lock.lock()
            let waiting = continuation
            continuation = nil
            lock.unlock()
            waiting?.resume(returning: result)
        }
    }

    /// Messages received, shared between the client's task and the test.
    final class Collected: @unchecked Sendable {
        // @unchecked: `texts` is guarded by `lock`.
        private let lock = NSLock()
        private var texts: [String] = []
        func add(_ text: String) -> [String] {
            lock.lock()
            defer { lock.unlock() }
            texts.append(text)
            return texts
        }
        var all: [String] {
            lock.lock()
            defer { lock.unlock() }
            return texts
        }
    }

    static func object(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test func pushesWhatIsCommittedAndResumesFromItsCursorMissingNothing() async throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("live.sqlite").path
        let created = try OrbitaProcess.run(["token", "create", "--role", "viewer", "--db", db])
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try LiveServer(db: db, ["--register-unknown", "--commit-interval", "0.2"])
        defer { _ = server.stop(SIGTERM) }

        let http = server.http
        // Without a token there is no upgrade.
        if case .success(let messages) = await Self.listen(http, token: nil, seconds: 1) {
            #expect(messages.isEmpty, "no token, yet \(messages.count) messages")
        }

        let sender = Process()
        sender.executableURL = OrbitaProcess.binary
        sender.arguments = [
            "simulate", "--to", "udp://\(server.udp)", "--vehicles", "4", "--rate", "5", "--duration", "6",
            "--prefix", "LIVE", "--quiet",
        ]
        sender.standardOutput = Pipe()
        // First connection: from the start until it has seen 20 positions (about 1 s of the 6 s drive; up to 30 s on
        // a loaded machine), then it goes away.
        async let first = Self.listen(http, token: token, seconds: 30) { messages in
            messages.count { $0["type"] as? String == "position" } >= 20
        }
        try await Task.sleep(for: .milliseconds(300))
        try sender.run()
        let part1 = try await first.get()
        #expect(part1.first?["type"] as? String == "hello")
        let cursor = try #require(part1.last?["cursor"] as? String)
        let positions1 = part1.filter { $0["type"] as? String == "position" }
        #expect(!positions1.isEmpty, "positions pushed while connected")
        // Second connection resumes with the cursor and stays until every fix is through.
        sender.waitUntilExit()
        let alreadySeen = positions1.count
        let part2 = try await Self.listen(http, token: token, after: cursor, seconds: 30) { messages in
            messages.count { $0["type"] as? String == "position" } + alreadySeen >= 120
        }.get()
        #expect(part2.first?["cursor"] as? String == cursor, "hello repeats the cursor it resumes from")
        let keys = (positions1 + part2.filter { $0["type"] as? String == "position" }).map {
            "\($0["vehicle"] as? String ?? "?") \($0["time"] as? String ?? "?")"
        }
        #expect(keys.count == 120, "4 vehicles × 30 fixes, each once: got \(keys.count)")
        #expect(Set(keys).count == keys.count, "a fix sent twice")
    }

    /// Revoking a token ends the sessions opened with it within the recheck interval (before: 83 messages after
    /// `orbita token revoke`, and the session went on).
    @Test func revokingATokenEndsItsSessions() async throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("revoke.sqlite").path
        let created = try OrbitaProcess.run(["token", "create", "--role", "viewer", "--name", "kiosk", "--db", db])
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try LiveServer(db: db, ["--register-unknown", "--commit-interval", "0.2"])
        defer { _ = server.stop(SIGTERM) }
        let sender = try server.simulate(
            vehicles: 2, rate: 5, duration: 12, route: try ServeCommandTests.zones(folder, db: db), prefix: "REV")
        defer { sender.terminate() }
        let began = ContinuousClock.now
        let http = server.http
        async let session = Self.listen(http, token: token, seconds: 60)
        try await Task.sleep(for: .seconds(2))
        let listed = try OrbitaProcess.run(["token", "list", "--db", db]).stdout
        let id = try #require(
            listed.split(separator: "\n").first { $0.hasSuffix("kiosk") }?.split(separator: " ").first.map(String.init))
        #expect(try OrbitaProcess.run(["token", "revoke", id, "--db", db]).status == 0)
        let revokedAt = ContinuousClock.now
        let messages = await session
        let ended = ContinuousClock.now
        // The revocation ended the session, not its 60 s: about 2 s after the revoke (the 1 s recheck and a poll) when
        // the test runs alone; on a CI machine running every suite at once 5.3 s and 11 s were seen, so the bound here
        // only tells the two apart (a timing is for benchmarks).
        print("live session ended \(ended - revokedAt) after its token was revoked")
        #expect(ended - revokedAt < .seconds(30), "the session went on \(ended - revokedAt) after the revoke")
        #expect(ended - began < .seconds(55))
        // A session, ended by the server (not a connection that failed at once).
        let received = try messages.get()
        #expect(received.first?["type"] as? String == "hello")
    }

    /// Sessions beyond `live_max_sessions` are accepted and closed at once with 1013 (try again later); the open
    /// ones go on, and a place that frees up can be taken.
    @Test func sessionsBeyondTheLimitAreToldToTryAgainLater() async throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("limit.sqlite").path
        let config = folder.appendingPathComponent("live.yaml")
        try "live_max_sessions: 2\n".write(to: config, atomically: true, encoding: .utf8)
        let token = try OrbitaProcess.run(["token", "create", "--role", "viewer", "--db", db]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try LiveServer(db: db, ["--register-unknown", "--config", config.path])
        defer { _ = server.stop(SIGTERM) }
        let http = server.http
        async let first = Self.listen(http, token: token, seconds: 6)
        async let second = Self.listen(http, token: token, seconds: 6)
        try await Task.sleep(for: .seconds(2))
        var fields = HTTPFields()
        fields[.authorization] = "Bearer \(token)"
        let began = ContinuousClock.now
        let headers = fields
        let refused = try await Self.bounded(10) {
            try await WebSocketClient.connect(
                url: "ws://\(http)/api/live", configuration: .init(additionalHeaders: headers),
                logger: Logger(label: "test.live")
            ) { inbound, _, _ in
                for try await _ in inbound.messages(maxSize: 1 << 20) {}
            }
        }?.get()
        #expect(refused?.closeCode == .unknown(1013), "closed with \(String(describing: refused))")
        #expect(ContinuousClock.now - began < .seconds(3))
        let open = [try await first.get(), try await second.get()]
        #expect(open.allSatisfy { $0.first?["type"] as? String == "hello" }, "the two sessions within the limit")
        // Both have ended: a new session gets its hello.
        let later = try await Self.listen(http, token: token, seconds: 1).get()
        #expect(later.first?["type"] as? String == "hello")
    }
}
