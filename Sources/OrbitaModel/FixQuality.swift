/// What kind of solution a receiver reports: none, 2D or 3D.
public enum FixMode: Int, Sendable, Hashable, Comparable {
    /// No position solution.
    case noFix = 1
    /// Latitude and longitude only.
    case twoDimensional = 2
    /// Latitude, longitude and altitude.
    case threeDimensional = 3

    /// Orders by time or value.
    public static func < (lhs: FixMode, rhs: FixMode) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How a position was obtained (NMEA GGA quality / FAA mode indicator).
public enum FixQuality: Int, Sendable, Hashable {
    /// Not valid.
    case invalid = 0
    /// Autonomous GNSS.
    case autonomous = 1
    /// Differential (SBAS, DGPS).
    case differential = 2
    /// Precise positioning service (military).
    case precise = 3
    /// RTK with fixed integers.
    case rtkFixed = 4
    /// RTK with float integers.
    case rtkFloat = 5
    /// Dead reckoning (estimated).
    case deadReckoning = 6
    /// Manually entered position.
    case manual = 7
    /// Simulator output, not a real position.
    case simulated = 8

    /// The quality for an NMEA GGA quality digit, or nil for a digit the standard does not define.
    public init?(ggaIndicator: Int) {
        switch ggaIndicator {
        case 0: self = .invalid
        case 1: self = .autonomous
        case 2: self = .differential
        case 3: self = .precise
        case 4: self = .rtkFixed
        case 5: self = .rtkFloat
        case 6: self = .deadReckoning
        case 7: self = .manual
        case 8: self = .simulated
        default: return nil
        }
    }

    /// The quality for an FAA mode indicator letter (NMEA 2.3+), or nil for an unknown letter.
    public init?(modeIndicator: UInt8) {
        switch modeIndicator {
        case UInt8(ascii: "N"): self = .invalid
        case UInt8(ascii: "A"): self = .autonomous
        case UInt8(ascii: "D"): self = .differential
        case UInt8(ascii: "P"): self = .precise
        case UInt8(ascii: "R"): self = .rtkFixed
        case UInt8(ascii: "F"): self = .rtkFloat
        case UInt8(ascii: "E"): self = .deadReckoning
        case UInt8(ascii: "M"): self = .manual
        case UInt8(ascii: "S"): self = .simulated
        default: return nil
        }
    }

    /// A name for logs and JSON.
    public var name: String {
        switch self {
        case .invalid: "invalid"
        case .autonomous: "gps"
        case .differential: "dgps"
        case .precise: "pps"
        case .rtkFixed: "rtkFixed"
        case .rtkFloat: "rtkFloat"
        case .deadReckoning: "deadReckoning"
        case .manual: "manual"
        case .simulated: "simulated"
        }
    }

    /// gpsd's TPV `status` number for this quality (1 normal, 2 DGPS, 3 RTK fixed, 4 RTK float, 5 DR, 8 simulated).
    public var gpsdStatus: Int {
        switch self {
        case .invalid: 0
        case .autonomous, .manual: 1
        case .differential: 2
        case .rtkFixed: 3
        case .rtkFloat: 4
        case .deadReckoning: 5
        case .simulated: 8
        case .precise: 9
        }
    }
}

/// The geodetic datum a receiver reports its positions in (NMEA DTM local datum code).
public enum Datum: Sendable, Hashable {
    /// WGS 84 (`W84`), the default when no DTM sentence says otherwise.
    case wgs84
    /// WGS 72 (`W72`).
    case wgs72
    /// SGS 85 (`S85`).
    case sgs85
    /// PZ-90, the GLONASS datum (`P90`).
    case pz90
    /// A user-defined datum (`999`).
    case userDefined
    /// An IHO datum code Orbita does not know.
    case other

    /// The datum for an NMEA DTM local datum code.
    public init(nmeaCode: some Collection<UInt8>) {
        switch Array(nmeaCode) {
        case Array("W84".utf8): self = .wgs84
        case Array("W72".utf8): self = .wgs72
        case Array("S85".utf8): self = .sgs85
        case Array("P90".utf8): self = .pz90
        case Array("999".utf8): self = .userDefined
        default: self = .other
        }
    }

    /// The code every storage backend keeps in a fix row: 0 WGS 84, 1 WGS 72, 2 SGS 85, 3 PZ-90, 4 user-defined,
    /// 5 other.
    public var storageCode: Int {
        switch self {
        case .wgs84: 0
        case .wgs72: 1
        case .sgs85: 2
        case .pz90: 3
        case .userDefined: 4
        case .other: 5
        }
    }

    /// The datum of a stored code (`other` for a code it does not know).
    public init(storageCode: Int) {
        self =
            switch storageCode {
            case 0: .wgs84
            case 1: .wgs72
            case 2: .sgs85
            case 3: .pz90
            case 4: .userDefined
            default: .other
            }
    }

    /// The name printed in JSON (gpsd's spelling where gpsd has one).
    public var name: String {
        switch self {
        case .wgs84: "WGS84"
        case .wgs72: "WGS72"
        case .sgs85: "SGS85"
        case .pz90: "PZ90"
        case .userDefined: "USER"
        case .other: "OTHER"
        }
    }
}
