import OrbitaModel

/// Sets of satellites per constellation, as inline bitmaps (no allocation), for counting distinct satellites.
///
/// One 64-bit word per constellation, indexed by the satellite's number within its constellation (GPS 1–32,
/// GLONASS slots 1–32, Galileo 1–36, BeiDou 1–63, QZSS 1–10, NavIC 1–14, SBAS 120–158 as 20–58): small enough that
/// a thousand devices' open cycles stay in cache.
struct SatelliteSet {
    /// One word per `Constellation.rawValue` (a tuple, not a SIMD vector: inserting at a computed index into a
    /// vector went through the stack and stalled on store forwarding).
    private var bits: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0)

    @inline(__always) private func word(_ index: Int) -> UInt64 {
        withUnsafeBytes(of: bits) { $0.load(fromByteOffset: index * 8, as: UInt64.self) }
    }

    /// Inserts a satellite given as the talker sent it.
    mutating func insert(talker: Talker, number: Int) {
        let constellation = Constellation(talker: talker, satelliteNumber: number)
        insert(constellation, svid: SatelliteSet.svid(constellation, number))
    }

    /// Inserts a satellite of a known constellation.
    mutating func insert(_ constellation: Constellation, number: Int) {
        insert(constellation, svid: SatelliteSet.svid(constellation, number))
    }

    @inline(__always)
    private mutating func insert(_ constellation: Constellation, svid: Int) {
        let index = constellation == .sbas ? svid - 100 : svid
        let bit = UInt64(1) << UInt64(index & 63)
        withUnsafeMutableBytes(of: &bits) { raw in
            let offset = constellation.rawValue * 8
            raw.storeBytes(
                of: raw.load(fromByteOffset: offset, as: UInt64.self) | bit, toByteOffset: offset, as: UInt64.self)
        }
    }

    /// The satellite's number within its constellation, whichever numbering the talker used.
    static func svid(_ constellation: Constellation, _ number: Int) -> Int {
        switch constellation {
        case .glonass where number > 64: number - 64
        case .galileo where number > 300: number - 300
        case .beidou where number > 400: number - 400
        case .beidou where number > 200: number - 200
        case .qzss where number > 192: number - 192
        case .sbas where number < 65: number + 87
        default: number
        }
    }

    /// The number of distinct satellites per constellation.
    var counts: SatelliteCounts {
        var counts = SatelliteCounts()
        for constellation in Constellation.allCases {
            counts[constellation] = word(constellation.rawValue).nonzeroBitCount
        }
        return counts
    }

}
