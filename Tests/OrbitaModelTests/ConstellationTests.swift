import OrbitaModel
import Testing

@Suite struct ConstellationTests {
    @Test func countsAreKeptPerConstellation() {
        var counts = SatelliteCounts()
        counts[.gps] = 11
        counts[.glonass] = 8
        counts[.beidou] = 3
        #expect(counts[.gps] == 11)
        #expect(counts[.glonass] == 8)
        #expect(counts[.galileo] == 0)
        #expect(counts.total == 22)
        #expect(!counts.isEmpty)
        #expect(SatelliteCounts().isEmpty)
    }

    @Test func qualityFollowsGGAAndModeIndicators() {
        #expect(FixQuality(ggaIndicator: 4) == .rtkFixed)
        #expect(FixQuality(ggaIndicator: 9) == nil)
        #expect(FixQuality(modeIndicator: UInt8(ascii: "F")) == .rtkFloat)
        #expect(FixQuality(modeIndicator: UInt8(ascii: "S"))?.gpsdStatus == 8)
        #expect(FixQuality(modeIndicator: UInt8(ascii: "X")) == nil)
    }

    @Test func datumCodesFromDTM() {
        #expect(Datum(nmeaCode: Array("P90".utf8)) == .pz90)
        #expect(Datum(nmeaCode: Array("W84".utf8)) == .wgs84)
        #expect(Datum(nmeaCode: Array("N27".utf8)) == .other)
    }
}
