/// Why the pipeline dropped a fix. Every drop has one, and drops are counted per vehicle and reason.
public enum DropReason: String, Error, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The receiver had no position (mode 1) or the fix has no coordinates.
    case noFix = "no_fix"
    /// The fix has no date, so it cannot be placed in time.
    case noDate = "no_date"
    /// Latitude or longitude outside their ranges, or not finite.
    case outOfRange = "out_of_range"
    /// Exactly 0°, 0° ("null island"), a receiver's placeholder.
    case nullIsland = "null_island"
    /// The vehicle already has a fix at this time.
    case duplicate
    /// Later than the clock allows.
    case future
    /// Older than the configured maximum age.
    case tooOld = "too_old"
    /// HDOP above the limit.
    case poorHDOP = "poor_hdop"
    /// Fewer satellites than the minimum.
    case fewSatellites = "few_satellites"
    /// The implied speed from the previous fix is impossible.
    case outlier
    /// Reported in a datum Orbita has no conversion for.
    case unsupportedDatum = "unsupported_datum"
    /// The position cannot be projected into the fleet's frame.
    case unprojectable

    /// The reason's stable name.
    public var description: String { rawValue }
}
