public import OrbitaModel

/// Writes a `Fix` as one JSON object in gpsd's TPV vocabulary (names and units), keys without a value omitted.
public enum FixJSON {
    /// The JSON object for one fix, on one line, without a newline.
    public static func tpv(_ fix: Fix) -> String {
        var out = #"{"class":"TPV""#
        if let device = fix.device { out += #","device":"# + quoted(device) }
        switch fix.time {
        case .instant(let instant): out += #","time":""# + instant.iso8601 + "\""
        case .timeOfDay(let time): out += #","timeOfDay":""# + time.formatted + "\""
        case nil: break
        }
        out += #","mode":"# + String(fix.mode.rawValue)
        if fix.quality.gpsdStatus > 1 { out += #","status":"# + String(fix.quality.gpsdStatus) }
        if let latitude = fix.latitude { out += #","lat":"# + fixed(latitude, decimals: 9) }
        if let longitude = fix.longitude { out += #","lon":"# + fixed(longitude, decimals: 9) }
        if let altitude = fix.altitudeMSL { out += #","altMSL":"# + compact(altitude, decimals: 3) }
        if let altitude = fix.altitudeHAE { out += #","altHAE":"# + compact(altitude, decimals: 3) }
        if let separation = fix.geoidSeparation { out += #","geoidSep":"# + compact(separation, decimals: 3) }
        if let speed = fix.speedMetersPerSecond { out += #","speed":"# + compact(speed, decimals: 3) }
        if let course = fix.courseDegrees { out += #","track":"# + compact(course, decimals: 4) }
        if let variation = fix.magneticVariationDegrees { out += #","magvar":"# + compact(variation, decimals: 1) }
        if let used = fix.satellitesUsed { out += #","sats":"# + String(used) }
        if let hdop = fix.hdop { out += #","hdop":"# + compact(hdop, decimals: 2) }
        if let pdop = fix.pdop { out += #","pdop":"# + compact(pdop, decimals: 2) }
        if let vdop = fix.vdop { out += #","vdop":"# + compact(vdop, decimals: 2) }
        if !fix.satellitesUsedByConstellation.isEmpty {
            out += #","satsUsed":"# + counts(fix.satellitesUsedByConstellation)
        }
        if !fix.satellitesInView.isEmpty { out += #","satsInView":"# + counts(fix.satellitesInView) }
        if let errors = fix.errors {
            var parts: [String] = []
            if let rms = errors.rangeRMS { parts.append(#""rms":"# + compact(rms, decimals: 3)) }
            if let value = errors.latitudeMeters { parts.append(#""lat":"# + compact(value, decimals: 3)) }
            if let value = errors.longitudeMeters { parts.append(#""lon":"# + compact(value, decimals: 3)) }
            if let value = errors.altitudeMeters { parts.append(#""alt":"# + compact(value, decimals: 3)) }
            if !parts.isEmpty { out += #","gst":{"# + parts.joined(separator: ",") + "}" }
        }
        if let age = fix.differentialAgeSeconds { out += #","dgpsAge":"# + compact(age, decimals: 1) }
        out += #","datum":""# + fix.datum.name + "\"}"
        return out
    }

    private static func counts(_ counts: SatelliteCounts) -> String {
        let parts = Constellation.allCases.filter { counts[$0] > 0 }.map { "\"\($0.name)\":\(counts[$0])" }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// A JSON string literal with the required escapes.
    public static func quoted(_ text: String) -> String { TextFormat.jsonString(text) }

    /// A number rounded to at most `decimals` decimals, trailing zeros dropped but one kept (`56.1`, `0.0`).
    public static func compact(_ value: Double, decimals: Int) -> String {
        var text = fixed(value, decimals: decimals)
        guard text.contains(".") else { return text }
        while text.hasSuffix("0") && !text.hasSuffix(".0") { text.removeLast() }
        return text
    }

    /// A number with a fixed count of decimals (rounded half away from zero), without a locale.
    public static func fixed(_ value: Double, decimals: Int) -> String { TextFormat.fixed(value, decimals: decimals) }
}
