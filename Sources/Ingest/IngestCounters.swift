import Metrics
import Synchronization

/// What ingest received and dropped, per reason and per source. Reported to swift-metrics (the server bootstraps
/// Prometheus) and kept per source in a bounded table for `/sources`. Thread-safe.
public final class IngestCounters: Sendable {
    /// Counts of one source.
    public struct SourceCounts: Sendable, Hashable {
        /// Datagrams (UDP) or reads (TCP).
        public var messages = 0
        /// Fixes passed on to the pipeline.
        public var fixes = 0
        /// Drops by reason.
        public var dropped: [IngestDrop: Int] = [:]
        /// All drops.
        public var droppedTotal: Int { dropped.values.reduce(0, +) }
    }

    /// Sources tracked one by one at most; further sources are counted under `other`.
    public static let sourceCapacity = 4_096

    private let sources = Mutex<[String: SourceCounts]>([:])
    private let messages: Counter
    private let bytes: Counter
    private let fixes: Counter
    private let rejectedLines: Counter
    private let drops: [IngestDrop: Counter]

    /// Creates the counters (`transport`: "udp" or "tcp", a metrics dimension).
    public init(transport: String) {
        let dimensions = [("transport", transport)]
        messages = Counter(label: "orbita_ingest_messages_total", dimensions: dimensions)
        bytes = Counter(label: "orbita_ingest_bytes_total", dimensions: dimensions)
        fixes = Counter(label: "orbita_ingest_fixes_total", dimensions: dimensions)
        rejectedLines = Counter(label: "orbita_ingest_rejected_lines_total", dimensions: dimensions)
        var drops: [IngestDrop: Counter] = [:]
        for reason in IngestDrop.allCases {
            drops[reason] = Counter(
                label: "orbita_ingest_dropped_total", dimensions: dimensions + [("reason", reason.rawValue)])
        }
        self.drops = drops
    }

    /// Counts a received message (a datagram or a TCP read) of `size` bytes.
    public func received(size: Int, from source: String) {
        messages.increment()
        bytes.increment(by: size)
        update(source) { $0.messages += 1 }
    }

    /// Counts fixes handed to the pipeline, and lines the decoder rejected.
    public func passed(_ count: Int, rejectedLines rejected: Int = 0, from source: String) {
        if count > 0 { fixes.increment(by: count) }
        if rejected > 0 { rejectedLines.increment(by: rejected) }
        if count > 0 { update(source) { $0.fixes += count } }
    }

    /// Counts `count` drops for a reason.
    public func dropped(_ reason: IngestDrop, count: Int = 1, from source: String) {
        guard count > 0 else { return }
        drops[reason]?.increment(by: count)
        update(source) { $0.dropped[reason, default: 0] += count }
    }

    /// Counts gathered on an event loop over one read burst, recorded at once (one lock for many datagrams).
    public struct Tally {
        var messages = 0
        var bytes = 0
        var fixes = 0
        var rejectedLines = 0
        var dropped: [IngestDrop: Int] = [:]
        var perSource: [String: SourceCounts] = [:]

        /// An empty tally.
        public init() {}

        /// Whether nothing was counted.
        public var isEmpty: Bool { messages == 0 && fixes == 0 && rejectedLines == 0 && dropped.isEmpty }

        /// A message of `size` bytes from `source`.
        public mutating func received(size: Int, from source: String) {
            messages += 1
            bytes += size
            perSource[source, default: SourceCounts()].messages += 1
        }

        /// Fixes passed on, and lines rejected, from `source`.
        public mutating func passed(_ count: Int, rejectedLines rejected: Int = 0, from source: String) {
            fixes += count
            rejectedLines += rejected
            if count > 0 { perSource[source, default: SourceCounts()].fixes += count }
        }

        /// Drops from `source`.
        public mutating func dropped(_ reason: IngestDrop, count: Int = 1, from source: String) {
            guard count > 0 else { return }
            dropped[reason, default: 0] += count
            perSource[source, default: SourceCounts()].dropped[reason, default: 0] += count
        }
    }

    /// Records a tally (and leaves it empty).
    public func record(_ tally: inout Tally) {
        guard !tally.isEmpty else { return }
        if tally.messages > 0 { messages.increment(by: tally.messages) }
        if tally.bytes > 0 { bytes.increment(by: tally.bytes) }
        if tally.fixes > 0 { fixes.increment(by: tally.fixes) }
        if tally.rejectedLines > 0 { rejectedLines.increment(by: tally.rejectedLines) }
        for (reason, count) in tally.dropped { drops[reason]?.increment(by: count) }
        let perSource = tally.perSource
        sources.withLock { table in
            for (source, counts) in perSource {
                let key = table[source] != nil || table.count < Self.sourceCapacity ? source : "other"
                var entry = table[key, default: SourceCounts()]
                entry.messages += counts.messages
                entry.fixes += counts.fixes
                for (reason, count) in counts.dropped { entry.dropped[reason, default: 0] += count }
                table[key] = entry
            }
        }
        tally = Tally()
    }

    /// The sources with the most drops first (for `/sources`).
    public func noisiestSources(limit: Int = 100) -> [(source: String, counts: SourceCounts)] {
        let all = sources.withLock { $0 }
        return all.sorted { ($0.value.droppedTotal, $0.key) > ($1.value.droppedTotal, $1.key) }.prefix(limit).map {
            (source: $0.key, counts: $0.value)
        }
    }

    /// The counts of one source.
    public func counts(of source: String) -> SourceCounts? { sources.withLock { $0[source] } }

    private func update(_ source: String, _ change: (inout SourceCounts) -> Void) {
        sources.withLock { table in
            let key = table[source] != nil || table.count < Self.sourceCapacity ? source : "other"
            change(&table[key, default: SourceCounts()])
        }
    }
}
