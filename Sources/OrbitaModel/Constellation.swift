/// A satellite navigation system whose satellites a receiver can track.
public enum Constellation: Int, CaseIterable, Sendable, Hashable {
    /// The US Global Positioning System.
    case gps = 0
    /// The Russian GLONASS system.
    case glonass
    /// The European Galileo system.
    case galileo
    /// The Chinese BeiDou system.
    case beidou
    /// The Japanese Quasi-Zenith Satellite System.
    case qzss
    /// The Indian NavIC (IRNSS) system.
    case navic
    /// Satellite-based augmentation (WAAS, EGNOS, SDCM, MSAS…).
    case sbas

    /// The name gpsd and Orbita's JSON use for the constellation.
    public var name: String { "\(staticName)" }

    /// `name` as a literal (a JSON key written without copying).
    public var staticName: StaticString {
        switch self {
        case .gps: "GPS"
        case .glonass: "GLONASS"
        case .galileo: "Galileo"
        case .beidou: "BeiDou"
        case .qzss: "QZSS"
        case .navic: "NavIC"
        case .sbas: "SBAS"
        }
    }
}

/// Satellite counts per constellation, stored inline (no allocation).
public struct SatelliteCounts: Sendable, Hashable {
    private var counts: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0)

    /// Creates counts that are all zero.
    public init() {}

    /// The count for one constellation.
    public subscript(constellation: Constellation) -> Int {
        get {
            switch constellation {
            case .gps: Int(counts.0)
            case .glonass: Int(counts.1)
            case .galileo: Int(counts.2)
            case .beidou: Int(counts.3)
            case .qzss: Int(counts.4)
            case .navic: Int(counts.5)
            case .sbas: Int(counts.6)
            }
        }
        set {
            let value = UInt16(clamping: newValue)
            switch constellation {
            case .gps: counts.0 = value
            case .glonass: counts.1 = value
            case .galileo: counts.2 = value
            case .beidou: counts.3 = value
            case .qzss: counts.4 = value
            case .navic: counts.5 = value
            case .sbas: counts.6 = value
            }
        }
    }

    /// The sum over all constellations.
    public var total: Int { Constellation.allCases.reduce(0) { $0 + self[$1] } }

    /// True when every count is zero.
    public var isEmpty: Bool { total == 0 }

    /// True when both hold the same values.
    public static func == (lhs: SatelliteCounts, rhs: SatelliteCounts) -> Bool {
        Constellation.allCases.allSatisfy { lhs[$0] == rhs[$0] }
    }

    /// Hashes the same values `==` compares.
    public func hash(into hasher: inout Hasher) {
        for constellation in Constellation.allCases { hasher.combine(self[constellation]) }
    }
}
