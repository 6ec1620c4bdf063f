public import Foundation
public import OrbitaModel

/// Reads and writes the GeoJSON (RFC 7946, longitude before latitude) that geofences, routes and checkpoints come in
/// and go out as.
///
/// Circles and corridors have no GeoJSON geometry of their own; they travel as a `Point` with a `radius_m` property and
/// a `LineString` with a `corridor_m` (half-width) property, the convention Orbita writes and reads back.
public enum GeoJSON {
    /// Why a document could not be read.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        /// What is wrong, for the user.
        public let message: String
        /// Creates an error.
        public init(_ message: String) { self.message = message }
        /// `GeoJSON: MESSAGE`.
        public var description: String { "GeoJSON: \(message)" }
    }

    /// A geometry with the properties of its feature.
    public struct Feature: @unchecked Sendable {
        // @unchecked: the dictionaries hold JSONSerialization's immutable values only.
        /// The geometry object.
        public let geometry: [String: Any]
        /// The feature's properties (empty for a bare geometry).
        public let properties: [String: Any]

        /// The `type` of the geometry.
        public var type: String { geometry["type"] as? String ?? "" }

        /// The positions of a Point or MultiPoint (none for other geometries).
        public var points: [Coordinate] {
            let pairs: [[Double]] =
                type == "Point"
                ? [(geometry["coordinates"] as? [Double]) ?? []] : (geometry["coordinates"] as? [[Double]]) ?? []
            return pairs.compactMap { $0.count >= 2 ? Coordinate(latitude: $0[1], longitude: $0[0]) : nil }
        }

        /// The lines and rings of a LineString, MultiLineString, Polygon or MultiPolygon (none for points).
        public var lines: [[Coordinate]] {
            func line(_ value: Any?) -> [Coordinate] {
                ((value as? [[Double]]) ?? []).compactMap {
                    $0.count >= 2 ? Coordinate(latitude: $0[1], longitude: $0[0]) : nil
                }
            }
            let coordinates = geometry["coordinates"]
            switch type {
            case "LineString": return [line(coordinates)]
            case "MultiLineString", "Polygon": return ((coordinates as? [Any]) ?? []).map(line)
            case "MultiPolygon": return ((coordinates as? [[Any]]) ?? []).flatMap { $0.map(line) }
            default: return []
            }
        }
    }

    /// Every feature of a document: a FeatureCollection, a Feature or a bare geometry (GeometryCollections are
    /// flattened).
    public static func features(in data: Data) throws(ParseError) -> [Feature] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ParseError("not JSON (\((error as NSError).localizedDescription))")
        }
        guard let root = object as? [String: Any], let type = root["type"] as? String else {
            throw ParseError("the document is not a GeoJSON object with a \"type\"")
        }
        switch type {
        case "FeatureCollection":
            guard let list = root["features"] as? [Any] else { throw ParseError("FeatureCollection without features") }
            var features: [Feature] = []
            for (index, item) in list.enumerated() {
                guard let feature = item as? [String: Any] else {
                    throw ParseError("feature \(index) is not an object")
                }
                features += try flatten(feature, at: "feature \(index)")
            }
            return features
        default:
            return try flatten(root, at: "the document")
        }
    }

    private static func flatten(_ object: [String: Any], at place: String) throws(ParseError) -> [Feature] {
        if object["type"] as? String == "Feature" {
            let properties = object["properties"] as? [String: Any] ?? [:]
            guard let geometry = object["geometry"] as? [String: Any] else {
                throw ParseError("\(place) has no geometry")
            }
            return try flatten(geometry, at: place).map { Feature(geometry: $0.geometry, properties: properties) }
        }
        if object["type"] as? String == "GeometryCollection" {
            guard let list = object["geometries"] as? [[String: Any]] else {
                throw ParseError("\(place): GeometryCollection without geometries")
            }
            var features: [Feature] = []
            for geometry in list { features += try flatten(geometry, at: place) }
            return features
        }
        guard object["type"] is String else { throw ParseError("\(place) has no type") }
        return [Feature(geometry: object, properties: [:])]
    }

    /// The geofence shape of a document's features: polygons and multipolygons together, or one circle (`Point` with
    /// `radius_m`), or one corridor (`LineString` with `corridor_m`, or `defaultHalfWidth` when given).
    public static func shape(in data: Data, defaultHalfWidth: Double? = nil) throws(ParseError) -> GeoShape {
        try shape(of: try features(in: data), defaultHalfWidth: defaultHalfWidth)
    }

    /// The geofence shape of features, as `shape(in:)` reads a document's.
    public static func shape(of features: [Feature], defaultHalfWidth: Double? = nil) throws(ParseError) -> GeoShape {
        var features = features
        // Labels and centres that come with exported boundaries (OSM) are not part of a polygon fence.
        if features.contains(where: { $0.type == "Polygon" || $0.type == "MultiPolygon" }) {
            features.removeAll { $0.type == "Point" && $0.properties["radius_m"] == nil }
        }
        var polygons: [[[Coordinate]]] = []
        var other: GeoShape?
        for feature in features {
            switch feature.type {
            case "Polygon":
                polygons.append(try polygon(feature.geometry["coordinates"]))
            case "MultiPolygon":
                guard let list = feature.geometry["coordinates"] as? [Any] else {
                    throw ParseError("MultiPolygon without coordinates")
                }
                for item in list { polygons.append(try polygon(item)) }
            case "Point":
                guard let radius = number(feature.properties["radius_m"]), radius > 0, radius.isFinite else {
                    throw ParseError("a Point is a geofence only as a circle: give it a positive \"radius_m\" property")
                }
                other = .circle(center: try position(feature.geometry["coordinates"]), radiusMeters: radius)
            case "LineString":
                guard let width = number(feature.properties["corridor_m"]) ?? defaultHalfWidth, width > 0,
                    width.isFinite
                else {
                    throw ParseError(
                        "a LineString is a geofence only as a corridor: give it a \"corridor_m\" half-width")
                }
                other = .corridor(line: try line(feature.geometry["coordinates"]), halfWidthMeters: width)
            default:
                throw ParseError("unsupported geometry type \"\(feature.type)\" for a geofence")
            }
        }
        if !polygons.isEmpty {
            guard other == nil else { throw ParseError("a geofence is polygons, or one circle, or one corridor") }
            return .polygons(polygons)
        }
        guard let other, features.count == 1 else {
            throw ParseError(
                features.isEmpty ? "no geometry" : "a geofence is polygons, or one circle, or one corridor")
        }
        return other
    }

    /// The route line of a document: its one LineString (or the lines of a MultiLineString joined end to end).
    public static func routeLine(in data: Data) throws(ParseError) -> [Coordinate] {
        try routeLine(of: try features(in: data))
    }

    /// The route line of features, as `routeLine(in:)` reads a document's.
    public static func routeLine(of features: [Feature]) throws(ParseError) -> [Coordinate] {
        let lines = features.filter { $0.type == "LineString" || $0.type == "MultiLineString" }
        guard lines.count == 1, let feature = lines.first else {
            throw ParseError("a route needs exactly one LineString (found \(lines.count))")
        }
        if feature.type == "LineString" { return try line(feature.geometry["coordinates"]) }
        guard let parts = feature.geometry["coordinates"] as? [Any] else {
            throw ParseError("MultiLineString without coordinates")
        }
        var joined: [Coordinate] = []
        for part in parts {
            for coordinate in try line(part) where joined.last != coordinate { joined.append(coordinate) }
        }
        return joined
    }

    /// Checkpoints from a document's Point features, in document order: `name` (or `stop_name`, else `#N`) and
    /// `radius_m` (else `defaultRadius`) from the properties.
    public static func checkpoints(in data: Data, defaultRadius: Double = 30) throws(ParseError) -> [Checkpoint] {
        var checkpoints: [Checkpoint] = []
        for feature in try features(in: data) where feature.type == "Point" {
            let name =
                feature.properties["name"] as? String ?? feature.properties["stop_name"] as? String
                ?? "#\(checkpoints.count + 1)"
            let radius = number(feature.properties["radius_m"]) ?? defaultRadius
            guard radius > 0, radius.isFinite else { throw ParseError("checkpoint \(name): radius must be positive") }
            checkpoints.append(
                Checkpoint(
                    name: name, coordinate: try position(feature.geometry["coordinates"]), radiusMeters: radius))
        }
        return checkpoints
    }

    // MARK: - Writing

    /// A geometry object for a shape (circles and corridors as Point/LineString; see `feature`).
    public static func geometry(_ shape: GeoShape) -> [String: Any] {
        switch shape {
        case .polygons(let polygons):
            if polygons.count == 1, let only = polygons.first {
                return ["type": "Polygon", "coordinates": only.map(ring)]
            }
            return ["type": "MultiPolygon", "coordinates": polygons.map { $0.map(ring) }]
        case .circle(let center, _):
            return ["type": "Point", "coordinates": [center.longitude, center.latitude]]
        case .corridor(let line, _):
            return ["type": "LineString", "coordinates": line.map { [$0.longitude, $0.latitude] }]
        }
    }

    /// The properties that complete a shape's geometry (`radius_m`, `corridor_m`).
    public static func shapeProperties(_ shape: GeoShape) -> [String: Any] {
        switch shape {
        case .polygons: [:]
        case .circle(_, let radius): ["radius_m": radius]
        case .corridor(_, let width): ["corridor_m": width]
        }
    }

    /// A Feature for a shape with extra properties.
    public static func feature(_ shape: GeoShape, properties: [String: Any] = [:]) -> [String: Any] {
        [
            "type": "Feature", "geometry": geometry(shape),
            "properties": properties.merging(shapeProperties(shape)) { _, shape in shape },
        ]
    }

    /// Compact, key-sorted JSON text, with the characters that could drive a terminal escaped
    /// (`TextFormat.escapingUnsafeCharacters`).
    public static func text(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return "null"
        }
        return TextFormat.escapingUnsafeCharacters(ofJSON: String(decoding: data, as: UTF8.self))
    }

    private static func ring(_ coordinates: [Coordinate]) -> [[Double]] {
        var ring = coordinates.map { [$0.longitude, $0.latitude] }
        if let first = ring.first, ring.last != first { ring.append(first) }
        return ring
    }

    // MARK: - Reading values

    private static func number(_ value: Any?) -> Double? {
        if let number = value as? NSNumber {
            // JSON true/false arrive as NSNumber too (`is Bool` would also match the integers 0 and 1).
            guard String(cString: number.objCType) != "c" else { return nil }
            return number.doubleValue
        }
        if let text = value as? String { return Double(text) }
        return nil
    }

    static func position(_ value: Any?) throws(ParseError) -> Coordinate {
        guard let pair = value as? [Any], pair.count >= 2, let lon = number(pair[0]), let lat = number(pair[1]) else {
            throw ParseError("a position must be [longitude, latitude]")
        }
        guard lon.isFinite, lat.isFinite, abs(lon) <= 180, abs(lat) <= 90 else {
            throw ParseError("position [\(lon), \(lat)] is out of range (longitude first, then latitude)")
        }
        return Coordinate(latitude: lat, longitude: lon)
    }

    private static func line(_ value: Any?) throws(ParseError) -> [Coordinate] {
        guard let list = value as? [Any] else { throw ParseError("a line must be a list of positions") }
        var line: [Coordinate] = []
        for item in list { line.append(try position(item)) }
        guard line.count >= 2 else { throw ParseError("a line needs at least two positions") }
        return line
    }

    private static func polygon(_ value: Any?) throws(ParseError) -> [[Coordinate]] {
        guard let rings = value as? [Any], !rings.isEmpty else { throw ParseError("a polygon needs an outer ring") }
        var polygon: [[Coordinate]] = []
        for item in rings {
            guard let list = item as? [Any] else { throw ParseError("a ring must be a list of positions") }
            var ring: [Coordinate] = []
            for position in list { ring.append(try self.position(position)) }
            if ring.count > 1, ring.first == ring.last { ring.removeLast() }
            guard ring.count >= 3 else { throw ParseError("a ring needs at least three distinct positions") }
            polygon.append(ring)
        }
        return polygon
    }
}
