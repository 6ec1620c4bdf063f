public import OrbitaModel

/// A stored track as a document: GeoJSON, GPX 1.0 or CSV, what `orbita track` writes (coordinates with 9 decimals:
/// re-importing gives them back). Written straight into bytes and handed out in pieces of about 64 KiB, so that the
/// output keeps up with the store and takes no more memory than the track itself.
public enum TrackDocument {
    /// The formats.
    public enum Format: String, CaseIterable, Sendable {
        /// A GeoJSON FeatureCollection: one LineString of the track and one Point per fix (lon, lat order).
        case geojson
        /// GPX 1.0 with one track segment (1.0 has per-point speed and course; 1.1 does not).
        case gpx
        /// CSV with a header line.
        case csv
    }

    /// Writes the document for `points` of `vehicle`, calling `emit` with each piece (the buffer is emptied after).
    public static func write(
        _ points: [TrackPoint], vehicle: Vehicle, format: Format, emit: (inout [UInt8]) -> Void
    ) {
        var out: [UInt8] = []
        out.reserveCapacity(Self.piece + 1024)
        func flushIfFull() {
            if out.count >= Self.piece {
                emit(&out)
                out.removeAll(keepingCapacity: true)
            }
        }
        switch format {
        case .geojson:
            out.append(#"{"type":"FeatureCollection","features":["#)
            out.append(#"{"type":"Feature","geometry":{"type":"LineString","coordinates":["#)
            for (index, point) in points.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                position(point, into: &out)
                flushIfFull()
            }
            geoJSONLineProperties(points, vehicle: vehicle, into: &out)
            for point in points {
                out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: "\n")])
                geoJSONPoint(point, into: &out)
                flushIfFull()
            }
            out.append("]}\n")
        case .gpx:
            out.append(#"<?xml version="1.0" encoding="UTF-8"?>"#)
            out.append("\n")
            out.append(#"<gpx version="1.0" creator="Orbita" xmlns="http://www.topografix.com/GPX/1/0">"#)
            out.append("\n  <trk>\n    <name>")
            out.append(contentsOf: xml(vehicle.name).utf8)
            out.append("</name>\n    <trkseg>\n")
            for point in points {
                gpxPoint(point, into: &out)
                flushIfFull()
            }
            out.append("    </trkseg>\n  </trk>\n</gpx>\n")
        case .csv:
            out.append("time,lat,lon,altitude_m,speed_mps,course_deg,hdop,sats,flags\n")
            for point in points {
                csvRow(point, into: &out)
                flushIfFull()
            }
        }
        if !out.isEmpty { emit(&out) }
    }

    /// The whole document as text (tests, small tracks).
    public static func render(_ points: [TrackPoint], vehicle: Vehicle, format: Format) -> String {
        var text: [UInt8] = []
        write(points, vehicle: vehicle, format: format) { text.append(contentsOf: $0) }
        return String(decoding: text, as: UTF8.self)
    }

    private static let piece = 1 << 16

    /// A number with exactly `decimals` decimals; `0` when it is not finite (as the exports always wrote).
    @inline(__always)
    private static func fixed(_ value: Double, _ decimals: Int, into out: inout [UInt8]) {
        if !out.appendDecimal(value, decimals: decimals, trimmed: false) { out.append(UInt8(ascii: "0")) }
    }

    @inline(__always)
    private static func position(_ point: TrackPoint, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        fixed(point.coordinate.longitude, 9, into: &out)
        out.append(UInt8(ascii: ","))
        fixed(point.coordinate.latitude, 9, into: &out)
        out.append(UInt8(ascii: "]"))
    }

    /// The end of the LineString feature: its properties.
    private static func geoJSONLineProperties(_ points: [TrackPoint], vehicle: Vehicle, into out: inout [UInt8]) {
        let distance = points.reduce(0) { $0 + ($1.segmentMeters ?? 0) }
        out.append(#"]},"properties":{"vehicle":"#)
        out.append(contentsOf: TextFormat.jsonString(vehicle.id).utf8)
        out.append(#","name":"#)
        out.append(contentsOf: TextFormat.jsonString(vehicle.name).utf8)
        out.append(#","kind":""#)
        out.append(contentsOf: vehicle.kind.rawValue.utf8)
        out.append(#"","fixes":"#)
        out.appendDigits(UInt64(points.count), width: 1)
        out.append(#","distanceMeters":"#)
        fixed(distance, 3, into: &out)
        out.append("}}")
    }

    @inline(__always)
    private static func geoJSONPoint(_ point: TrackPoint, into out: inout [UInt8]) {
        out.append(#"{"type":"Feature","geometry":{"type":"Point","coordinates":"#)
        position(point, into: &out)
        out.append(#"},"properties":{"time":""#)
        out.appendTime(point.time)
        out.append(UInt8(ascii: "\""))
        if let speed = point.speedMetersPerSecond {
            out.append(#","speed":"#)
            fixed(speed, 3, into: &out)
        }
        if let course = point.courseDegrees {
            out.append(#","course":"#)
            fixed(course, 2, into: &out)
        }
        if let altitude = point.altitudeMSL {
            out.append(#","altitude":"#)
            fixed(altitude, 3, into: &out)
        }
        if !point.flags.isEmpty {
            out.append(#","flags":"#)
            out.appendDigits(UInt64(point.flags.rawValue), width: 1)
        }
        out.append("}}")
    }

    @inline(__always)
    private static func gpxPoint(_ point: TrackPoint, into out: inout [UInt8]) {
        out.append(#"      <trkpt lat=""#)
        fixed(point.coordinate.latitude, 9, into: &out)
        out.append(#"" lon=""#)
        fixed(point.coordinate.longitude, 9, into: &out)
        out.append(#"">"#)
        if let altitude = point.altitudeMSL {
            out.append("<ele>")
            fixed(altitude, 3, into: &out)
            out.append("</ele>")
        }
        out.append("<time>")
        out.appendTime(point.time)
        out.append("</time>")
        if let course = point.courseDegrees {
            out.append("<course>")
            fixed(course, 4, into: &out)
            out.append("</course>")
        }
        if let speed = point.speedMetersPerSecond {
            out.append("<speed>")
            fixed(speed, 4, into: &out)
            out.append("</speed>")
        }
        out.append(point.mode == .threeDimensional ? "<fix>3d</fix>" : "<fix>2d</fix>")
        if let used = point.satellitesUsed {
            out.append("<sat>")
            out.appendDigits(UInt64(max(0, used)), width: 1)
            out.append("</sat>")
        }
        if let hdop = point.hdop {
            out.append("<hdop>")
            fixed(hdop, 2, into: &out)
            out.append("</hdop>")
        }
        out.append("</trkpt>\n")
    }

    @inline(__always)
    private static func csvRow(_ point: TrackPoint, into out: inout [UInt8]) {
        func optional(_ value: Double?, _ decimals: Int) {
            out.append(UInt8(ascii: ","))
            if let value { fixed(value, decimals, into: &out) }
        }
        out.appendTime(point.time)
        out.append(UInt8(ascii: ","))
        fixed(point.coordinate.latitude, 9, into: &out)
        out.append(UInt8(ascii: ","))
        fixed(point.coordinate.longitude, 9, into: &out)
        optional(point.altitudeMSL, 3)
        optional(point.speedMetersPerSecond, 3)
        optional(point.courseDegrees, 2)
        optional(point.hdop, 2)
        out.append(UInt8(ascii: ","))
        if let used = point.satellitesUsed { out.appendDigits(UInt64(max(0, used)), width: 1) }
        out.append(UInt8(ascii: ","))
        out.appendDigits(UInt64(point.flags.rawValue), width: 1)
        out.append(UInt8(ascii: "\n"))
    }

    /// Escaped for XML, with characters that could drive a terminal (and that XML 1.0 forbids) replaced.
    private static func xml(_ text: String) -> String {
        var out = ""
        for character in TerminalText.cell(text) {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
