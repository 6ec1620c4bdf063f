import GRDB
import OrbitaModel
import Testing

@testable import Storage

/// SQLite's fix partitions: closed at the row limit and at UTC midnight, every fix found again, late fixes in the
/// partition of their time, duplicates recognised across partitions, the catalogue's counts true.
struct FixPartitionTests {
    /// 10 vehicles, one fix each every 10 s from 23:00 UTC for `rounds` rounds (crossing midnight after 360).
    static func fleet(rounds: Int, from first: Int = 0) -> [TrackPoint] {
        let eleven: Int64 = 1_700_002_800  // 2023-11-14T23:00:00Z
        return (first..<first + rounds).flatMap { round in
            (0..<10).map { vehicle in
                TrackPoint(
                    vehicleID: "v\(vehicle)",
                    time: UTCInstant(microsecondsSinceEpoch: (eleven + Int64(round) * 10) * 1_000_000 + Int64(vehicle)),
                    coordinate: Coordinate(latitude: 55 + Double(round) * 1e-5, longitude: 37), source: "test",
                    segmentMeters: 1)
            }
        }
    }

    @Test func partitionsCloseAtTheRowLimitAndAtMidnightAndHoldEveryFix() throws {
        let store = try SQLiteTrackStore(path: temporaryPath("limit.sqlite"), partitionRowLimit: 500)
        let points = Self.fleet(rounds: 600)  // 6,000 fixes over 100 minutes, across midnight
        for start in stride(from: 0, to: points.count, by: 700) {
            _ = try store.insert(Array(points[start..<min(start + 700, points.count)]))
        }
        let stats = try store.historyStats()
        #expect(stats.fixes == 6_000)
        #expect(stats.partitions.count >= 12)
        // Every partition within one UTC day, none overlapping, none holding more than the limit.
        for partition in stats.partitions {
            #expect(partition.fixes <= 500, "\(partition.name): \(partition.fixes)")
            let day: Int64 = 86_400_000_000
            #expect(partition.from.microsecondsSinceEpoch / day == (partition.to.microsecondsSinceEpoch - 1) / day)
        }
        for (a, b) in zip(stats.partitions, stats.partitions.dropFirst()) { #expect(a.to <= b.from) }
        for vehicle in 0..<10 {
            let expected = points.filter { $0.vehicleID == "v\(vehicle)" }
            #expect(try store.track(vehicleID: "v\(vehicle)", from: nil, to: nil) == expected)
            let summary = try store.summaries().first { $0.vehicle.id == "v\(vehicle)" }
            #expect(summary?.fixCount == 600 && summary?.distanceMeters == 600)
        }
        // The catalogue's counts are the tables' counts.
        let counted = try DatabaseQueue(path: store.path).read { db in
            try stats.partitions.map { try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0.name)") ?? -1 }
        }
        #expect(counted == stats.partitions.map(\.fixes))
        // Re-inserting everything adds nothing: a fix always goes to the partition of its time.
        let again = try store.insert(points)
        #expect(again.inserted == 0 && again.duplicates == 6_000)
    }

    @Test func aLateFixGoesToThePartitionOfItsTimeAndTheFeedFindsIt() throws {
        let store = try SQLiteTrackStore(path: temporaryPath("late.sqlite"), partitionRowLimit: 100)
        let points = Self.fleet(rounds: 100)
        _ = try store.insert(points.filter { $0.vehicleID != "v3" })
        let partitions = try store.historyStats().partitions.count
        let before = try store.latestNumbers().fix
        // v3's whole track arrives late: it goes into the closed partitions, which take it beyond their limit.
        let late = points.filter { $0.vehicleID == "v3" }
        #expect(try store.insert(late).inserted == 100)
        #expect(try store.historyStats().partitions.count == partitions)
        #expect(try store.track(vehicleID: "v3", from: nil, to: nil) == late)
        #expect(try store.fixes(afterID: before, limit: 1_000).map(\.point) == late)
    }

    @Test func aDatabaseOfTheSingleTableBecomesItsFirstPartitionAndGrowsNewOnes() throws {
        let path = temporaryPath("v5.sqlite")
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v5-api-tokens")
        try queue.write { db in
            try db.execute(sql: "INSERT INTO vehicles (id, name, kind) VALUES ('v1', 'v1', 'bus')")
            try db.execute(sql: "INSERT INTO sources (name) VALUES ('old')")
            for second in 0..<50 {
                try db.execute(
                    sql: """
                        INSERT INTO fixes (vehicle_key, time_us, lat, lon, mode, quality, source_key, segment_m)
                        VALUES (1, ?, 55, 37, 3, 1, 1, 2)
                        """, arguments: [1_700_000_000_000_000 + Int64(second) * 1_000_000])
            }
        }
        try queue.close()
        let store = try SQLiteTrackStore(path: path, partitionRowLimit: 10)
        #expect(try store.historyStats().partitions.map(\.fixes) == [50])
        #expect(try store.latestNumbers().fix == 50)
        // A fix in the old table's span goes there; one past its last fix, the old table being full, opens a new one.
        let newer = (60..<70).map {
            TrackPoint(
                vehicleID: "v1",
                time: UTCInstant(microsecondsSinceEpoch: 1_700_000_000_000_000 + Int64($0) * 1_000_000),
                coordinate: Coordinate(latitude: 55, longitude: 37), source: "new", segmentMeters: 2)
        }
        let outcome = try store.insert(newer)
        #expect(outcome.fixIDs == Array(51...60))
        #expect(try store.historyStats().partitions.map(\.fixes) == [50, 10])
        #expect(try store.track(vehicleID: "v1", from: nil, to: nil).count == 60)
        #expect(try store.summaries().first?.distanceMeters == 120)
        #expect(try store.lastPositions().first?.time == newer.last?.time)
    }
}
