import Ingest
import OrbitaModel
import Testing

/// The fair queue between the listeners and the processor (issue 13: limits bite only under contention).
struct IngestQueueTests {
    static func batch(_ source: String, fixes: Int = 1, droppable counters: IngestCounters? = nil) -> IngestBatch {
        IngestBatch(fixes: (0..<fixes).map { _ in Fix(device: source) }, source: source, pushedOut: counters)
    }

    /// Everything offered to a queue less than half full is taken, however it is spread over sources.
    @Test func belowHalfItsCapacityEveryBatchIsTaken() {
        let queue = IngestQueue(capacity: 1_000)
        for index in 0..<499 { #expect(queue.offer(Self.batch(index % 3 == 0 ? "gateway" : "s\(index)")) == .accepted) }
        #expect(queue.depth == 499)
    }

    /// A lone source may fill the whole queue; once another source shows up, the first is over its share.
    @Test func aSourceOverItsShareIsRefusedOnlyWhenOthersWait() {
        let queue = IngestQueue(capacity: 1_000)
        for _ in 0..<900 { #expect(queue.offer(Self.batch("flood")) == .accepted) }
        #expect(queue.offer(Self.batch("tracker")) == .accepted)
        // Two lanes: the share is 1,000 / (2 × 2) = 250 fixes; the flood holds 900.
        #expect(queue.offer(Self.batch("flood")) == .refused(.overShare))
        #expect(queue.offer(Self.batch("tracker", fixes: 5)) == .accepted)
    }

    /// A full queue makes room for a source under its share by pushing out the newest fixes of the longest UDP
    /// lane (counted there); TCP lanes are never pushed out.
    @Test func aFullQueuePushesOutTheLongestUDPLane() {
        let counters = IngestCounters(transport: "test")
        let queue = IngestQueue(capacity: 100)
        for _ in 0..<100 { #expect(queue.offer(Self.batch("udp:flood", droppable: counters)) == .accepted) }
        #expect(queue.offer(Self.batch("udp:tracker", fixes: 3)) == .accepted)
        #expect(queue.depth == 100)
        #expect(counters.noisiestSources().first { $0.source == "udp:flood" }?.counts.dropped[.overShare] == 3)

        let tcp = IngestQueue(capacity: 100)
        for _ in 0..<100 { #expect(tcp.offer(Self.batch("tcp:upload")) == .accepted) }
        #expect(tcp.offer(Self.batch("udp:tracker")) == .refused(.queueFull))
    }

    /// The processor takes a quantum from each lane in turn: a tracker's fixes behind a flood's backlog come out
    /// in the first take.
    @Test func lanesAreServedInTurn() throws {
        let queue = IngestQueue(capacity: 10_000)
        for _ in 0..<800 { _ = queue.offer(Self.batch("flood")) }
        for _ in 0..<5 { _ = queue.offer(Self.batch("tracker")) }
        let taken = try #require(queue.take(timeout: 0, maximum: 128))
        #expect(taken.count { $0.source == "tracker" } == 5)
        #expect(taken.count { $0.source == "flood" } == 123)
        #expect(queue.depth == 805 - 128)
    }

    /// A saturated processor (8 fixes a millisecond) under a flood (50 a millisecond), a gateway carrying 50
    /// trackers (3 a millisecond) and ten ordinary trackers (one fix a second each), for ten simulated seconds:
    /// the trackers lose nothing, the gateway — under half the processor's capacity — loses nothing either, and the
    /// flood gets what is left. With the processor at 5 a millisecond the gateway's demand is above its fair share
    /// (half of what the trackers leave) and it gets that share.
    @Test(arguments: [(8, 3_000, 4_990), (5, 2_495, 2_495)])
    func aSaturatedQueueSharesFairly(perMillisecond: Int, gatewayPerSecond: Int, floodPerSecond: Int) throws {
        let queue = IngestQueue(capacity: 4_000)
        var offered: [String: Int] = [:]
        var processed: [String: Int] = [:]
        var refused: [String: Int] = [:]
        for millisecond in 0..<10_000 {
            var arrivals = Array(repeating: "flood", count: 50) + Array(repeating: "gateway", count: 3)
            if millisecond % 1_000 == 0 { arrivals += (0..<10).map { "tracker\($0)" } }
            for source in arrivals {
                offered[source, default: 0] += 1
                if queue.offer(Self.batch(source)) != .accepted { refused[source, default: 0] += 1 }
            }
            for batch in try #require(queue.take(timeout: 0, maximum: perMillisecond)) {
                processed[batch.source, default: 0] += batch.fixes.count
            }
        }
        let trackers = (0..<10).map { "tracker\($0)" }
        #expect(trackers.allSatisfy { refused[$0] == nil && processed[$0] == 10 })
        let gateway = Double(processed["gateway", default: 0]) / 10
        let flood = Double(processed["flood", default: 0]) / 10
        #expect(abs(gateway - Double(gatewayPerSecond)) <= Double(gatewayPerSecond) * 0.02, "gateway \(gateway)/s")
        #expect(abs(flood - Double(floodPerSecond)) <= Double(floodPerSecond) * 0.02, "flood \(flood)/s")
        #expect(gateway + flood + 10 <= Double(perMillisecond * 1_000))
    }
}
