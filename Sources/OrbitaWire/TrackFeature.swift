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
