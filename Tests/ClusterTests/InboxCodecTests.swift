import Cluster
import OrbitaModel
import Testing

/// The inbox's bytes: every field of a fix comes back, and no byte string makes the decoder crash.
@Suite("cluster: inbox records")
struct InboxCodecTests {
    /// A generator of its own (the tests must not depend on the simulator's).
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    static func randomFix(_ random: inout SplitMix) -> Fix {
        func maybe(_ value: Double) -> Double? { Bool.random(using: &random) ? value : nil }
        var fix = Fix(device: Bool.random(using: &random) ? "тест-\(random.next() % 1000)" : nil)
        switch random.next() % 3 {
        case 0: fix.time = nil
        case 1: fix.time = .instant(UTCInstant(microsecondsSinceEpoch: Int64(bitPattern: random.next() >> 12)))
        default: fix.time = .timeOfDay(TimeOfDay(microseconds: Int64(random.next() % 86_400_000_000)))
        }
        fix.mode = [.noFix, .twoDimensional, .threeDimensional][Int(random.next() % 3)]
        fix.quality = FixQuality(rawValue: Int(random.next() % 9)) ?? .invalid
        fix.latitude = maybe(Double.random(in: -90...90, using: &random))
        fix.longitude = maybe(Double.random(in: -180...180, using: &random))
        fix.altitudeMSL = maybe(-12.5)
        fix.geoidSeparation = maybe(14.3)
        fix.speedMetersPerSecond = maybe(Double.random(in: 0...60, using: &random))
        fix.courseDegrees = maybe(359.99)
        fix.magneticVariationDegrees = maybe(-11.2)
        fix.hdop = maybe(0.9)
        fix.pdop = maybe(1.4)
        fix.vdop = maybe(1.1)
        fix.satellitesUsed = Bool.random(using: &random) ? Int(random.next() % 40) : nil
        for constellation in Constellation.allCases {
            fix.satellitesUsedByConstellation[constellation] = Int(random.next() % 20)
            fix.satellitesInView[constellation] = Int(random.next() % 30)
        }
        fix.datum = Datum(storageCode: Int(random.next() % 6))
        if Bool.random(using: &random) {
            fix.errors = ErrorEstimates(rangeRMS: maybe(2.1), semiMajorMeters: maybe(3), altitudeMeters: maybe(5.5))
        }
        fix.differentialAgeSeconds = maybe(4)
        fix.navigationalStatus = Bool.random(using: &random) ? UInt8(ascii: "V") : nil
        return fix
    }

    @Test func everyFieldComesBack() throws {
        var random = SplitMix(state: 7)
        for _ in 0..<2_000 {
            let fix = Self.randomFix(&random)
            #expect(try InboxCodec.decode(InboxCodec.encode(fix)) == fix)
        }
    }

    @Test func shortLongAndDamagedRecordsAreRefusedNotCrashedOn() {
        var random = SplitMix(state: 11)
        for _ in 0..<500 {
            let bytes = InboxCodec.encode(Self.randomFix(&random))
            for cut in 0..<bytes.count {
                #expect(throws: InboxCodec.Malformed.self) { try InboxCodec.decode(bytes[..<cut]) }
            }
            #expect(throws: InboxCodec.Malformed.self) { try InboxCodec.decode(bytes + [0]) }
            var damaged = bytes
            damaged[Int(random.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: random.next() | 1)
            _ = try? InboxCodec.decode(damaged)  // any answer but a crash
        }
    }
}
