public import OrbitaModel

/// The two-letter talker of an NMEA address (`GP`, `GL`, `GN`…).
public struct Talker: Sendable, Hashable, CustomStringConvertible {
    /// The first letter.
    public let first: UInt8
    /// The second letter.
    public let second: UInt8

    /// Creates a talker from its two ASCII letters.
    public init(_ first: UInt8, _ second: UInt8) {
        self.first = first
        self.second = second
    }

    /// The talker as text.
    public var description: String { String(decoding: [first, second], as: UTF8.self) }

    /// The constellation this talker speaks for; nil for combined (`GN`) and non-GNSS talkers.
    public var constellation: Constellation? {
        guard
            first == UInt8(ascii: "G") || first == UInt8(ascii: "B") || first == UInt8(ascii: "Q")
                || first == UInt8(ascii: "I")
        else { return nil }
        switch (first, second) {
        case (UInt8(ascii: "G"), UInt8(ascii: "P")): return .gps
        case (UInt8(ascii: "G"), UInt8(ascii: "L")): return .glonass
        case (UInt8(ascii: "G"), UInt8(ascii: "A")): return .galileo
        case (UInt8(ascii: "G"), UInt8(ascii: "B")), (UInt8(ascii: "B"), UInt8(ascii: "D")): return .beidou
        case (UInt8(ascii: "G"), UInt8(ascii: "Q")), (UInt8(ascii: "Q"), UInt8(ascii: "Z")): return .qzss
        case (UInt8(ascii: "G"), UInt8(ascii: "I")), (UInt8(ascii: "I"), UInt8(ascii: "R")): return .navic
        default: return nil
        }
    }
}

extension Constellation {
    /// The constellation of an NMEA 4.10+ GSA/GBS system ID (1 GPS … 6 NavIC), or nil.
    public init?(nmeaSystemID: Int) {
        switch nmeaSystemID {
        case 1: self = .gps
        case 2: self = .glonass
        case 3: self = .galileo
        case 4: self = .beidou
        case 5: self = .qzss
        case 6: self = .navic
        default: return nil
        }
    }

    /// The constellation of a satellite number as NMEA talkers send it (gpsd's mapping): the talker decides
    /// when it names one system, otherwise the number range does (1–32 GPS, 33–64 and 120–158 SBAS,
    /// 65–96 GLONASS, 193–202 QZSS, 201–237 and 401–437 BeiDou, 301–336 Galileo).
    public init(talker: Talker, satelliteNumber prn: Int) {
        if let own = talker.constellation, own != .gps {
            self = own
            return
        }
        switch prn {
        case 33...64, 120...158: self = .sbas
        case 65...96: self = .glonass
        case 193...200: self = .qzss
        case 201...237, 401...437: self = .beidou
        case 301...336: self = .galileo
        default: self = .gps
        }
    }
}
