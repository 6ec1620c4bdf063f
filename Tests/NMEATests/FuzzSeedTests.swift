import Foundation
import NMEA
import OrbitaTesting
import Testing

/// Every fuzz seed, including each crash the fuzzer found (`crash-*`), must pass the harness's invariants.
@Suite struct FuzzSeedTests {
    static let seeds: [String] = {
        let folder = Corpus.fixture("fuzz-seeds").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0 != "README.md" }
            .sorted()
    }()

    @Test func thereAreSeeds() {
        #expect(Self.seeds.count >= 6)
        #expect(Self.seeds.contains("crash-zda-year-overflow.nmea"))
    }

    @Test("the harness finds no violated invariant", arguments: seeds)
    func seedPassesTheHarness(_ name: String) {
        let bytes = Corpus.bytes(Corpus.fixture("fuzz-seeds/\(name)"))
        #expect(!bytes.isEmpty)
        let problem = bytes.withUnsafeBytes { FuzzHarness.check($0) }
        #expect(problem == nil)
    }

    /// Regression for the second fuzzer finding: lenient framing dropped spaces before `*` (for t55 trackers) even
    /// when the checksum covered them, so strict framing accepted a sentence lenient framing rejected.
    @Test func spacesBeforeTheChecksumCountWhenTheChecksumCoversThem() throws {
        let body = "GPTXT,01,01,02,hi "
        let sum = body.utf8.reduce(UInt8(0), ^)
        let hex = String(sum, radix: 16, uppercase: true)
        let line = "$" + body + "*" + (hex.count == 1 ? "0" + hex : hex)
        let lenient = try ParsedSentence.parse(line, options: .lenient)
        let strict = try ParsedSentence.parse(line, options: .strictFraming)
        #expect(lenient == strict)
        guard case .txt(let txt) = lenient.sentence else {
            Issue.record("not a TXT")
            return
        }
        #expect(txt.text == "hi ")
    }

    /// Regression for the first fuzzer finding: a ZDA year of 200401 overflowed the microsecond arithmetic.
    @Test func aSixDigitZDAYearIsABadFieldNotACrash() {
        #expect(throws: SentenceError.badField(sentence: .zda, field: 4)) {
            try ParsedSentence.parse("$GPZDA,160012.71,11,03,200401,0,00")
        }
    }
}
