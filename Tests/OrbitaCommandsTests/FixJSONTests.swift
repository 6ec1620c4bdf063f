import OrbitaCommands
import OrbitaModel
import Testing

@Suite struct FixJSONTests {
    @Test func anEmptyFixHasOnlyClassModeAndDatum() {
        #expect(FixJSON.tpv(Fix()) == #"{"class":"TPV","mode":1,"datum":"WGS84"}"#)
    }

    @Test func escapesDeviceNames() {
        let fix = Fix(device: "bus \"7\"\\\u{1B}[31m")
        #expect(FixJSON.tpv(fix).hasPrefix(#"{"class":"TPV","device":"bus \"7\"\\\u001b[31m","#))
    }

    @Test func printsGpsdStatusOnlyBeyondPlainGPS() {
        var fix = Fix()
        fix.quality = .rtkFixed
        #expect(FixJSON.tpv(fix).contains(#""status":3"#))
        fix.quality = .autonomous
        #expect(!FixJSON.tpv(fix).contains("status"))
    }

    @Test func numbersAreRoundedWithoutALocale() {
        #expect(FixJSON.fixed(-36.7459894666, decimals: 9) == "-36.745989467")
        #expect(FixJSON.fixed(0.0000000004, decimals: 9) == "0.000000000")
        #expect(FixJSON.fixed(-0.0000000004, decimals: 9) == "0.000000000")
        #expect(FixJSON.fixed(174.5, decimals: 0) == "175")
        #expect(FixJSON.compact(56.1, decimals: 3) == "56.1")
        #expect(FixJSON.compact(0, decimals: 3) == "0.0")
        #expect(FixJSON.compact(.nan, decimals: 3) == "null")
    }
}
