import Foundation
import OrbitaModel

/// Routes from a GTFS feed: every shape in `shapes.txt` (points ordered by `shape_pt_sequence`), named after its
/// route's short name when `trips.txt` and `routes.txt` say which route uses it.
enum GTFSShapes {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// The feed's shapes as (name, line) pairs, in shape order.
    static func load(folder: String) throws(Problem) -> [(name: String, line: [Coordinate])] {
        let shapes = try table(folder, "shapes.txt")
        guard let id = shapes.columns["shape_id"], let lat = shapes.columns["shape_pt_lat"],
            let lon = shapes.columns["shape_pt_lon"], let sequence = shapes.columns["shape_pt_sequence"]
        else {
            throw Problem(description: "\(folder)/shapes.txt lacks shape_id, shape_pt_lat, shape_pt_lon or sequence")
        }
        var points: [String: [(sequence: Double, coordinate: Coordinate)]] = [:]
        var order: [String] = []
        for (number, row) in shapes.rows.enumerated() where row.count > max(id, lat, lon, sequence) {
            guard let latitude = Double(row[lat]), let longitude = Double(row[lon]),
                let position = Double(row[sequence]), abs(latitude) <= 90, abs(longitude) <= 180
            else {
                throw Problem(description: "\(folder)/shapes.txt line \(number + 2): not a shape point")
            }
            if points[row[id]] == nil { order.append(row[id]) }
            points[row[id], default: []].append((position, Coordinate(latitude: latitude, longitude: longitude)))
        }
        let names = (try? routeNames(folder)) ?? [:]
        return order.compactMap { shape in
            let line = (points[shape] ?? []).sorted { $0.sequence < $1.sequence }.map(\.coordinate)
            return line.count >= 2 ? (names[shape].map { "\($0) (\(shape))" } ?? shape, line) : nil
        }
    }

    /// Shape → route short name, through trips.txt and routes.txt.
    private static func routeNames(_ folder: String) throws(Problem) -> [String: String] {
        let trips = try table(folder, "trips.txt")
        let routes = try table(folder, "routes.txt")
        guard let tripRoute = trips.columns["route_id"], let tripShape = trips.columns["shape_id"],
            let routeID = routes.columns["route_id"], let shortName = routes.columns["route_short_name"]
        else { return [:] }
        var short: [String: String] = [:]
        for row in routes.rows where row.count > max(routeID, shortName) { short[row[routeID]] = row[shortName] }
        var names: [String: String] = [:]
        for row in trips.rows where row.count > max(tripRoute, tripShape) {
            if let name = short[row[tripRoute]], !name.isEmpty { names[row[tripShape]] = name }
        }
        return names
    }

    /// A CSV file: its header's column positions and its rows (RFC 4180 quoting).
    private static func table(_ folder: String, _ file: String) throws(Problem) -> (
        columns: [String: Int], rows: [[String]]
    ) {
        let path = (folder as NSString).appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(description: "\(path): cannot read (a GTFS folder holds shapes.txt)")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var rows = text.split(whereSeparator: \.isNewline).map { csvFields(String($0)) }
        guard !rows.isEmpty else { throw Problem(description: "\(path): empty") }
        let header = rows.removeFirst().map { $0.trimmingCharacters(in: .whitespaces) }
        return (Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }), rows)
    }

    /// The fields of one CSV line: commas separate, double quotes enclose, "" inside quotes is a quote.
    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            switch (character, quoted) {
            case ("\"", true):
                // A doubled quote is a quote; a single one ends the quoted part.
                var lookahead = iterator
                if lookahead.next() == "\"" {
                    field.append("\"")
                    iterator = lookahead
                } else {
                    quoted = false
                }
            case ("\"", false) where field.isEmpty: quoted = true
            case (",", false):
                fields.append(field)
                field = ""
            default: field.append(character)
            }
        }
        fields.append(field)
        return fields
    }
}

/// A logged NMEA file cut into cycles for replay: a cycle ends where the time of a time-bearing sentence (RMC, GGA,
/// GNS, GLL, ZDA) changes or a device identity line begins another vehicle's data. Lines are sent as they are.
struct ReplayLog {
    /// One cycle: its lines (CR LF ended) and its time of day in seconds (unwrapped past midnight), if known.
    struct Cycle {
        var bytes: [UInt8]
        var seconds: Double?
    }

    private(set) var cycles: [Cycle] = []

    /// Cuts `data` into cycles. Each cycle starts with the identity line in force (the file's latest, or `identity`,
    /// a `$PGID` line with CR LF, for a file that names no device), so that every datagram names its vehicle.
    init(_ data: Data, identity: [UInt8]? = nil) {
        var fileIdentity: [UInt8]?
        func prefix() -> [UInt8] { fileIdentity.map { $0 + [13, 10] } ?? identity ?? [] }
        var current = Cycle(bytes: prefix(), seconds: nil)
        var prefixLength = current.bytes.count
        var currentTime: Double?
        var dayOffset = 0.0
        var previous: Double?
        func close() {
            if current.bytes.count > prefixLength { cycles.append(current) }
            current = Cycle(bytes: prefix(), seconds: nil)
            prefixLength = current.bytes.count
            currentTime = nil
        }
        for rawLine in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var line = Array(rawLine)
            while let last = line.last, last == 13 || last == 0 { line.removeLast() }
            guard !line.isEmpty else { continue }
            if Self.isIdentity(line) {
                close()
                fileIdentity = line
                current = Cycle(bytes: prefix(), seconds: nil)
                prefixLength = current.bytes.count
                continue
            }
            if var time = Self.timeOfDay(line) {
                if let previous, time + dayOffset < previous - 43_200 { dayOffset += 86_400 }
                time += dayOffset
                if let currentTime, currentTime != time { close() }
                if currentTime == nil {
                    currentTime = time
                    current.seconds = time
                    previous = time
                }
            }
            current.bytes += line
            current.bytes += [13, 10]
        }
        close()
    }

    /// Identity sentences and lines without a sentence (a bare ID, `IMEI=…`).
    static func isIdentity(_ line: [UInt8]) -> Bool {
        for prefix in ["$PGID,", "$PCPTI,", "$DEVID,", "$PSIWMDID,", "IMEI"] where line.starts(with: prefix.utf8) {
            return true
        }
        return !line.contains(UInt8(ascii: "$")) && !line.contains(UInt8(ascii: "!"))
    }

    /// The UTC time of day of a time-bearing sentence, in seconds.
    static func timeOfDay(_ line: [UInt8]) -> Double? {
        guard let dollar = line.firstIndex(of: UInt8(ascii: "$")) else { return nil }
        let body = line[(dollar + 1)...].prefix { $0 != UInt8(ascii: "*") }
        let fields = body.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard let address = fields.first, address.count == 5 else { return nil }
        let type = String(decoding: address.suffix(3), as: UTF8.self)
        let position: Int
        switch type {
        case "RMC", "GGA", "GNS", "ZDA": position = 1
        case "GLL": position = 5
        default: return nil
        }
        guard fields.count > position else { return nil }
        let text = String(decoding: fields[position], as: UTF8.self)
        guard text.count >= 6, let hours = Double(text.prefix(2)), let minutes = Double(text.dropFirst(2).prefix(2)),
            let seconds = Double(text.dropFirst(4)), hours < 24, minutes < 60, seconds < 61
        else { return nil }
        return hours * 3600 + minutes * 60 + seconds
    }
}
