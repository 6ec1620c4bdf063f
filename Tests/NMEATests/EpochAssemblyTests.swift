import Foundation
import NMEA
import OrbitaModel
import Testing

@Suite("epoch assembly")
struct EpochAssemblyTests {
    /// A u-blox-style GPS+GLONASS+Galileo+BeiDou cycle, NMEA 4.10 (GSA system IDs, GSV signal IDs).
    static let cycle = [
        sentence("GNRMC,080000.00,A,5545.00000,N,03737.00000,E,10.000,90.00,010624,,,D,V"),
        sentence("GNVTG,90.00,T,,M,10.000,N,18.520,K,D"),
        sentence("GNGGA,080000.00,5545.00000,N,03737.00000,E,2,14,0.80,150.5,M,14.3,M,1.0,0123"),
        sentence("GNGSA,A,3,01,02,03,04,,,,,,,,,1.50,0.80,1.20,1"),
        sentence("GNGSA,A,3,65,66,67,,,,,,,,,,1.50,0.80,1.20,2"),
        sentence("GNGSA,A,3,05,07,,,,,,,,,,,1.50,0.80,1.20,3"),
        sentence("GPGSV,2,1,05,01,40,083,46,02,17,308,41,03,07,344,39,04,22,228,45,1"),
        sentence("GPGSV,2,2,05,33,40,083,46,1"),  // SBAS
        sentence("GPGSV,1,1,02,01,40,083,46,02,17,308,41,8"),  // L5 signal of the same satellites
        sentence("GLGSV,1,1,04,65,40,083,46,66,17,308,41,67,07,344,39,80,22,228,45,1"),
        sentence("GAGSV,1,1,03,05,40,083,46,07,17,308,41,12,07,344,39,7"),
        sentence("GBGSV,1,1,01,201,40,083,46,1"),
        sentence("GPGST,080000.00,1.2,2.0,1.0,45.0,1.5,1.4,3.0"),
    ]

    @Test func mergesOneCycleIntoOneFix() throws {
        let result = decode(Self.cycle.joined(separator: "\r\n") + "\r\n")
        #expect(result.statistics.rejects.isEmpty)
        let fix = try #require(result.fixes.first)
        #expect(result.fixes.count == 1)
        #expect(
            fix.time
                == .instant(
                    UTCInstant(
                        date: CivilDate(year: 2024, month: 6, day: 1)!, time: TimeOfDay(hour: 8, minute: 0, second: 0)!)
                ))
        #expect(fix.mode == .threeDimensional)
        #expect(fix.quality == .differential)
        #expect(fix.latitude == 55.75)
        #expect(abs(fix.longitude! - 37.616666667) < 1e-9)
        #expect(fix.altitudeMSL == 150.5)
        #expect(fix.geoidSeparation == 14.3)
        #expect(abs(fix.speedMetersPerSecond! - 5.144444444) < 1e-9)
        #expect(fix.courseDegrees == 90)
        #expect(fix.satellitesUsed == 14)
        #expect(fix.hdop == 0.8)
        #expect(fix.pdop == 1.5)
        #expect(fix.vdop == 1.2)
        #expect(fix.differentialAgeSeconds == 1.0)
        #expect(fix.satellitesUsedByConstellation[.gps] == 4)
        #expect(fix.satellitesUsedByConstellation[.glonass] == 3)
        #expect(fix.satellitesUsedByConstellation[.galileo] == 2)
        #expect(fix.satellitesInView[.gps] == 4)
        #expect(fix.satellitesInView[.sbas] == 1)
        #expect(fix.satellitesInView[.glonass] == 4)
        #expect(fix.satellitesInView[.galileo] == 3)
        #expect(fix.satellitesInView[.beidou] == 1)
        #expect(fix.errors?.latitudeMeters == 1.5)
        #expect(fix.datum == .wgs84)
    }

    @Test func theDateOfAnEarlierCycleDatesAGGAOnlyCycleAndRollsOverAtMidnight() throws {
        let text = [
            sentence("GPRMC,235959.00,A,5545.00000,N,03737.00000,E,0.0,0.0,311224,,,A"),
            sentence("GPGGA,000000.00,5545.00000,N,03737.00000,E,1,08,1.0,150.0,M,14.0,M,,"),
            sentence("GPGGA,000001.00,5545.00000,N,03737.00000,E,1,08,1.0,150.0,M,14.0,M,,"),
        ].joined(separator: "\n")
        let result = decode(text)
        #expect(
            result.fixes.map { $0.time?.instant?.iso8601 } == [
                "2024-12-31T23:59:59.000Z", "2025-01-01T00:00:00.000Z", "2025-01-01T00:00:01.000Z",
            ])
    }

    @Test func zdaDatesCyclesButNeverOpensOne() {
        // Trimble R2 (nmea-real TrimbleR2SampleData.txt) sends ZDA 50 ms after the cycle's time.
        let text = [
            sentence("GNGGA,235959.00,3403.47162394,N,11711.80927093,W,5,10,1.2,403.600,M,-32.133,M,1.0,0000"),
            sentence("GNZDA,235959.05,31,12,2024,00,00"),
            sentence("GNGGA,000000.00,3403.47162394,N,11711.80927093,W,5,10,1.2,403.600,M,-32.133,M,1.0,0000"),
            sentence("GNZDA,000000.05,01,01,2025,00,00"),
        ].joined(separator: "\n")
        let result = decode(text)
        #expect(
            result.fixes.map { $0.time?.instant?.iso8601 } == ["2024-12-31T23:59:59.000Z", "2025-01-01T00:00:00.000Z"])
        #expect(result.fixes.filter { !$0.hasPosition }.isEmpty)
    }

    @Test func aZDASentJustAfterMidnightDatesTheCycleJustBefore() {
        let text = [
            sentence("GPGGA,235959.90,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"),
            sentence("GPZDA,000000.01,01,01,2025,00,00"),
        ].joined(separator: "\n")
        #expect(decode(text).fixes.first?.time?.instant?.iso8601 == "2024-12-31T23:59:59.900Z")
    }

    @Test func withoutAnyDateOnlyTheTimeOfDayIsKnown() throws {
        let result = decode(sentence("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"))
        #expect(result.fixes.first?.time == .timeOfDay(TimeOfDay(hour: 12, minute: 35, second: 19)!))
    }

    @Test func aPositionFromAnInvalidSentenceIsNeverUsed() throws {
        let text = [
            sentence("GPRMC,123519.00,V,4807.038,N,01131.000,E,,,230394,,"),
            sentence("GPGGA,123519.00,4807.038,N,01131.000,E,0,00,,,M,,M,,"),
            sentence("GPRMC,123520.00,A,4807.038,N,01131.000,E,,,230394,,,N"),
            sentence("GPGLL,4807.038,N,01131.000,E,123521.00,V,N"),
            sentence("GPGNS,123522.00,4807.038,N,01131.000,E,NN,00,,,,,,V"),
        ].joined(separator: "\n")
        let result = decode(text)
        #expect(result.fixes.count == 4)
        for fix in result.fixes {
            #expect(fix.mode == .noFix)
            #expect(fix.latitude == nil && fix.longitude == nil)
            #expect(fix.time != nil)
        }
    }

    @Test func navigationalStatusVDoesNotInvalidateAFix() throws {
        // Furuno GT-88 (gpsd furuno_gl_ga.log) and u-blox send `A,V` with every valid fix.
        let result = decode(sentence("GNRMC,120213.000,A,5957.0062,N,01100.6429,E,0.00,0.00,310722,,,D,V"))
        #expect(result.fixes.first?.mode == .twoDimensional)
        #expect(result.fixes.first?.quality == .differential)
    }

    @Test func gsaModeTwoMakesATwoDimensionalFixDespiteAltitude() {
        let text = [
            sentence("GPGGA,123519,4807.038,N,01131.000,E,1,03,2.9,545.4,M,46.9,M,,"),
            sentence("GPGSA,A,2,01,02,03,,,,,,,,,,3.0,2.9,1.0"),
        ].joined(separator: "\n")
        #expect(decode(text).fixes.first?.mode == .twoDimensional)
    }

    @Test func vtgGivesSpeedWhenThereIsNoRMC() throws {
        let text = [
            sentence("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"),
            sentence("GPVTG,054.7,T,034.4,M,,N,036.0,K,A"),
        ].joined(separator: "\n")
        let fix = try #require(decode(text).fixes.first)
        #expect(fix.speedMetersPerSecond == 10)
        #expect(fix.courseDegrees == 54.7)
    }

    @Test func theDatumFromDTMIsKeptUntilTheNextDTM() {
        let text = [
            sentence("GPDTM,P90,,0.0,N,0.0,E,0.0,W84"),
            sentence("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"),
            sentence("GPRMC,123520,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"),
            sentence("GPDTM,W84,,0.0,N,0.0,E,0.0,W84"),
            sentence("GPRMC,123521,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"),
        ].joined(separator: "\n")
        #expect(decode(text).fixes.map(\.datum) == [.pz90, .pz90, .wgs84])
    }

    @Test func timesWithinTenMillisecondsAreOneCycle() {
        // Magellan eXplorist 210 (gpsd eXplorist210.log): GLL in milliseconds, GGA/RMC in centiseconds.
        let text = [
            sentence("GPGLL,5313.2228,N,00634.4228,E,200619.295,A"),
            sentence("GPGGA,200619.30,5313.2228,N,00634.4228,E,1,05,2.6,00000,M,,,,"),
            sentence("GPRMC,200619.30,A,5313.2228,N,00634.4228,E,00.0,000.0,200506,00,W"),
            sentence("GPGLL,5313.2228,N,00634.4228,E,200620.303,A"),
        ].joined(separator: "\n")
        let result = decode(text)
        #expect(result.fixes.count == 2)
        #expect(result.fixes.first?.speedMetersPerSecond == 0)
    }
}

@Suite("device identity")
struct DeviceIdentityTests {
    static let rmc = sentence("GPRMC,155708.252,A,4610.1676,N,00606.4586,E,000.0,000.0,060214,,,A")

    @Test(arguments: [
        ("123456789" + rmc, "123456789"),
        ("990000561287964," + rmc, "990000561287964"),
        ("4711/022789000688081/" + rmc, "022789000688081"),
        (sentence("PGID,359853000144328") + "\n" + rmc, "359853000144328"),
        (sentence("PCPTI,CradlePoint Test,184453,184453.0,6F") + "\n" + rmc, "CradlePoint Test"),
        (sentence("DEVID,0x0103846677F21422") + "\n" + rmc, "0x0103846677F21422"),
        (sentence("PSIWMDID,6Q5161694402B133") + "\n" + rmc, "6Q5161694402B133"),
        ("$IMEI=355797031609284\n" + rmc, "355797031609284"),
        ("IMEI 351467108700000\n" + rmc, "351467108700000"),
        ("358244017671308\n" + rmc, "358244017671308"),
        ("086415031C20\n" + rmc, "086415031C20"),
    ])
    func readsEveryIdentityForm(text: String, id: String) throws {
        let result = decode(text + "\n")
        #expect(result.fixes.count == 1)
        #expect(result.fixes.first?.device == id)
        #expect(result.fixes.first?.hasPosition == true)
        #expect(result.statistics.rejects.isEmpty)
    }

    /// The examples of Traccar's T55ProtocolDecoderTest, verbatim (../shared/notes/ANCHORS.md §3.5).
    @Test(arguments: [
        ("123456789$GPRMC,155708.252,V,4610.1676,N,00606.4586,E,000.0,000.0,060214,,,N*76", "123456789", false),
        (
            "990000561287964,$GPRMC,213516.0,A,4337.216791,N,11611.995877,W,0.0,335.4,181214,,,A * 72",
            "990000561287964", true
        ),
        (
            "4711/022789000688081/$GPRMC,133343,A,5308.56325,N,1029.12850,E,0.000000,0.000000,290316,,*2A",
            "022789000688081", true
        ),
    ])
    func readsTraccarT55ExamplesVerbatim(line: String, id: String, hasPosition: Bool) throws {
        let result = decode(line + "\r\n")
        #expect(result.statistics.rejects.isEmpty, "\(result.statistics.rejects)")
        let fix = try #require(result.fixes.first)
        #expect(fix.device == id)
        #expect(fix.hasPosition == hasPosition)
    }

    @Test func interleavedDevicesKeepTheirOwnCycles() {
        let text = [
            "111111" + sentence("GPRMC,100000,A,4610.0000,N,00606.0000,E,1.0,0.0,060214,,,A"),
            "222222" + sentence("GPRMC,100000,A,5510.0000,N,03706.0000,E,1.0,0.0,060214,,,A"),
            "111111" + sentence("GPGGA,100000,4610.0000,N,00606.0000,E,1,08,1.0,400.0,M,50.0,M,,"),
            "222222" + sentence("GPGGA,100000,5510.0000,N,03706.0000,E,1,08,1.0,150.0,M,14.0,M,,"),
            "111111" + sentence("GPRMC,100001,A,4610.0001,N,00606.0000,E,1.0,0.0,060214,,,A"),
        ].joined(separator: "\n")
        let result = decode(text)
        #expect(result.statistics.rejects.isEmpty, "\(result.statistics.rejects)")
        let first = result.fixes.filter { $0.device == "111111" }
        let second = result.fixes.filter { $0.device == "222222" }
        #expect(first.count == 2)
        #expect(second.count == 1)
        #expect(first.first?.altitudeMSL == 400)
        #expect(second.first?.altitudeMSL == 150)
    }

    @Test func dataBeforeAnyIdentityStaysAnonymous() {
        let later = sentence("GPRMC,155709.252,A,4610.1676,N,00606.4586,E,000.0,000.0,060214,,,A")
        let text = Self.rmc + "\n" + sentence("PGID,359853000144328") + "\n" + later
        let result = decode(text)
        #expect(result.fixes.map(\.device) == [nil, "359853000144328"])
    }

    @Test func noiseIsNotAnIdentity() {
        let result = decode("gps: " + sentence("GPGLL,4916.45,N,12311.12,W,225444,A") + "\n")
        #expect(result.fixes.first?.device == nil)
        #expect(result.statistics.identities == 0)
    }
}
