public import OrbitaModel

/// A vehicle's track as the API gives it: a GeoJSON LineString Feature (coordinates longitude first) with per-fix
/// times, speeds and courses in its properties, whether older fixes of the range were left out (`truncated`) and the
/// `to` of the next, older page (`next_to`). Written straight into bytes: about 85 bytes a fix.
public enum TrackFeature {
    /// Writes the feature (members in alphabetical order, as the API has always sent them).
    public static func write(
        vehicle: String, _ points: [TrackPoint], truncated: Bool, nextTo: UTCInstant?, to json: inout JSONWriter
    ) {
        json.bytes.reserveCapacity(json.bytes.count + 200 + points.count * 96)
        json.objectStart()
        json.key("geometry")
        json.objectStart()
        json.key("coordinates")
        json.arrayStart()
        for point in points {
            json.arrayStart()
            json.number(point.coordinate.longitude, decimals: Wire.coordinateDecimals)
            json.number(point.coordinate.latitude, decimals: Wire.coordinateDecimals)
            json.arrayEnd()
        }
        json.arrayEnd()
        json.key("type")
        json.raw(#""LineString""#)
        json.objectEnd()
        json.key("properties")
        json.objectStart()
        json.key("courses_deg")
        json.arrayStart()
        for point in points { json.number(point.courseDegrees, decimals: 2) }
        json.arrayEnd()
        json.key("next_to")
        if let nextTo { json.time(nextTo) } else { json.null() }
        json.key("speeds_mps")
        json.arrayStart()
        for point in points { json.number(point.speedMetersPerSecond, decimals: 3) }
        json.arrayEnd()
        json.key("times")
        json.arrayStart()
        for point in points { json.time(point.time) }
        json.arrayEnd()
        json.key("truncated")
        json.bool(truncated)
        json.key("vehicle")
        json.string(vehicle)
        json.objectEnd()
        json.key("type")
        json.raw(#""Feature""#)
        json.objectEnd()
    }
}

extension Wire {
    /// `GET /api/vehicles/{id}/track` as a client reads it (`TrackFeature` writes it).
    public struct Track: Decodable, Sendable, Equatable {
        /// The LineString.
        public struct Geometry: Decodable, Sendable, Equatable {
            /// `[longitude, latitude]` per fix, oldest first.
            public var coordinates: [[Double]]
        }

        /// Per-fix values, in the order of the coordinates.
        public struct Properties: Decodable, Sendable, Equatable {
            /// The vehicle.
            public var vehicle: String
            /// Fix times.
            public var times: [UTCInstant]
            /// Speeds, m/s (`null` where unknown).
            public var speedsMPS: [Double?]
            /// Courses, degrees true (`null` where unknown).
            public var coursesDeg: [Double?]
            /// Whether older fixes of the range were left out.
            public var truncated: Bool
            /// The `to` of the next, older page.
            public var nextTo: UTCInstant?

            enum CodingKeys: String, CodingKey {
                case vehicle, times, truncated
                case speedsMPS = "speeds_mps"
                case coursesDeg = "courses_deg"
                case nextTo = "next_to"
            }
        }

        /// The line.
        public var geometry: Geometry
        /// The per-fix values.
        public var properties: Properties

        /// The fixes: time, coordinate, speed and course (pairs that are not `[lon, lat]` left out).
        public var fixes: [(time: UTCInstant, coordinate: Coordinate, speedMPS: Double?, courseDeg: Double?)] {
            zip(geometry.coordinates, properties.times).enumerated().compactMap { index, pair in
                guard pair.0.count >= 2 else { return nil }
                let speeds = properties.speedsMPS
                let courses = properties.coursesDeg
                return (
                    pair.1, Coordinate(latitude: pair.0[1], longitude: pair.0[0]),
                    index < speeds.count ? speeds[index] : nil, index < courses.count ? courses[index] : nil
                )
            }
        }
    }
}
