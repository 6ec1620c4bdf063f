/// Error estimates a receiver reports for a fix (NMEA GST), one sigma, in metres.
public struct ErrorEstimates: Sendable, Hashable {
    /// RMS of the pseudorange residuals.
    public var rangeRMS: Double?
    /// Standard deviation of the semi-major axis of the error ellipse, metres.
    public var semiMajorMeters: Double?
    /// Standard deviation of the semi-minor axis of the error ellipse, metres.
    public var semiMinorMeters: Double?
    /// Orientation of the semi-major axis, degrees from true north.
    public var orientationDegrees: Double?
    /// Standard deviation of latitude error, metres.
    public var latitudeMeters: Double?
    /// Standard deviation of longitude error, metres.
    public var longitudeMeters: Double?
    /// Standard deviation of altitude error, metres.
    public var altitudeMeters: Double?

    /// Creates estimates; every value is optional.
    public init(
        rangeRMS: Double? = nil, semiMajorMeters: Double? = nil, semiMinorMeters: Double? = nil,
        orientationDegrees: Double? = nil, latitudeMeters: Double? = nil, longitudeMeters: Double? = nil,
        altitudeMeters: Double? = nil
    ) {
        self.rangeRMS = rangeRMS
        self.semiMajorMeters = semiMajorMeters
        self.semiMinorMeters = semiMinorMeters
        self.orientationDegrees = orientationDegrees
        self.latitudeMeters = latitudeMeters
        self.longitudeMeters = longitudeMeters
        self.altitudeMeters = altitudeMeters
    }
}

/// One receiver epoch: where a device was, when, and how good the solution is.
///
/// Values are the receiver's own (no filtering, no datum shift); absent values are nil, never zero.
public struct Fix: Sendable, Hashable {
    /// The device that sent the data, when the input names one.
    public var device: String?
    /// When the epoch was measured; nil if no sentence of the epoch carried a time.
    public var time: FixTime?
    /// Fix mode: none, 2D or 3D.
    public var mode: FixMode = .noFix
    /// How the position was obtained.
    public var quality: FixQuality = .invalid
    /// Latitude in decimal degrees, north positive (only when the receiver says the position is valid).
    public var latitude: Double?
    /// Longitude in decimal degrees, east positive.
    public var longitude: Double?
    /// Antenna altitude above mean sea level (geoid), metres.
    public var altitudeMSL: Double?
    /// Geoid separation (ellipsoid minus geoid), metres.
    public var geoidSeparation: Double?
    /// Speed over ground, metres per second.
    public var speedMetersPerSecond: Double?
    /// Course over ground, degrees true.
    public var courseDegrees: Double?
    /// Magnetic variation, degrees, east positive.
    public var magneticVariationDegrees: Double?
    /// Horizontal dilution of precision.
    public var hdop: Double?
    /// Position dilution of precision.
    public var pdop: Double?
    /// Vertical dilution of precision.
    public var vdop: Double?
    /// Satellites used in the solution.
    public var satellitesUsed: Int?
    /// Satellites used, per constellation, when GSA sentences tell.
    public var satellitesUsedByConstellation = SatelliteCounts()
    /// Satellites in view, per constellation (from GSV).
    public var satellitesInView = SatelliteCounts()
    /// The datum of the coordinates (from DTM; WGS 84 when no DTM was seen).
    public var datum: Datum = .wgs84
    /// Error estimates from GST.
    public var errors: ErrorEstimates?
    /// Differential correction age, seconds (GGA).
    public var differentialAgeSeconds: Double?
    /// NMEA 4.1 navigational status letter (S safe, C caution, U unsafe, V not valid), when sent.
    public var navigationalStatus: UInt8?

    /// Creates an empty fix (no time, no position, mode "no fix").
    public init(device: String? = nil) { self.device = device }

    /// True when the fix has a usable position.
    public var hasPosition: Bool { mode >= .twoDimensional && latitude != nil && longitude != nil }

    /// Height above the WGS 84 ellipsoid, metres, when both altitude and geoid separation are known.
    public var altitudeHAE: Double? {
        guard let altitudeMSL, let geoidSeparation else { return nil }
        return altitudeMSL + geoidSeparation
    }
}
