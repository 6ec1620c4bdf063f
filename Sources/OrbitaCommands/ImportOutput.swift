import FleetTracking
import Glibc
import OrbitaModel
import TrackImport
import Tracking

/// A progress line on standard error: a bar, bytes, fixes/s and ETA on a terminal (redrawn in place), a plain
/// line every five seconds otherwise.
final class ProgressReporter {
    private let enabled: Bool
    private let terminal: Bool
    private var drawn = false
    private var lastPlain = -5.0

    init(enabled: Bool) {
        self.enabled = enabled
        terminal = isatty(2) == 1
    }

    func show(_ progress: ImportProgress) {
        guard enabled else { return }
        let rate = progress.elapsedSeconds > 0 ? Double(progress.fixes) / progress.elapsedSeconds : 0
        var fraction: Double? = nil
        if let total = progress.bytesTotal, total > 0 { fraction = min(1, Double(progress.bytesDone) / Double(total)) }
        var eta = ""
        if let fraction, fraction > 0.001 {
            eta = " ETA " + Self.duration(progress.elapsedSeconds * (1 - fraction) / fraction)
        }
        let megabytes = TextFormat.fixed(Double(progress.bytesDone) / 1e6, decimals: 1)
        let stats = "\(megabytes) MB, \(progress.fixes) fixes, \(Int(rate)) fixes/s\(eta)"
        if terminal {
            var bar = ""
            if let fraction {
                let width = 30
                let filled = Int(fraction * Double(width))
                bar =
                    "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                    + "] \(Int(fraction * 100))% "
            }
            write(2, "\r\u{1B}[K" + bar + stats)
            drawn = true
        } else if progress.elapsedSeconds - lastPlain >= 5 {
            lastPlain = progress.elapsedSeconds
            write(2, "progress: " + stats + "\n")
        }
    }

    func clear() {
        if drawn {
            write(2, "\r\u{1B}[K")
            drawn = false
        }
    }

    private func write(_ fd: Int32, _ text: String) {
        var copy = text
        copy.withUTF8 { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? "\(total / 3600)h\(total / 60 % 60)m" : "\(total / 60)m\(total % 60)s"
    }
}

/// The summary `orbita import` prints: per file, then per vehicle, then totals.
enum ImportSummaryText {
    static func render(_ importer: TrackImporter) -> String {
        var lines: [String] = []
        for file in importer.files {
            let rejects = file.rejects.values.reduce(0, +)
            var line = "file \(file.path): \(file.format), \(file.bytes) bytes, \(file.fixes) fixes decoded"
            if rejects > 0 {
                let detail = file.rejects.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: " ")
                line += ", \(rejects) lines rejected (\(detail))"
            }
            if let error = file.error { line += ", FAILED: \(error)" }
            lines.append(line)
        }
        var rows = [["vehicle", "decoded", "stored", "duplicates", "late", "held", "dropped", "drop reasons"]]
        var totals = VehicleFixCounts()
        for (id, counts) in importer.vehicles.sorted(by: { $0.key < $1.key }) {
            let dropped = counts.dropped.values.reduce(0, +)
            rows.append([
                id, String(counts.decoded), String(counts.stored), String(counts.duplicates), String(counts.late),
                String(counts.held), String(dropped), reasons(counts.dropped),
            ])
            totals.decoded += counts.decoded
            totals.stored += counts.stored
            totals.duplicates += counts.duplicates
            totals.late += counts.late
            totals.held += counts.held
            totals.dropped.merge(counts.dropped, uniquingKeysWith: +)
        }
        rows.append([
            "total", String(totals.decoded), String(totals.stored), String(totals.duplicates), String(totals.late),
            String(totals.held), String(totals.dropped.values.reduce(0, +)), reasons(totals.dropped),
        ])
        lines.append(TextTable.render(rows))
        lines.append("events: \(importer.eventsStored) new (see `orbita events`)")
        return lines.joined(separator: "\n")
    }

    private static func reasons(_ drops: [DropReason: Int]) -> String {
        let text = drops.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key)=\($0.value)" }
        return text.isEmpty ? "-" : text.joined(separator: " ")
    }
}

/// Left-aligned columns separated by two spaces; each cell made safe for a terminal (`TerminalText.cell`: a
/// newline or an escape in a name can neither break the table nor drive the terminal).
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map(TerminalText.cell) }
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
