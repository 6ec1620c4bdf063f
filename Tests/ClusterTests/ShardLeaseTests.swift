import Cluster
import Foundation
import OrbitaModel
import OrbitaTesting
import StoreFactory
import Synchronization
import Testing

/// Shard leases in PostgreSQL, with coordinators driven round by round (`step`) and short leases: every shard held by
/// exactly one node, shares rebalanced as nodes join and leave, a dead node's shards taken over after its lease, two
/// processes never sharing a name, and a node that cannot reach the database stopping on its own.
@Suite(
    "cluster: shard leases (PostgreSQL)",
    .enabled(if: PostgresTestServer.isAvailable, "\(PostgresTestServer.skipReason)"))
struct ShardLeaseTests {
    static let settings = ClusterSettings(shardCount: 64, leaseSeconds: 2)

    func makeCluster() throws -> DatabaseLocation {
        try DatabaseLocation(parsing: try PostgresTestServer.createDatabase("cluster"))
    }

    func node(_ name: String, _ location: DatabaseLocation) throws -> ClusterCoordinator {
        ClusterCoordinator(
            node: name, store: try StoreFactory.openCluster(location, settings: Self.settings),
            settings: Self.settings, endpoints: "test")
    }

    /// Every shard held by at most one node's trusted lease, and all of them by someone once settled.
    func expectExclusive(_ nodes: [ClusterCoordinator], covering: Bool, _ comment: Comment? = nil) {
        var holders = [Int](repeating: 0, count: Self.settings.shardCount)
        for node in nodes {
            for shard in 0..<Self.settings.shardCount where node.epoch(ofShard: shard) != nil { holders[shard] += 1 }
        }
        #expect(holders.allSatisfy { $0 <= 1 }, comment)
        if covering { #expect(holders.allSatisfy { $0 == 1 }, comment) }
    }

    @Test func nodesShareTheShardsAndRebalanceWhenOneJoinsAndOneLeaves() throws {
        let location = try makeCluster()
        let a = try node("a", location)
        let b = try node("b", location)
        for _ in 0..<3 {
            a.step()
            b.step()
        }
        expectExclusive([a, b], covering: true)
        #expect(a.snapshot.leases.count == 32)
        #expect(b.snapshot.leases.count == 32)
        let releasedBefore = a.snapshot.released + b.snapshot.released
        let c = try node("c", location)
        for _ in 0..<3 {
            c.step()
            a.step()
            b.step()
            expectExclusive([a, b, c], covering: false)
        }
        c.step()
        expectExclusive([a, b, c], covering: true)
        #expect([a, b, c].map { $0.snapshot.leases.count }.sorted() == [21, 21, 22])
        #expect(a.snapshot.released + b.snapshot.released - releasedBefore == 21)

        // A clean stop hands everything over at once: the others take it at their next round.
        let handedOver = Mutex<[Int]>([])
        b.willRelease = { shards in
            handedOver.withLock { $0 += shards }
            return true
        }
        let held = b.snapshot.leases.keys.sorted()
        b.stop()
        #expect(handedOver.withLock { $0 } == held)
        a.step()
        c.step()
        expectExclusive([a, b, c], covering: true)
        #expect(a.snapshot.leases.count + c.snapshot.leases.count == 64)
        let status = try StoreFactory.openCluster(location, settings: Self.settings).status()
        #expect(status.nodes.map(\.name) == ["a", "b", "c"])
        #expect(status.nodes.first { $0.name == "b" }?.stopped == true)
        #expect(status.shardsByNode == ["a": a.snapshot.leases.count, "c": c.snapshot.leases.count])
        #expect(status.unownedShards == 0)
    }

    @Test func aDeadNodesShardsAreTakenOverAfterItsLeaseAndNotBefore() throws {
        let location = try makeCluster()
        let a = try node("a", location)
        let dead = try node("dead", location)
        for _ in 0..<3 {
            a.step()
            dead.step()
        }
        #expect(dead.snapshot.leases.count == 32)
        // `dead` stops taking part (a SIGKILL: no release, no leave). Within its lease nobody takes its shards.
        a.step()
        #expect(a.snapshot.leases.count == 32)
        Thread.sleep(forTimeInterval: Self.settings.leaseSeconds + 0.3)
        // Its own view lapsed first (trusted until its last renewal was sent + lease − margin).
        #expect(dead.epoch(ofShard: dead.snapshot.leases.keys.first!) == nil)
        a.step()
        #expect(a.snapshot.leases.count == 64)
        #expect(a.snapshot.liveNodes == ["a"])
        expectExclusive([a, dead], covering: true)
    }

    @Test func aNameInUseIsRefusedUntilItsHolderIsGone() throws {
        let location = try makeCluster()
        let first = try node("same", location)
        first.step()
        #expect(first.snapshot.leases.count == 64)
        let second = try node("same", location)
        second.step()
        #expect(second.snapshot.error?.contains("in use by another process") == true, "\(second.snapshot)")
        #expect(second.snapshot.leases.isEmpty)
        // The first dies; after the lease time the name is free, and the shards come back with new epochs.
        let epochs = first.snapshot.leases
        Thread.sleep(forTimeInterval: Self.settings.leaseSeconds + 0.3)
        second.step()
        #expect(second.snapshot.error == nil)
        #expect(second.snapshot.leases.count == 64)
        #expect(second.snapshot.leases.allSatisfy { $0.value > epochs[$0.key]! })
    }

    @Test func aNodeThatCannotReachTheDatabaseStopsTrustingItsLeases() throws {
        let server = try PrivatePostgresServer()
        defer { try? server.stop(mode: "immediate") }
        let location = try DatabaseLocation(parsing: server.url)
        let a = try node("a", location)
        let lost = Mutex<[Int]>([])
        a.didLose = { shards in lost.withLock { $0 += shards } }
        a.step()
        #expect(a.snapshot.leases.count == 64)
        try server.stop(mode: "immediate")
        a.step()
        #expect(a.snapshot.error != nil)
        #expect(a.owns(vehicle: "bus-1"), "still within the lease")
        Thread.sleep(forTimeInterval: Self.settings.leaseSeconds)
        a.step()
        #expect(!a.owns(vehicle: "bus-1"))
        #expect(lost.withLock { $0.count } == 64)
        // The database comes back: the node claims afresh (new epochs), not under the lapsed leases.
        try server.start()
        a.step()
        #expect(a.snapshot.error == nil, "\(a.snapshot)")
        #expect(a.snapshot.leases.count == 64)
        #expect(a.owns(vehicle: "bus-1"))
    }
}
