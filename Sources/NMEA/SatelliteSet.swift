import OrbitaModel

/// Sets of satellites per constellation, as inline bitmaps (no allocation), for counting distinct satellites.
struct SatelliteSet {
    private var bits = (
        SIMD4<UInt64>(), SIMD4<UInt64>(), SIMD4<UInt64>(), SIMD4<UInt64>(), SIMD4<UInt64>(), SIMD4<UInt64>(),
        SIMD4<UInt64>()
    )

    /// Inserts a satellite given as the talker sent it.
    mutating func insert(talker: Talker, number: Int) {
        let constellation = Constellation(talker: talker, satelliteNumber: number)
        insert(constellation, svid: SatelliteSet.svid(constellation, number))
    }

    /// Inserts a satellite of a known constellation.
    mutating func insert(_ constellation: Constellation, number: Int) {
        insert(constellation, svid: SatelliteSet.svid(constellation, number))
    }

    private mutating func insert(_ constellation: Constellation, svid: Int) {
        let index = svid & 255
        let word = index >> 6
        let bit = UInt64(1) << UInt64(index & 63)
        switch constellation {
        case .gps: bits.0[word] |= bit
        case .glonass: bits.1[word] |= bit
        case .galileo: bits.2[word] |= bit
        case .beidou: bits.3[word] |= bit
        case .qzss: bits.4[word] |= bit
        case .navic: bits.5[word] |= bit
        case .sbas: bits.6[word] |= bit
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
        func popcount(_ v: SIMD4<UInt64>) -> Int {
            v[0].nonzeroBitCount + v[1].nonzeroBitCount + v[2].nonzeroBitCount + v[3].nonzeroBitCount
        }
        counts[.gps] = popcount(bits.0)
        counts[.glonass] = popcount(bits.1)
        counts[.galileo] = popcount(bits.2)
        counts[.beidou] = popcount(bits.3)
        counts[.qzss] = popcount(bits.4)
        counts[.navic] = popcount(bits.5)
        counts[.sbas] = popcount(bits.6)
        return counts
    }

    var isEmpty: Bool {
        let all = bits.0 | bits.1 | bits.2 | bits.3 | bits.4 | bits.5 | bits.6
        return all == SIMD4<UInt64>()
    }
}
