import OrbitaModel
import OrbitaWire
import Testing

/// `orbita decode`'s TPV objects (the binary's tests hold the whole output to gpsd's).
@Suite struct TPVTests {
    @Test func anEmptyFixHasOnlyClassModeAndDatum() {
        #expect(TPV.text(Fix()) == #"{"class":"TPV","mode":1,"datum":"WGS84"}"#)
    }

    @Test func escapesDeviceNames() {
        let fix = Fix(device: "bus \"7\"\\\u{1B}[31m")
        #expect(TPV.text(fix).hasPrefix(#"{"class":"TPV","device":"bus \"7\"\\\u001b[31m","#))
    }

    @Test func printsGpsdStatusOnlyBeyondPlainGPS() {
        var fix = Fix()
        fix.quality = .rtkFixed
        #expect(TPV.text(fix).contains(#""status":3"#))
        fix.quality = .autonomous
        #expect(!TPV.text(fix).contains("status"))
    }

    @Test func numbersAreRoundedWithoutALocale() {
        func fixed(_ value: Double, _ decimals: Int) -> String {
            var json = JSONWriter()
            json.fixed(value, decimals: decimals)
            return json.text
        }
        func compact(_ value: Double, _ decimals: Int) -> String {
            var json = JSONWriter()
            json.number(value, decimals: decimals)
            return json.text
        }
        #expect(fixed(-36.7459894666, 9) == "-36.745989467")
        #expect(fixed(0.0000000004, 9) == "0.000000000")
        #expect(fixed(-0.0000000004, 9) == "0.000000000")
        #expect(fixed(174.5, 0) == "175")
        #expect(fixed(55.9, 9) == "55.900000000")
        #expect(fixed(1e300, 2) == TextFormat.fixed(1e300, decimals: 2))
        #expect(compact(56.1, 3) == "56.1")
        #expect(compact(0, 3) == "0.0")
        #expect(compact(.nan, 3) == "null")
        #expect(compact(174.5, 0) == "175.0")
    }

    @Test func everyMemberInGpsdOrder() {
        var fix = Fix(device: "bus-7")
        fix.time = .instant(UTCInstant(microsecondsSinceEpoch: 1_717_920_000_123_456))
        fix.mode = .threeDimensional
        fix.latitude = 55.75
        fix.longitude = -37.000_000_000_4
        fix.altitudeMSL = 141.1
        fix.speedMetersPerSecond = 12.634
        fix.courseDegrees = 182.4
        fix.satellitesUsed = 25
        fix.hdop = 1.49
        fix.satellitesInView[.gps] = 10
        fix.satellitesInView[.glonass] = 7
        #expect(
            TPV.text(fix)
                == #"{"class":"TPV","device":"bus-7","time":"2024-06-09T08:00:00.123Z","mode":3,"lat":55.750000000,"lon":-37.000000000,"altMSL":141.1,"speed":12.634,"track":182.4,"sats":25,"hdop":1.49,"satsInView":{"GPS":10,"GLONASS":7},"datum":"WGS84"}"#
        )
    }
}
