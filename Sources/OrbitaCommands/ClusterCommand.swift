import ArgumentParser
import Cluster
import OrbitaModel
import StoreFactory
import TerminalOutput

/// `orbita cluster status`: the nodes sharing one PostgreSQL database and the shards each holds.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Show the nodes sharing a PostgreSQL database and their shards.",
        subcommands: [ClusterStatusCommand.self], defaultSubcommand: ClusterStatusCommand.self)
}

/// `orbita cluster status`.
struct ClusterStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List every node with its last heartbeat, the shards it holds and the claims it made.")

    @OptionGroup var database: DatabaseOption

    func run() throws {
        let status: ClusterStatus
        do {
            status = try StoreFactory.openCluster(try database.location(), settings: ClusterSettings()).status()
        } catch let error as StoreError {
            throw CommandError("orbita cluster status: \(error)")
        }
        guard !status.nodes.isEmpty else {
            printText("no node has joined \(database.resolved) yet (orbita serve --db postgres://… --node NAME)")
            return
        }
        var rows = [["node", "state", "heartbeat", "shards", "claims", "listening"]]
        for node in status.nodes {
            let state =
                node.stopped
                ? "stopped" : node.secondsSinceHeartbeat < ClusterSettings().leaseSeconds ? "live" : "silent"
            rows.append([
                node.name, state, TextFormat.fixed(node.secondsSinceHeartbeat, decimals: 1) + " s ago",
                String(status.shardsByNode[node.name] ?? 0), String(status.claimsByNode[node.name] ?? 0),
                node.endpoints,
            ])
        }
        printText(
            TextTable.render(rows) + "\nshards: \(status.shardsByNode.values.reduce(0, +)) held, "
                + "\(status.unownedShards) unowned")
    }
}
