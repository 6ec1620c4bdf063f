import OrbitaModel
import Testing

/// What every `HistoryStore` must do: fixes over many days read as one history, whatever the partitions; retention
/// drops whole partitions that ended before the cut-off and nothing newer; events expire by their own cut-off; the
/// live feed's numbers find late fixes stored in older partitions.
@Suite("HistoryStore contract")
struct HistoryStoreContractTests {
    static let day: Int64 = 86_400
    /// The first UTC midnight after `at(0)` (2023-11-15T00:00:00Z), in seconds after `at(0)`.
    static let midnight: Int64 = 6_400

    /// Three fixes a day of `vehicle` on each of `days`, at 01:00, 09:00 and 17:00 UTC.
    static func fixes(_ vehicle: String, days: ClosedRange<Int64>) -> [TrackPoint] {
        days.flatMap { day in [1, 9, 17].map { fix(vehicle, midnight + day * Self.day + $0 * 3600) } }
    }

    @Test(arguments: StoreBackend.all)
    func manyDaysReadAsOneHistoryAndRetentionDropsWholePartitions(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        let bus = Self.fixes("bus-1", days: 0...3)
        let truck = Self.fixes("truck-2", days: 0...1)
        // Interleaved and out of order, as a fleet and a late import deliver them.
        _ = try store.insert(Array(zip(bus.reversed(), truck + truck).flatMap { [$0, $1] }.prefix(14)))
        _ = try store.insert(bus)
        #expect(try store.track(vehicleID: "bus-1", from: nil, to: nil) == bus)
        #expect(try store.track(vehicleID: "truck-2", from: nil, to: nil) == truck)
        let events = (0...3).map { event(.geofenceEnter, "bus-1", Self.midnight + $0 * Self.day + 3600) }
        _ = try store.insert([], events: events)

        let stats = try store.historyStats()
        #expect(stats.fixes == bus.count + truck.count)
        #expect(stats.oldestFix == bus.first?.time && stats.newestFix == bus.last?.time)
        #expect(stats.events == 4 && stats.oldestEvent == events.first?.time)
        #expect(stats.partitions.count >= 4)
        #expect(stats.partitions.reduce(0) { $0 + $1.fixes } == stats.fixes)
        for partition in stats.partitions {
            // None spans two UTC days; none overlaps the next.
            let start = partition.from.microsecondsSinceEpoch / 1_000_000
            let end = partition.to.microsecondsSinceEpoch / 1_000_000
            #expect(floorDiv(start, Self.day) == floorDiv(end - 1, Self.day), "\(partition.name)")
        }
        for (a, b) in zip(stats.partitions, stats.partitions.dropFirst()) { #expect(a.to <= b.from) }

        // Keep from the start of day 2: days 0 and 1 go, whole; events stay (their own setting).
        let cut = at(Self.midnight + 2 * Self.day)
        let pruned = try store.prune(fixesBefore: cut, eventsBefore: nil)
        #expect(pruned.droppedFixes == 6 + 6)
        #expect(pruned.deletedEvents == 0)
        #expect(try store.track(vehicleID: "bus-1", from: nil, to: nil) == Array(bus.suffix(6)))
        #expect(try store.track(vehicleID: "truck-2", from: nil, to: nil).isEmpty)
        #expect(try store.lastPositions() == [bus[bus.count - 1]])
        let summaries = try store.summaries()
        #expect(summaries.first { $0.vehicle.id == "bus-1" }?.fixCount == 6)
        #expect(summaries.first { $0.vehicle.id == "truck-2" }?.fixCount == 0)
        #expect(try store.historyStats().oldestFix == bus[6].time)
        #expect(try store.events(EventQuery()).count == 4)
        #expect(try store.prune(fixesBefore: cut, eventsBefore: nil) == PruneOutcome())

        // Events by their own cut-off.
        let events2 = try store.prune(fixesBefore: nil, eventsBefore: at(Self.midnight + 3 * Self.day))
        #expect(events2.deletedEvents == 3 && events2.droppedFixes == 0)
        #expect(try store.events(EventQuery()) == [events[3]])
    }

    @Test(arguments: StoreBackend.all)
    func aPartitionThatStraddlesTheCutOffIsKeptWhole(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        let bus = Self.fixes("bus-1", days: 0...2)
        _ = try store.insert(bus)
        // Cut at 08:00 of day 1: day 0's partition ended before it, day 1's did not.
        let pruned = try store.prune(fixesBefore: at(Self.midnight + Self.day + 8 * 3600), eventsBefore: nil)
        #expect(pruned.droppedFixes == 3)
        #expect(try store.track(vehicleID: "bus-1", from: nil, to: nil) == Array(bus.suffix(6)))
    }

    @Test(arguments: StoreBackend.all)
    func theLiveFeedsNumbersFindLateFixesInOlderPartitions(backend: StoreBackend) throws {
        let store = try backend.makeStore()
        _ = try store.insert(Self.fixes("bus-1", days: 3...3))
        let before = try store.latestNumbers().fix
        let late = fix("bus-1", Self.midnight + Self.day + 600, flags: .late)
        let outcome = try store.insert([late, fix("bus-1", Self.midnight + 3 * Self.day + 20 * 3600)])
        #expect(outcome.fixIDs.allSatisfy { $0 > before })
        let after = try store.fixes(afterID: before, limit: 10)
        #expect(after.map(\.id) == outcome.fixIDs)
        #expect(after.first?.point == late)
        #expect(try store.latestNumbers().fix == outcome.fixIDs.last)
        let all = try store.fixes(afterID: 0, limit: 100).map(\.id)
        #expect(all.count == 5 && zip(all, all.dropFirst()).allSatisfy { $0 < $1 } && all.last == outcome.fixIDs.last)
    }
}

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
