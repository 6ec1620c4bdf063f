import Cluster
import Testing

/// The pure parts of sharing vehicles among nodes: the shard of a vehicle, and each node's fair share.
@Suite("cluster: shards and shares")
struct ShardShareTests {
    /// The hash is FNV-1a, pinned: a change would move every vehicle to another shard between versions.
    @Test func aVehiclesShardIsStableAndSpread() {
        #expect(shard(ofVehicle: "", shardCount: 256) == Int(UInt64(0xcbf2_9ce4_8422_2325) % 256))
        #expect(shard(ofVehicle: "a", shardCount: 1 << 62) == Int(UInt64(0xaf63_dc4c_8601_ec8c) % (1 << 62)))
        var counts = [Int](repeating: 0, count: 256)
        for index in 0..<25_600 { counts[shard(ofVehicle: "35\(100_000_000_000 + index)", shardCount: 256)] += 1 }
        // 100 a shard on average: none empty, none above three times the average.
        #expect(counts.min()! > 0)
        #expect(counts.max()! < 300)
    }

    @Test func sharesAddUpAndEveryNodeComputesTheSameSplit() {
        for count in 1...7 {
            let nodes = (0..<count).map { "node-\($0)" }
            let shares = nodes.map { fairShare(of: $0, among: nodes.shuffled(), shardCount: 256) }
            #expect(shares.reduce(0, +) == 256)
            #expect(shares.max()! - shares.min()! <= 1)
        }
        // A node not yet in the list counts itself.
        #expect(fairShare(of: "b", among: ["a"], shardCount: 256) == 128)
    }

    @Test func nodeNamesAreHostNameLike() {
        #expect(ClusterSettings.isValidNodeName("node-1.eu_west"))
        #expect(!ClusterSettings.isValidNodeName(""))
        #expect(!ClusterSettings.isValidNodeName("a b"))
        #expect(!ClusterSettings.isValidNodeName(String(repeating: "x", count: 64)))
    }
}
