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

    /// Regression for the first fuzzer finding: a ZDA year of 200401 overflowed the microsecond arithmetic.
    @Test func aSixDigitZDAYearIsABadFieldNotACrash() {
        #expect(throws: SentenceError.badField(sentence: .zda, field: 4)) {
            try ParsedSentence.parse("$GPZDA,160012.71,11,03,200401,0,00")
        }
    }
}
