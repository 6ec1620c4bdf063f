import Foundation
import Logging
import Metrics
import NIOCore
import OrbitaModel
import OrbitaWire
import Synchronization

/// One feed for every `/api/live` session: what a commit stored is pushed to it (`publish`, from the writer), and a
/// single feeder task — one however many clients — encodes each message once and keeps the newest `retained`
/// messages in memory. Without a push for `fallbackInterval` the feeder reads the database instead (rows another
/// process wrote; a gap before a push is filled the same way), so the database stays the truth. Each session sends from that window at its own pace, so a slow client slows no one else.
///
/// A session that starts from a cursor outside the window, or falls behind it, catches up from the database on its
/// own (one catch-up at a time, so that a crowd reconnecting after a restart cannot take the API's connections) and
/// joins the window where its catch-up ended: nothing is missed and nothing is sent twice. A session whose writes
/// make no progress for `stallLimit` (30 s; a client that stopped reading) is closed. Every second the tokens of open
/// sessions are checked again, one query per distinct token; a revoked token ends its sessions with close code 1008.
final class LiveHub: Sendable {
    /// Messages kept for sessions to send by default (about 30 s at 1,000 fixes/s, ≈ 10 MB).
    static let defaultRetained = 32_768
    /// A session whose writes make no progress for this long is closed, by default.
    static let defaultStallLimit = Duration.seconds(30)
    /// Messages a session takes from the window at a time (≈ 100 KB: what one session can have in flight).
    static let chunk = 512

    /// One message, encoded once for every session: a complete WebSocket text frame (a server's frames are not
    /// masked, so the bytes are the same for every client) inside the buffer of the poll that read it.
    struct Message: Sendable {
        /// The cursor after it.
        let after: LiveFeed.Cursor
        /// The frames of its poll, and where in them this one lies.
        let poll: ByteBuffer
        let pollNumber: Int64
        let offset: Int
        let length: Int
    }

    /// What a session does next.
    enum Step {
        /// Send these frames (slices of the polls' buffers: `count` messages, ending at cursor `after`); they end at
        /// sequence `next`.
        case send([ByteBuffer], count: Int, after: LiveFeed.Cursor, next: Int64)
        /// Nothing new: wait for the poll after `generation`.
        case wait(generation: UInt64)
        /// Its position has left the window: catch up from its cursor.
        case behind
        /// Its token was revoked.
        case revoked
    }

    /// One open session, as the hub watches it.
    final class Session: Sendable {
        let id: UInt64
        let tokenHash: String?
        let channel: (any Channel)?
        /// Messages written so far (the stall check compares it across seconds).
        let written = Atomic<Int>(0)
        /// Whether a write is under way (a session waiting for data is not stalled).
        let writing = Atomic<Bool>(false)
        let revoked = Atomic<Bool>(false)

        init(id: UInt64, tokenHash: String?, channel: (any Channel)?) {
            self.id = id
            self.tokenHash = tokenHash
            self.channel = channel
        }

        /// Marks the session writing while `body` runs (a write that makes no progress then counts as a stall).
        func writing<T>(_ body: () async throws -> T) async rethrows -> T {
            writing.store(true, ordering: .relaxed)
            defer { writing.store(false, ordering: .relaxed) }
            return try await body()
        }
    }

    private struct Watch {
        let session: Session
        var lastWritten = 0
        var since = ContinuousClock.now
    }

    private struct State {
        var messages: [Message] = []
        /// The sequence number of `messages[0]`.
        var firstSequence: Int64 = 0
        /// The cursor before `messages[0]`.
        var base = LiveFeed.Cursor(fix: 0, event: 0)
        /// The cursor after everything polled (nil until the poller has read where the database stands).
        var head: LiveFeed.Cursor?
        var sessions: [UInt64: Watch] = [:]
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Counts the polls that found something (and the first, that found the head).
        var generation: UInt64 = 0
        var polls: Int64 = 0
        var nextID: UInt64 = 0
        var polling = false
        var catchingUp = false
        var catchUpQueue: [CheckedContinuation<Void, Never>] = []
        /// Commits pushed and not yet in the window.
        var pending: [Push] = []
        /// The poller, waiting for a push.
        var feederWake: CheckedContinuation<Void, Never>?
        var wakeAbandoned = false

        var endSequence: Int64 { firstSequence + Int64(messages.count) }

        /// The sequence number at which a session whose cursor is `cursor` continues, when `cursor` is the boundary
        /// before a message in the window (or the head).
        func sequence(at cursor: LiveFeed.Cursor) -> Int64? {
            if cursor == head { return endSequence }
            // Boundaries grow strictly in fix + event (each message moves one of them on), so search by the sum.
            let wanted = cursor.fix + cursor.event
            var low = 0
            var high = messages.count
            while low < high {
                let middle = (low + high) / 2
                let boundary = middle == 0 ? base : messages[middle - 1].after
                if boundary.fix + boundary.event < wanted { low = middle + 1 } else { high = middle }
            }
            let boundary =
                low == 0 ? base : low <= messages.count ? messages[low - 1].after : LiveFeed.Cursor(fix: -1, event: -1)
            return boundary == cursor ? firstSequence + Int64(low) : nil
        }

        mutating func resumeAll() {
            generation += 1
            for waiter in waiters.values { waiter.resume() }
            waiters.removeAll()
        }
    }

    let store: DispatchStore
    /// Sessions open at once at most; more are closed at once with code 1013 (try again later).
    let maximumSessions: Int
    private let state = Mutex(State())
    private let logger: Logger
    private let sessionsGauge = Gauge(label: "orbita_live_sessions")
    private let closedStalled = Counter(label: "orbita_live_sessions_closed_total", dimensions: [("reason", "stalled")])
    private let closedRevoked = Counter(label: "orbita_live_sessions_closed_total", dimensions: [("reason", "revoked")])
    private let refusedFull = Counter(label: "orbita_live_sessions_refused_total")
    private let catchUps = Counter(label: "orbita_live_catch_ups_total")

    /// Messages kept in the window.
    let retained: Int
    /// How long a session's writes may make no progress before it is closed.
    let stallLimit: Duration
    /// Without a push for this long the database is read (rows written by another process; a push missed).
    let fallbackInterval: Duration

    init(
        store: DispatchStore, maximumSessions: Int, retained: Int = defaultRetained,
        stallLimit: Duration = defaultStallLimit, fallbackInterval: Duration = .milliseconds(250),
        logger: Logger = Logger(label: "orbita.live")
    ) {
        self.fallbackInterval = fallbackInterval
        self.store = store
        self.maximumSessions = max(1, maximumSessions)
        self.retained = max(1, retained)
        self.stallLimit = stallLimit
        self.logger = logger
    }

    // MARK: - Sessions

    /// Registers a session (and starts the poller with the first); nil when `maximumSessions` are open.
    func open(tokenHash: String?, channel: (any Channel)?) -> Session? {
        let (session, start) = state.withLock { state -> (Session?, Bool) in
            guard state.sessions.count < maximumSessions else { return (nil, false) }
            state.nextID += 1
            let session = Session(id: state.nextID, tokenHash: tokenHash, channel: channel)
            state.sessions[session.id] = Watch(session: session)
            let start = !state.polling
            state.polling = true
            return (session, start)
        }
        guard let session else {
            refusedFull.increment()
            return nil
        }
        sessionsGauge.record(state.withLock { $0.sessions.count })
        if start { Task { await poll() } }
        return session
    }

    /// Unregisters a session; the poller stops with the last.
    func close(_ session: Session) {
        let count = state.withLock { state in
            state.sessions[session.id] = nil
            state.waiters.removeValue(forKey: session.id)?.resume()
            return state.sessions.count
        }
        sessionsGauge.record(count)
    }

    /// The head once the poller knows it: where a session without a cursor starts.
    func head(for session: Session) async -> (cursor: LiveFeed.Cursor, sequence: Int64)? {
        while !Task.isCancelled {
            let (known, generation) = state.withLock { state in
                (state.head.map { ($0, state.endSequence) }, state.generation)
            }
            if let known { return known }
            await wait(session, after: generation)
        }
        return nil
    }

    /// Where a session whose cursor is `cursor` joins the window without a catch-up, if it can.
    func sequence(at cursor: LiveFeed.Cursor) -> Int64? { state.withLock { $0.sequence(at: cursor) } }

    /// The head when it covers `cursor` (the hub has polled past it), else nil (the hub is still behind it); and
    /// the poll generation to wait after.
    func headCovering(_ cursor: LiveFeed.Cursor) -> (head: LiveFeed.Cursor?, generation: UInt64) {
        state.withLock { state in
            guard let head = state.head, head.fix >= cursor.fix, head.event >= cursor.event else {
                return (nil, state.generation)
            }
            return (head, state.generation)
        }
    }

    /// The next step of a session at `sequence`.
    func next(_ session: Session, from sequence: Int64) -> Step {
        if session.revoked.load(ordering: .relaxed) { return .revoked }
        return state.withLock { state in
            if sequence < state.firstSequence { return .behind }
            let end = state.endSequence
            guard sequence < end else { return .wait(generation: state.generation) }
            let start = Int(sequence - state.firstSequence)
            let count = min(Self.chunk, state.messages.count - start)
            // Consecutive messages of one poll go out as one slice of its buffer (no copy).
            var frames: [ByteBuffer] = []
            var index = start
            while index < start + count {
                let first = state.messages[index]
                var last = first
                while index + 1 < start + count, state.messages[index + 1].pollNumber == first.pollNumber {
                    index += 1
                    last = state.messages[index]
                }
                index += 1
                // The offsets were taken when the poll's buffer was written, so the slice is always inside it.
                if let slice = first.poll.getSlice(at: first.offset, length: last.offset + last.length - first.offset) {
                    frames.append(slice)
                }
            }
            return .send(
                frames, count: count, after: state.messages[start + count - 1].after, next: sequence + Int64(count))
        }
    }

    /// Waits for a poll after `generation` that found something (or until the session is revoked or cancelled).
    func wait(_ session: Session, after generation: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.generation > generation || Task.isCancelled || session.revoked.load(ordering: .relaxed)
                        || state.sessions[session.id] == nil
                    {
                        return true
                    }
                    state.waiters[session.id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: session.id) }?.resume()
        }
    }

    /// Runs `body` (a catch-up's database read) as the only one under way; others wait their turn.
    private func catchingUp<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if !state.catchingUp {
                    state.catchingUp = true
                    return true
                }
                state.catchUpQueue.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        defer {
            state.withLock { state in
                if state.catchUpQueue.isEmpty {
                    state.catchingUp = false
                } else {
                    state.catchUpQueue.removeFirst().resume()
                }
            }
        }
        return try await body()
    }

    // MARK: - Sending

    /// Why a session's sending ended.
    enum Ending: Sendable, Equatable {
        case cancelled
        case revoked
    }

    /// Sends a session's messages through `write`: from `sequence` in the window, or (without one) from `cursor`,
    /// catching up from the database first when the window does not reach back to it. Returns when cancelled or
    /// the token is revoked; throws what `write` throws.
    func run(
        _ session: Session, cursor start: LiveFeed.Cursor, sequence: Int64?,
        write: ([ByteBuffer]) async throws -> Void
    ) async throws -> Ending {
        var cursor = start
        var position = sequence
        while !Task.isCancelled {
            guard let at = position else {
                // Outside the window: join it where the cursor is a boundary, or catch up to its head.
                if let joined = self.sequence(at: cursor) {
                    position = joined
                    continue
                }
                let (head, generation) = headCovering(cursor)
                guard let head else {
                    // The hub has not polled as far as the cursor yet.
                    await wait(session, after: generation)
                    continue
                }
                catchUps.increment()
                try await session.writing { try await catchUp(session, from: cursor, to: head, write: write) }
                cursor = head
                continue
            }
            switch next(session, from: at) {
            case .send(let frames, let count, let after, let next):
                try await session.writing { try await write(frames) }
                session.written.add(count, ordering: .relaxed)
                cursor = after
                position = next
            case .wait(let generation):
                await wait(session, after: generation)
            case .behind:
                position = nil
            case .revoked:
                return .revoked
            }
        }
        return .cancelled
    }

    /// Sends what was committed after `from` up to `target` from the database (each read takes its turn; the writes
    /// do not, so that a slow client holds up no other catch-up).
    private func catchUp(
        _ session: Session, from: LiveFeed.Cursor, to target: LiveFeed.Cursor,
        write: ([ByteBuffer]) async throws -> Void
    ) async throws {
        let batch = LiveFeed.batch
        var cursor = from
        while cursor.fix < target.fix {
            let after = cursor.fix
            let fixes = try await catchingUp {
                try await store.use(heavy: true) { try $0.fixes(afterID: after, limit: batch) }
            }
            var messages: [ByteBuffer] = []
            for (id, point) in fixes where id <= target.fix {
                cursor.fix = id
                if point.flags.contains(.ahead) { continue }
                messages.append(LiveFeed.position(point, cursor: cursor))
            }
            try await Self.send(messages, of: session, through: write)
            guard let last = fixes.last, last.id < target.fix else { break }
        }
        cursor.fix = max(cursor.fix, target.fix)
        while cursor.event < target.event {
            let after = cursor.event
            let events = try await catchingUp {
                try await store.use(heavy: true) {
                    try $0.storedEvents(EventQuery(limit: batch), order: .oldestFirst, afterID: after)
                }
            }
            var messages: [ByteBuffer] = []
            for stored in events where stored.id <= target.event {
                cursor.event = stored.id
                messages.append(LiveFeed.event(stored, cursor: cursor))
            }
            try await Self.send(messages, of: session, through: write)
            guard let last = events.last, last.id < target.event else { break }
        }
    }

    /// Frames a catch-up's messages into one buffer and writes it.
    private static func send(
        _ messages: [ByteBuffer], of session: Session, through write: ([ByteBuffer]) async throws -> Void
    ) async throws {
        guard !messages.isEmpty else { return }
        var frames = ByteBuffer()
        for message in messages { LiveFeed.appendFrame(message, to: &frames) }
        try await write([frames])
        session.written.add(messages.count, ordering: .relaxed)
    }

    // MARK: - The poller

    /// Takes pushed commits (or reads the database) while sessions are open; checks tokens and stalls every second.
    private func poll() async {
        var lastCheck = ContinuousClock.now
        // Whether the last database read came back full: then the next one follows at once, without waiting.
        var full = false
        while true {
            let (running, head) = state.withLock { state -> (Bool, LiveFeed.Cursor?) in
                if state.sessions.isEmpty {
                    // The last session went: forget the window, so that the next starts from where the database is.
                    state.polling = false
                    state.messages = []
                    state.pending = []
                    state.head = nil
                    return (false, nil)
                }
                return (true, state.head)
            }
            guard running else { return }
            do {
                if let head {
                    let pushed = state.withLock { state in
                        defer { state.pending.removeAll() }
                        return state.pending
                    }
                    if pushed.isEmpty {
                        // Nothing pushed since the last turn: wait for a commit, and read the database when none
                        // comes within `fallbackInterval` (rows another writer added, a push missed at start).
                        let pushedMeanwhile = full ? false : await waitForPush(timeout: fallbackInterval)
                        if !pushedMeanwhile { full = try await read(after: head) }
                    } else {
                        for push in pushed { try await apply(push) }
                        full = false
                    }
                } else {
                    let latest = try await store.use { try $0.latestNumbers() }
                    state.withLock { state in
                        let cursor = LiveFeed.Cursor(fix: latest.fix, event: latest.event)
                        state.head = cursor
                        state.base = cursor
                        state.resumeAll()
                    }
                }
            } catch {
                logger.warning("live feed: reading new data failed; retrying", metadata: ["error": "\(error)"])
            }
            if ContinuousClock.now - lastCheck >= LiveFeed.tokenRecheck {
                lastCheck = ContinuousClock.now
                await checkSessions()
            }
        }
    }

    /// Appends a push; when rows before it are missing (another writer's, or committed while the head was read),
    /// reads them from the database first (all of them, however many reads that takes).
    private func apply(_ push: Push) async throws {
        var full = false
        var head = state.withLock { $0.head } ?? LiveFeed.Cursor(fix: 0, event: 0)
        if let elsewhere = push.elsewhere {
            // Commits are made in the order of their numbers (see the PostgreSQL store), so everything up to the
            // notified cursor is in the database now.
            while elsewhere.fix > head.fix || elsewhere.event > head.event {
                full = try await read(after: head)
                let moved = state.withLock { $0.head } ?? head
                if moved == head && !full { break }
                head = moved
            }
            return
        }
        let gap =
            push.fixes.first.map { $0.id > head.fix + 1 } ?? false
            || push.events.first.map { $0.id > head.event + 1 }
                ?? false
        if gap {
            repeat {
                full = try await read(after: head)
                head = state.withLock { $0.head } ?? head
            } while full
        }
        append(push.fixes, push.events, after: head)
    }

    /// Waits until a commit is pushed or `timeout` passes; true when pushed.
    private func waitForPush(timeout: Duration) async -> Bool {
        var pushed = false
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let now = self.state.withLock { state -> Bool in
                        if !state.pending.isEmpty || state.wakeAbandoned { return true }
                        state.feederWake = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            // Whichever finished first, the other must end too: release the continuation if it still waits.
            let waiting = state.withLock { state -> CheckedContinuation<Void, Never>? in
                pushed = !state.pending.isEmpty
                state.wakeAbandoned = true
                defer { state.feederWake = nil }
                return state.feederWake
            }
            waiting?.resume()
        }
        state.withLock { $0.wakeAbandoned = false }
        return pushed
    }

    // MARK: - Pushes from the writer

    /// What one commit stored: its fixes and events with their numbers.
    struct Push: Sendable {
        let fixes: [(id: Int64, point: TrackPoint)]
        let events: [StoredEvent]
        /// Another process's commit, known by its cursor only: what it stored is read from the database.
        var elsewhere: LiveFeed.Cursor? = nil
    }

    /// Whether anyone follows the feed (a commit need not be pushed otherwise).
    var isFollowed: Bool { state.withLock { $0.polling && $0.head != nil } }

    /// Hands what a commit stored to the feed (from the writer's thread; returns at once). Ignored while nobody
    /// follows the feed.
    func publish(fixes: [(id: Int64, point: TrackPoint)], events: [StoredEvent]) {
        guard !fixes.isEmpty || !events.isEmpty else { return }
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.polling, state.head != nil else { return nil }
            state.pending.append(Push(fixes: fixes, events: events))
            defer { state.feederWake = nil }
            return state.feederWake
        }
        wake?.resume()
    }

    /// Another process (a cluster node, an import) committed up to `cursor` (its `NOTIFY`; from any thread, returns
    /// at once): the feed reads it from the database unless it is there already. Ignored while nobody follows.
    func committedElsewhere(through cursor: LiveFeed.Cursor) {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.polling, let head = state.head, cursor.fix > head.fix || cursor.event > head.event else {
                return nil
            }
            state.pending.append(Push(fixes: [], events: [], elsewhere: cursor))
            defer { state.feederWake = nil }
            return state.feederWake
        }
        wake?.resume()
    }

    /// Reads and appends what was committed after `head`; true when a read came back full (more is waiting).
    private func read(after head: LiveFeed.Cursor) async throws -> Bool {
        let batch = LiveFeed.batch
        let (fixes, events) = try await store.use { store in
            (
                try store.fixes(afterID: head.fix, limit: batch),
                try store.storedEvents(EventQuery(limit: batch), order: .oldestFirst, afterID: head.event)
            )
        }
        append(fixes, events, after: head)
        return fixes.count == batch || events.count == batch
    }

    /// Encodes rows committed after `head` (those at or before it are skipped) into one buffer of frames and appends
    /// them to the window; the head moves past them.
    private func append(
        _ fixes: [(id: Int64, point: TrackPoint)], _ events: [StoredEvent], after head: LiveFeed.Cursor
    ) {
        guard fixes.last.map({ $0.id > head.fix }) ?? false || events.last.map({ $0.id > head.event }) ?? false
        else { return }
        var cursor = head
        var frames = ByteBuffer()
        var placed: [(after: LiveFeed.Cursor, offset: Int, length: Int)] = []
        placed.reserveCapacity(fixes.count + events.count)
        for (id, point) in fixes where id > head.fix {
            cursor.fix = id
            // Stored but not a position yet: dated ahead of the server's clock (see `FixFlags.ahead`).
            if point.flags.contains(.ahead) { continue }
            let offset = frames.writerIndex
            LiveFeed.appendFrame(LiveFeed.position(point, cursor: cursor), to: &frames)
            placed.append((cursor, offset, frames.writerIndex - offset))
        }
        for stored in events where stored.id > head.event {
            cursor.event = stored.id
            let offset = frames.writerIndex
            LiveFeed.appendFrame(LiveFeed.event(stored, cursor: cursor), to: &frames)
            placed.append((cursor, offset, frames.writerIndex - offset))
        }
        let poll = frames
        let newHead = cursor
        state.withLock { state in
            state.polls += 1
            let number = state.polls
            for (after, offset, length) in placed {
                state.messages.append(
                    Message(after: after, poll: poll, pollNumber: number, offset: offset, length: length))
            }
            state.head = newHead
            // Drop the oldest in steps of a quarter, so that trimming costs little per message.
            if state.messages.count > retained + retained / 4 {
                let drop = state.messages.count - retained
                state.base = state.messages[drop - 1].after
                state.messages.removeFirst(drop)
                state.firstSequence += Int64(drop)
            }
            state.resumeAll()
        }
    }

    /// Ends sessions whose token was revoked, and closes those whose writes made no progress for `stallLimit`.
    private func checkSessions() async {
        let now = ContinuousClock.now
        let (hashes, stalled) = state.withLock { state -> (Set<String>, [Session]) in
            var hashes = Set<String>()
            var stalled: [Session] = []
            for (id, var watch) in state.sessions {
                if let hash = watch.session.tokenHash { hashes.insert(hash) }
                let written = watch.session.written.load(ordering: .relaxed)
                if written != watch.lastWritten || !watch.session.writing.load(ordering: .relaxed) {
                    watch.lastWritten = written
                    watch.since = now
                    state.sessions[id] = watch
                } else if now - watch.since >= stallLimit {
                    stalled.append(watch.session)
                }
            }
            return (hashes, stalled)
        }
        for session in stalled {
            closedStalled.increment()
            logger.notice("live feed: closing a session that stopped reading", metadata: ["session": "\(session.id)"])
            session.channel?.close(promise: nil)
        }
        var revoked = Set<String>()
        for hash in hashes {
            // A failed read is tried again in a second; a token that is gone or revoked ends its sessions.
            guard let token = try? await store.use({ Optional(try $0.token(secretSHA256: hash)) }) else { continue }
            if token == nil || token?.revoked != nil { revoked.insert(hash) }
        }
        guard !revoked.isEmpty else { return }
        state.withLock { state in
            for watch in state.sessions.values {
                guard let hash = watch.session.tokenHash, revoked.contains(hash) else { continue }
                if !watch.session.revoked.exchange(true, ordering: .relaxed) { closedRevoked.increment() }
                state.waiters.removeValue(forKey: watch.session.id)?.resume()
            }
        }
    }
}
