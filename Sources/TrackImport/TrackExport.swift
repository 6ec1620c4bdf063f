import Foundation
public import OrbitaModel

/// Writes a stored track as GeoJSON, GPX 1.0 or CSV (coordinates with 9 decimals: re-importing gives them back).
public enum TrackExport {
    /// The formats.
    public enum Format: String, CaseIterable, Sendable {
        /// A GeoJSON FeatureCollection: one LineString of the track and one Point per fix (lon, lat order).
        case geojson
        /// GPX 1.0 with one track segment (1.0 has per-point speed and course; 1.1 does not).
        case gpx
        /// CSV with a header line.
        case csv
    }

    /// The whole document.
    public static func render(_ points: [TrackPoint], vehicle: Vehicle, format: Format) -> String {
        switch format {
        case .geojson: geoJSON(points, vehicle: vehicle)
        case .gpx: gpx(points, vehicle: vehicle)
        case .csv: csv(points)
        }
    }

    /// A number with a fixed count of decimals, without a locale.
    public static func decimal(_ value: Double, decimals: Int) -> String { number(value, decimals: decimals) }

    static func number(_ value: Double, decimals: Int) -> String {
        value.isFinite ? TextFormat.fixed(value, decimals: decimals) : "0"
    }

    private static func jsonString(_ text: String) -> String { TextFormat.jsonString(text) }

    /// Escaped for XML, with characters that could drive a terminal (and that XML 1.0 forbids) replaced.
    private static func xml(_ text: String) -> String {
        TerminalText.cell(text).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private static func position(_ point: TrackPoint) -> String {
        "[" + number(point.coordinate.longitude, decimals: 9) + "," + number(point.coordinate.latitude, decimals: 9)
            + "]"
    }

    static func geoJSON(_ points: [TrackPoint], vehicle: Vehicle) -> String {
        var features: [String] = []
        let distance = points.compactMap(\.segmentMeters).reduce(0, +)
        features.append(
            #"{"type":"Feature","geometry":{"type":"LineString","coordinates":["#
                + points.map(position).joined(separator: ",") + #"]},"properties":{"vehicle":"#
                + jsonString(vehicle.id) + #","name":"# + jsonString(vehicle.name) + #","kind":""#
                + vehicle.kind.rawValue + #"","fixes":"# + String(points.count) + #","distanceMeters":"#
                + number(distance, decimals: 3) + "}}")
        for point in points {
            var properties = #""time":""# + point.time.iso8601 + "\""
            if let speed = point.speedMetersPerSecond { properties += #","speed":"# + number(speed, decimals: 3) }
            if let course = point.courseDegrees { properties += #","course":"# + number(course, decimals: 2) }
            if let altitude = point.altitudeMSL { properties += #","altitude":"# + number(altitude, decimals: 3) }
            if !point.flags.isEmpty { properties += #","flags":"# + String(point.flags.rawValue) }
            features.append(
                #"{"type":"Feature","geometry":{"type":"Point","coordinates":"# + position(point)
                    + #"},"properties":{"# + properties + "}}")
        }
        return #"{"type":"FeatureCollection","features":["# + features.joined(separator: ",\n") + "]}\n"
    }

    static func gpx(_ points: [TrackPoint], vehicle: Vehicle) -> String {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <gpx version="1.0" creator="Orbita" xmlns="http://www.topografix.com/GPX/1/0">
              <trk>
                <name>\(xml(vehicle.name))</name>
                <trkseg>

            """
        for point in points {
            out += "      <trkpt lat=\"\(number(point.coordinate.latitude, decimals: 9))\" "
            out += "lon=\"\(number(point.coordinate.longitude, decimals: 9))\">"
            if let altitude = point.altitudeMSL { out += "<ele>\(number(altitude, decimals: 3))</ele>" }
            out += "<time>\(point.time.iso8601)</time>"
            if let course = point.courseDegrees { out += "<course>\(number(course, decimals: 4))</course>" }
            if let speed = point.speedMetersPerSecond { out += "<speed>\(number(speed, decimals: 4))</speed>" }
            out += "<fix>\(point.mode == .threeDimensional ? "3d" : "2d")</fix>"
            if let used = point.satellitesUsed { out += "<sat>\(used)</sat>" }
            if let hdop = point.hdop { out += "<hdop>\(number(hdop, decimals: 2))</hdop>" }
            out += "</trkpt>\n"
        }
        return out + "    </trkseg>\n  </trk>\n</gpx>\n"
    }

    static func csv(_ points: [TrackPoint]) -> String {
        var out = "time,lat,lon,altitude_m,speed_mps,course_deg,hdop,sats,flags\n"
        func optional(_ value: Double?, _ decimals: Int) -> String {
            value.map { number($0, decimals: decimals) } ?? ""
        }
        for point in points {
            out +=
                [
                    point.time.iso8601, number(point.coordinate.latitude, decimals: 9),
                    number(point.coordinate.longitude, decimals: 9), optional(point.altitudeMSL, 3),
                    optional(point.speedMetersPerSecond, 3), optional(point.courseDegrees, 2), optional(point.hdop, 2),
                    point.satellitesUsed.map(String.init) ?? "", String(point.flags.rawValue),
                ].joined(separator: ",") + "\n"
        }
        return out
    }
}
