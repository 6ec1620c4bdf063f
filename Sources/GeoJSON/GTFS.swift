import Foundation
public import OrbitaModel

/// Reads the parts of a GTFS feed that routes need: `shapes.txt` (the polylines) and simple CSV tables.
public enum GTFS {
    /// Why a feed could not be read.
    public struct ReadError: Error, CustomStringConvertible, Equatable {
        /// What is wrong.
        public let message: String
        /// `GTFS: MESSAGE`.
        public var description: String { "GTFS: \(message)" }
    }

    /// Rows of a CSV table as dictionaries by header name (RFC 4180 quoting; a UTF-8 BOM is skipped).
    public static func table(at path: String) throws(ReadError) -> [[String: String]] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(message: "cannot read \(path)")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let records = parseCSV(text)
        guard let header = records.first?.map({ $0.trimmingCharacters(in: .whitespaces) }) else { return [] }
        return records.dropFirst().filter { $0 != [""] }.map { record in
            var row: [String: String] = [:]
            for (index, name) in header.enumerated() where index < record.count { row[name] = record[index] }
            return row
        }
    }

    /// Every shape of a feed, by `shape_id`, with points in `shape_pt_sequence` order.
    public static func shapes(inFeed folder: String) throws(ReadError) -> [String: [Coordinate]] {
        Dictionary(try orderedShapes(inFeed: folder), uniquingKeysWith: { first, _ in first })
    }

    /// The feed's shapes of two points or more as (name, line) pairs in the order `shapes.txt` lists them, each
    /// named after its route's short name when `trips.txt` and `routes.txt` say which route uses it
    /// (`"52 (shape_id)"`), else by its `shape_id`.
    public static func namedShapes(inFeed folder: String) throws(ReadError) -> [(name: String, line: [Coordinate])] {
        let names = (try? routeNames(inFeed: folder)) ?? [:]
        return try orderedShapes(inFeed: folder).compactMap { shape, line in
            line.count >= 2 ? (names[shape].map { "\($0) (\(shape))" } ?? shape, line) : nil
        }
    }

    /// Shapes in the order of their first row, points sorted by sequence.
    private static func orderedShapes(inFeed folder: String) throws(ReadError) -> [(String, [Coordinate])] {
        let rows = try table(at: folder + "/shapes.txt")
        var points: [String: [(sequence: Int, coordinate: Coordinate)]] = [:]
        var order: [String] = []
        for (line, row) in rows.enumerated() {
            guard let id = row["shape_id"], let lat = row["shape_pt_lat"].flatMap(Double.init),
                let lon = row["shape_pt_lon"].flatMap(Double.init),
                let sequence = row["shape_pt_sequence"].flatMap(Int.init), abs(lat) <= 90, abs(lon) <= 180
            else {
                throw ReadError(message: "shapes.txt line \(line + 2): needs shape_id, shape_pt_lat/lon, sequence")
            }
            if points[id] == nil { order.append(id) }
            points[id, default: []].append((sequence, Coordinate(latitude: lat, longitude: lon)))
        }
        return order.map { id in (id, (points[id] ?? []).sorted { $0.sequence < $1.sequence }.map(\.coordinate)) }
    }

    /// Shape ID → its route's short name, through `trips.txt` and `routes.txt`.
    private static func routeNames(inFeed folder: String) throws(ReadError) -> [String: String] {
        var short: [String: String] = [:]
        for row in try table(at: folder + "/routes.txt") {
            if let route = row["route_id"], let name = row["route_short_name"], !name.isEmpty { short[route] = name }
        }
        var names: [String: String] = [:]
        for row in try table(at: folder + "/trips.txt") {
            if let shape = row["shape_id"], let name = row["route_id"].flatMap({ short[$0] }) { names[shape] = name }
        }
        return names
    }

    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if scalar == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            // A quote opens a quoted field only at the start of a field (RFC 4180); elsewhere it is text.
            case "\"" where field.isEmpty: quoted = true
            case ",":
                record.append(field)
                field = ""
            case "\r": continue
            case "\n":
                record.append(field)
                records.append(record)
                record = []
                field = ""
            default: field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}
