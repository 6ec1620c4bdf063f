public import OrbitaModel

/// A `Fix` as one JSON object in gpsd's TPV vocabulary (names and units), keys without a value left out: what
/// `orbita decode` writes, one a line. Written straight into bytes (no `String` per value): the decoder's output
/// keeps up with the decoder.
public enum TPV {
    /// Writes the object for `fix` (no newline).
    public static func write(_ fix: Fix, to json: inout JSONWriter) {
        json.objectStart()
        json.key("class")
        json.raw(#""TPV""#)
        if let device = fix.device {
            json.key("device")
            json.string(device)
        }
        switch fix.time {
        case .instant(let instant):
            json.key("time")
            json.time(instant)
        case .timeOfDay(let time):
            json.key("timeOfDay")
            json.string(time.formatted)
        case nil: break
        }
        json.key("mode")
        json.integer(Int64(fix.mode.rawValue))
        if fix.quality.gpsdStatus > 1 {
            json.key("status")
            json.integer(Int64(fix.quality.gpsdStatus))
        }
        if let latitude = fix.latitude {
            json.key("lat")
            json.fixed(latitude, decimals: 9)
        }
        if let longitude = fix.longitude {
            json.key("lon")
            json.fixed(longitude, decimals: 9)
        }
        func number(_ name: StaticString, _ value: Double?, _ decimals: Int) {
            guard let value else { return }
            json.key(name)
            json.number(value, decimals: decimals)
        }
        number("altMSL", fix.altitudeMSL, 3)
        number("altHAE", fix.altitudeHAE, 3)
        number("geoidSep", fix.geoidSeparation, 3)
        number("speed", fix.speedMetersPerSecond, 3)
        number("track", fix.courseDegrees, 4)
        number("magvar", fix.magneticVariationDegrees, 1)
        if let used = fix.satellitesUsed {
            json.key("sats")
            json.integer(Int64(used))
        }
        number("hdop", fix.hdop, 2)
        number("pdop", fix.pdop, 2)
        number("vdop", fix.vdop, 2)
        if !fix.satellitesUsedByConstellation.isEmpty {
            json.key("satsUsed")
            counts(fix.satellitesUsedByConstellation, to: &json)
        }
        if !fix.satellitesInView.isEmpty {
            json.key("satsInView")
            counts(fix.satellitesInView, to: &json)
        }
        if let errors = fix.errors,
            errors.rangeRMS != nil || errors.latitudeMeters != nil || errors.longitudeMeters != nil
                || errors.altitudeMeters != nil
        {
            json.key("gst")
            json.objectStart()
            number("rms", errors.rangeRMS, 3)
            number("lat", errors.latitudeMeters, 3)
            number("lon", errors.longitudeMeters, 3)
            number("alt", errors.altitudeMeters, 3)
            json.objectEnd()
        }
        number("dgpsAge", fix.differentialAgeSeconds, 1)
        json.key("datum")
        json.string(fix.datum.name)
        json.objectEnd()
    }

    /// The object for `fix` as text.
    public static func text(_ fix: Fix) -> String {
        var json = JSONWriter(capacity: 400)
        write(fix, to: &json)
        return json.text
    }

    private static func counts(_ counts: SatelliteCounts, to json: inout JSONWriter) {
        json.objectStart()
        for constellation in Constellation.allCases where counts[constellation] > 0 {
            json.key(constellation.staticName)
            json.integer(Int64(counts[constellation]))
        }
        json.objectEnd()
    }
}
