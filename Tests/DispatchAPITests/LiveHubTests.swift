import Foundation
import NIOCore
import NIOEmbedded
import OrbitaModel
import OrbitaWire
import Storage
import Synchronization
import Testing

@testable import DispatchAPI

/// The live feed's hub on a real SQLite database: one poll and one encoding for all sessions; a session outside the
/// window catches up from the database and joins it with nothing missed or repeated; a stalled session is closed
/// while the others go on; the session limit holds.
@Suite("dispatch API: the live feed's hub")
struct LiveHubTests {
    /// A database file, a connection that writes fixes into it, and the API's store over it.
    struct Fixture {
        let writer: SQLiteTrackStore
        let store: DispatchStore
        var next: Int64 = 0

        init() throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("orbita-hub-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let path = folder.appendingPathComponent("hub.sqlite").path
            writer = try SQLiteTrackStore(path: path)
            store = try DispatchStore(connections: 2) { try SQLiteTrackStore(path: path) }
        }

        /// Stores `count` new fixes of vehicle `V`, one second apart; returns them with their numbers.
        @discardableResult
        mutating func add(_ count: Int) throws -> [(id: Int64, point: TrackPoint)] {
            let points = (0..<count).map { offset in
                TrackPoint(
                    vehicleID: "V",
                    time: UTCInstant(
                        microsecondsSinceEpoch: 1_700_000_000_000_000 + (next + Int64(offset)) * 1_000_000),
                    coordinate: Coordinate(latitude: 55.75, longitude: 37.61), speedMetersPerSecond: 5,
                    courseDegrees: 90, mode: .threeDimensional, hdop: 0.9, satellitesUsed: 9, source: "test")
            }
            next += Int64(count)
            let outcome = try writer.insert(points)
            return Array(zip(outcome.fixIDs, points))
        }
    }

    /// What one session was sent: the buffers written, and from the WebSocket frames in them, the fix numbers in
    /// order (from each position's cursor).
    final class Received: Sendable {
        let payloads = Mutex<[ByteBuffer]>([])
        var texts: [String] {
            payloads.withLock { buffers in
                var texts: [String] = []
                for var buffer in buffers {
                    while let head = buffer.readInteger(as: UInt8.self), let short = buffer.readInteger(as: UInt8.self)
                    {
                        #expect(head == 0x81, "a final text frame")
                        var length = Int(short & 0x7F)
                        if length == 126 { length = Int(buffer.readInteger(as: UInt16.self) ?? 0) }
                        if length == 127 { length = Int(buffer.readInteger(as: UInt64.self) ?? 0) }
                        texts.append(buffer.readString(length: length) ?? "")
                    }
                }
                return texts
            }
        }
        var fixes: [Int64] {
            texts.compactMap { text -> Int64? in
                guard text.contains(#""type":"position""#),
                    let range = text.range(of: #""cursor":""#),
                    let end = text[range.upperBound...].firstIndex(of: ":")
                else { return nil }
                return Int64(text[range.upperBound..<end])
            }
        }
    }

    /// Runs a session of `hub` from `cursor` (or the head), recording what it is sent.
    static func follow(_ hub: LiveHub, from cursor: LiveFeed.Cursor?, channel: (any Channel)? = nil) async throws
        -> (LiveHub.Session, Received, Task<LiveHub.Ending, any Error>)
    {
        let session = try #require(hub.open(tokenHash: nil, channel: channel))
        var start = cursor
        var sequence: Int64?
        if cursor == nil {
            let head = try #require(await hub.head(for: session))
            start = head.cursor
            sequence = head.sequence
        }
        let received = Received()
        let from = try #require(start)
        let task = Task {
            try await hub.run(session, cursor: from, sequence: sequence) { payload in
                received.payloads.withLock { $0.append(contentsOf: payload) }
            }
        }
        return (session, received, task)
    }

    /// Waits up to 60 s for `condition` (the whole suite runs in parallel on two cores: be patient, assert after).
    static func eventually(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test func eachMessageIsEncodedOnceAndSharedBySessions() async throws {
        var fixture = try Fixture()
        let hub = LiveHub(store: fixture.store, maximumSessions: 10)
        let (first, a, taskA) = try await Self.follow(hub, from: nil)
        let (second, b, taskB) = try await Self.follow(hub, from: nil)
        try fixture.add(5)
        try await Self.eventually { a.fixes.count == 5 && b.fixes.count == 5 }
        #expect(a.fixes == [1, 2, 3, 4, 5])
        #expect(b.fixes == a.fixes)
        let addresses = { (received: Received) in
            received.payloads.withLock { $0.map { $0.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } } }
        }
        #expect(addresses(a) == addresses(b), "each session got its own copy of the text")
        taskA.cancel()
        taskB.cancel()
        #expect(try await taskA.value == .cancelled)
        _ = try await taskB.value
        hub.close(first)
        hub.close(second)
    }

    @Test func aSessionOutsideTheWindowCatchesUpAndJoinsWithNothingMissedOrRepeated() async throws {
        var fixture = try Fixture()
        // A window of 10 messages: most of what follows is outside it.
        let hub = LiveHub(store: fixture.store, maximumSessions: 10, retained: 10)
        let (live, watcher, liveTask) = try await Self.follow(hub, from: nil)
        for _ in 0..<4 {
            try fixture.add(25)
            let expected = Int(fixture.next)
            try await Self.eventually { watcher.fixes.count == expected }
        }
        // Resumes from before everything: 100 fixes from the database, then the window; more arrive meanwhile.
        let (late, resumed, lateTask) = try await Self.follow(hub, from: LiveFeed.Cursor(fix: 0, event: 0))
        try fixture.add(20)
        try await Self.eventually { resumed.fixes.count >= 120 }
        try fixture.add(7)
        try await Self.eventually { resumed.fixes.count >= 127 && watcher.fixes.count >= 127 }
        #expect(resumed.fixes == Array(1...127))
        #expect(watcher.fixes == Array(1...127))
        // From a cursor in the middle of the window's past, too.
        let (middle, fromMiddle, middleTask) = try await Self.follow(hub, from: LiveFeed.Cursor(fix: 60, event: 0))
        try await Self.eventually { fromMiddle.fixes.count >= 67 }
        #expect(fromMiddle.fixes == Array(61...127))
        for task in [liveTask, lateTask, middleTask] { task.cancel() }
        for session in [live, late, middle] { hub.close(session) }
    }

    @Test func aStalledSessionIsClosedWhileTheOthersGoOn() async throws {
        var fixture = try Fixture()
        let hub = LiveHub(store: fixture.store, maximumSessions: 10, stallLimit: .seconds(1))
        let channel = NIOAsyncTestingChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        let stalled = try #require(hub.open(tokenHash: nil, channel: channel))
        let head = try #require(await hub.head(for: stalled))
        // Its first write never completes (a client that stopped reading).
        let stalledTask = Task {
            try await hub.run(stalled, cursor: head.cursor, sequence: head.sequence) { _ in
                try await Task.sleep(for: .seconds(3_600))
            }
        }
        let (other, received, otherTask) = try await Self.follow(hub, from: nil)
        for _ in 0..<5 {
            try fixture.add(10)
            try await Task.sleep(for: .milliseconds(300))
        }
        try await Self.eventually { !channel.isActive }
        #expect(!channel.isActive, "the stalled session's connection is still open")
        try await Self.eventually { received.fixes.count == 50 }
        #expect(received.fixes == Array(1...50))
        stalledTask.cancel()
        otherTask.cancel()
        hub.close(stalled)
        hub.close(other)
    }

    /// Commits pushed by the writer reach sessions without a database poll (the fallback read is 10 minutes away
    /// here); rows another writer stored before a push are read from the database first, in order.
    @Test func pushedCommitsArriveWithoutAPollAndAGapIsFilledFromTheDatabase() async throws {
        var fixture = try Fixture()
        let hub = LiveHub(store: fixture.store, maximumSessions: 10, fallbackInterval: .seconds(600))
        let (session, received, task) = try await Self.follow(hub, from: nil)
        try await Self.eventually { hub.isFollowed }
        hub.publish(fixes: try fixture.add(5), events: [])
        try await Self.eventually { received.fixes.count == 5 }
        #expect(received.fixes == [1, 2, 3, 4, 5])
        // Another writer's rows (not pushed), then a pushed commit after them.
        try fixture.add(3)
        hub.publish(fixes: try fixture.add(2), events: [])
        try await Self.eventually { received.fixes.count == 10 }
        #expect(received.fixes == Array(1...10))
        task.cancel()
        hub.close(session)
    }

    @Test func sessionsOverTheLimitAreRefused() throws {
        let fixture = try Fixture()
        let hub = LiveHub(store: fixture.store, maximumSessions: 2)
        let first = try #require(hub.open(tokenHash: nil, channel: nil))
        let second = try #require(hub.open(tokenHash: nil, channel: nil))
        #expect(hub.open(tokenHash: nil, channel: nil) == nil)
        hub.close(first)
        let third = try #require(hub.open(tokenHash: nil, channel: nil))
        hub.close(second)
        hub.close(third)
    }
}
