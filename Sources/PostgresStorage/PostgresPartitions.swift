public import OrbitaModel
import PostgresNIO

/// Day partitions of `fixes`: `fixes_YYYYMMDD` covering `[day, day + 1)` in microseconds of fix time.
enum PostgresPartitions {
    static let day: Int64 = 86_400_000_000

    /// The start of the UTC day of a fix time.
    static func dayStart(_ time: Int64) -> Int64 { (time >= 0 ? time / day : -((-time + day - 1) / day)) * day }

    /// `fixes_YYYYMMDD`.
    static func name(_ dayStart: Int64) -> String {
        let date = CivilDate(daysSinceEpoch: Int(dayStart / day))
        return "fixes_\(date.year * 10_000 + date.month * 100 + date.day)"
    }

    /// The day a partition's name gives, nil for other names.
    static func dayStart(ofName name: String) -> Int64? {
        guard name.hasPrefix("fixes_"), name.count == 14, let number = Int(name.dropFirst(6)) else { return nil }
        guard let date = CivilDate(year: number / 10_000, month: number / 100 % 100, day: number % 100) else {
            return nil
        }
        return Int64(date.daysSinceEpoch) * day
    }

    /// The partitions there are, by day.
    static func existing(_ session: PostgresSession) throws(StoreError) -> [(day: Int64, name: String)] {
        var found: [(day: Int64, name: String)] = []
        for row in try session.query(
            """
            SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relname = 'fixes' AND p.relnamespace = to_regnamespace(current_schema())::oid
            """)
        {
            if let name = try? row.decode(String.self), let start = dayStart(ofName: name) {
                found.append((start, name))
            }
        }
        return found.sorted { $0.day < $1.day }
    }

    /// Makes the partitions of `days` that do not exist, each in a short transaction of its own under the partition
    /// lock (so that two servers making the same day do not collide).
    static func create(_ days: [Int64], _ session: PostgresSession) throws(StoreError) {
        for start in days.sorted() {
            try session.transaction { () throws(StoreError) in
                try session.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.partitionLock))")
                try session.execute(
                    """
                    CREATE TABLE IF NOT EXISTS \(name(start)) PARTITION OF fixes
                        FOR VALUES FROM (\(start)) TO (\(start + day))
                    """)
            }
        }
    }
}

extension PostgresTrackStore {
    /// Makes sure the days of a batch have partitions (before the batch's transaction: making a partition locks
    /// the parent table, which should not wait for a commit).
    func ensurePartitions(for points: [TrackPoint]) throws(StoreError) {
        var days = Set<Int64>()
        var last: Int64 = .min
        for point in points {
            let start = PostgresPartitions.dayStart(point.time.microsecondsSinceEpoch)
            if start != last {
                days.insert(start)
                last = start
            }
        }
        let missing = days.subtracting(partitionDays)
        guard !missing.isEmpty else { return }
        partitionDays = Set(try PostgresPartitions.existing(session).map(\.day))
        let absent = missing.subtracting(partitionDays)
        if !absent.isEmpty { try PostgresPartitions.create(Array(absent), session) }
        partitionDays.formUnion(missing)
    }

    /// Makes the partitions from yesterday to `until`'s day ahead of time.
    public func prepareHistory(until: UTCInstant) throws(StoreError) {
        let today = PostgresPartitions.dayStart(UTCInstant.now.microsecondsSinceEpoch)
        let last = PostgresPartitions.dayStart(until.microsecondsSinceEpoch)
        var days: [Int64] = []
        var day = today - PostgresPartitions.day
        while day <= last {
            days.append(day)
            day += PostgresPartitions.day
        }
        partitionDays = Set(try PostgresPartitions.existing(session).map(\.day))
        let absent = days.filter { !partitionDays.contains($0) }
        if !absent.isEmpty { try PostgresPartitions.create(absent, session) }
        partitionDays.formUnion(days)
    }
}
