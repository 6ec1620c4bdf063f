/// One partition of the fix history, as `orbita db stats` shows it.
public struct HistoryPartition: Sendable, Equatable {
    /// The table's name.
    public var name: String
    /// First instant covered.
    public var from: UTCInstant
    /// First instant no longer covered.
    public var to: UTCInstant
    /// Fixes it holds.
    public var fixes: Int
    /// Bytes it takes on disk (tables and indexes), when the backend knows; an estimate where it says so.
    public var bytes: Int?

    /// Creates a partition description.
    public init(name: String, from: UTCInstant, to: UTCInstant, fixes: Int, bytes: Int?) {
        self.name = name
        self.from = from
        self.to = to
        self.fixes = fixes
        self.bytes = bytes
    }
}

/// What a store holds of the history: partitions, counts, sizes, the oldest data.
public struct HistoryStats: Sendable, Equatable {
    /// The fix partitions, oldest first.
    public var partitions: [HistoryPartition]
    /// Fixes in all.
    public var fixes: Int
    /// The oldest and newest fix times.
    public var oldestFix: UTCInstant?
    /// The newest fix time.
    public var newestFix: UTCInstant?
    /// Events in all.
    public var events: Int
    /// The oldest event's time.
    public var oldestEvent: UTCInstant?
    /// The whole database's size on disk, bytes.
    public var databaseBytes: Int?
    /// Of which free (reusable) space, bytes.
    public var freeBytes: Int?
    /// Whether `HistoryPartition.bytes` are estimates (rows × the average row's size).
    public var bytesEstimated: Bool

    /// Creates statistics.
    public init(
        partitions: [HistoryPartition], fixes: Int, oldestFix: UTCInstant?, newestFix: UTCInstant?, events: Int,
        oldestEvent: UTCInstant?, databaseBytes: Int?, freeBytes: Int?, bytesEstimated: Bool
    ) {
        self.partitions = partitions
        self.fixes = fixes
        self.oldestFix = oldestFix
        self.newestFix = newestFix
        self.events = events
        self.oldestEvent = oldestEvent
        self.databaseBytes = databaseBytes
        self.freeBytes = freeBytes
        self.bytesEstimated = bytesEstimated
    }
}

/// What a retention pass removed.
public struct PruneOutcome: Sendable, Equatable {
    /// The partitions dropped, oldest first.
    public var droppedPartitions: [String]
    /// Fixes they held.
    public var droppedFixes: Int
    /// Events deleted.
    public var deletedEvents: Int

    /// Creates an outcome.
    public init(droppedPartitions: [String] = [], droppedFixes: Int = 0, deletedEvents: Int = 0) {
        self.droppedPartitions = droppedPartitions
        self.droppedFixes = droppedFixes
        self.deletedEvents = deletedEvents
    }
}

/// How long history is kept: fixes (whole partitions) and, by their own setting, events. Nil keeps everything.
public struct RetentionPolicy: Sendable, Equatable {
    /// Days of fixes kept.
    public var fixDays: Int?
    /// Days of events kept.
    public var eventDays: Int?

    /// Creates a policy.
    public init(fixDays: Int? = nil, eventDays: Int? = nil) {
        self.fixDays = fixDays
        self.eventDays = eventDays
    }

    /// Whether it removes anything at all.
    public var removesAnything: Bool { fixDays != nil || eventDays != nil }

    /// Applies the policy at `now` to a store.
    public func apply(to store: any HistoryStore, now: UTCInstant = .now) throws(StoreError) -> PruneOutcome {
        let day = 86_400.0
        return try store.prune(
            fixesBefore: fixDays.map { now.adding(seconds: -Double($0) * day) },
            eventsBefore: eventDays.map { now.adding(seconds: -Double($0) * day) })
    }
}

/// A store whose history is kept by time: statistics, and retention that drops whole partitions of fixes (never
/// deleting them row by row) and deletes events by their own cut-off.
public protocol HistoryStore: AnyObject {
    /// Partitions, counts, sizes and the oldest data.
    func historyStats() throws(StoreError) -> HistoryStats
    /// Drops every fix partition that ends at or before `fixesBefore` (a partition that straddles it is kept whole)
    /// and deletes events before `eventsBefore`; nil leaves that kind alone.
    func prune(fixesBefore: UTCInstant?, eventsBefore: UTCInstant?) throws(StoreError) -> PruneOutcome
    /// Makes the partitions fixes up to `until` will need, where the backend makes them ahead of time.
    func prepareHistory(until: UTCInstant) throws(StoreError)
}

/// Everything a storage backend provides: tracks, zones and events, the dispatch API's reads and writes, and history
/// kept by time. SQLite and PostgreSQL each pass the same contract suite (`Tests/StoreContractTests`).
public typealias OrbitaStore = DispatchRepository & HistoryStore
