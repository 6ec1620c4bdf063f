import ArgumentParser
import OrbitaModel
import TerminalOutput

/// `orbita db stats|prune`: the history a database holds, and retention applied at once.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Show what the database holds, or apply retention now.",
        subcommands: [DatabaseStatsCommand.self, DatabasePruneCommand.self],
        defaultSubcommand: DatabaseStatsCommand.self)
}

/// `orbita db stats`: partitions, rows, sizes, the oldest fix and event.
struct DatabaseStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "List the fix partitions with their rows and sizes, the oldest fix and event.")

    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try database.open()
        let stats: HistoryStats
        do {
            stats = try store.historyStats()
        } catch {
            throw CommandError("orbita db stats: \(error)")
        }
        let approximate = stats.bytesEstimated ? "≈ " : ""
        var rows = [["partition", "from", "to", "fixes", "size"]]
        for partition in stats.partitions {
            rows.append([
                partition.name, partition.from.iso8601, partition.to.iso8601, Self.count(partition.fixes),
                partition.bytes.map { approximate + Self.size($0) } ?? "-",
            ])
        }
        var lines = stats.partitions.isEmpty ? ["no fix partitions yet"] : [TextTable.render(rows)]
        lines.append(
            "fixes: \(Self.count(stats.fixes)) in \(stats.partitions.count) partitions"
                + (stats.oldestFix.map { ", oldest \($0.iso8601)" } ?? "")
                + (stats.newestFix.map { ", newest \($0.iso8601)" } ?? ""))
        lines.append(
            "events: \(Self.count(stats.events))" + (stats.oldestEvent.map { ", oldest \($0.iso8601)" } ?? ""))
        if let bytes = stats.databaseBytes {
            lines.append(
                "database: \(Self.size(bytes))" + (stats.freeBytes.map { ", of which free \(Self.size($0))" } ?? "")
                    + (stats.bytesEstimated ? " (partition sizes estimated from the rows they hold)" : ""))
        }
        printText(lines.joined(separator: "\n"))
    }

    /// `1,234,567`.
    static func count(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// `512.0 MB`.
    static func size(_ bytes: Int) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : TextFormat.fixed(value, decimals: 1) + " " + units[unit]
    }
}

/// `orbita db prune`: drop fix partitions older than the retention, delete older events.
struct DatabasePruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Apply retention now: drop whole fix partitions older than --retention days, delete events older "
            + "than --event-retention days.")

    @OptionGroup var database: DatabaseOption
    @Option(help: "Days of fixes to keep: partitions that ended before then are dropped (off: keep all).")
    var retention: DaysArgument?
    @Option(help: "Days of events to keep (off: keep all).") var eventRetention: DaysArgument?

    func validate() throws {
        guard retention?.days != nil || eventRetention?.days != nil else {
            throw ValidationError("give --retention DAYS or --event-retention DAYS (or both)")
        }
    }

    func run() throws {
        let store = try database.open()
        let policy = RetentionPolicy(fixDays: retention?.days, eventDays: eventRetention?.days)
        do {
            let outcome = try policy.apply(to: store)
            printText(
                "dropped \(outcome.droppedPartitions.count) partitions (\(DatabaseStatsCommand.count(outcome.droppedFixes)) "
                    + "fixes), deleted \(DatabaseStatsCommand.count(outcome.deletedEvents)) events")
        } catch {
            throw CommandError("orbita db prune: \(error)")
        }
    }
}
