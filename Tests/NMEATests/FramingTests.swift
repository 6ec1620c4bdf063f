import Foundation
import NMEA
import OrbitaModel
import Testing

@Suite("framing and reject reasons")
struct FramingTests {
    static let rmc = sentence("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W")

    @Test func aResetDecoderDecodesAsAFreshOne() {
        // The first stream leaves a device, an open cycle with a date, a partial line and counts behind.
        let first =
            sentence("PGID,DEV001") + "\r\n" + sentence("GPRMC,120000.00,A,5545.0000,N,03737.0000,E,0.0,,261126,,,A")
            + "\r\n" + sentence("GPGGA,120001.00,5545.0000,N,03737.0000,E,1,08,0.9,150.0,M,14.0,M,,") + "\r\n$GPGG"
        // The second names no device and no date: a fresh decoder gives an anonymous fix with no date.
        let second =
            sentence("GPGGA,120002.00,5545.1000,N,03737.1000,E,1,08,0.9,150.0,M,14.0,M,,") + "\r\nBAD*00\r\n"
        let decoder = NMEADecoder(options: .lenient)
        decoder.decode(Array(first.utf8)) { _ in }
        decoder.reset()
        var fixes: [Fix] = []
        decoder.decode(Array(second.utf8)) { fixes.append($0) }
        decoder.finish { fixes.append($0) }
        let fresh = decode(second)
        #expect(fixes == fresh.fixes)
        #expect(decoder.statistics == fresh.statistics)
        #expect(fixes.count == 1 && fixes.first?.device == nil)
    }

    /// A log cut mid-field on its last line, without a checksum: rejected as `truncated`, not stored with the cut
    /// value (altitude 14.0 for 141.1); the same line ending a datagram is whole and decoded.
    @Test func anUnterminatedLastLineWithoutAChecksumIsTruncated() {
        let log =
            sentence("GPRMC,120000.00,A,5545.0000,N,03737.0000,E,0.0,,261126,,,A") + "\r\n"
            + "$GPGGA,120000.00,5545.0000,N,03737.0000,E,1,25,1.49,14"
        let file = NMEADecoder(options: .lenient)
        var fixes: [Fix] = []
        file.decode(Array(log.utf8)) { fixes.append($0) }
        file.finish { fixes.append($0) }
        #expect(file.statistics.rejects["truncated"] == 1)
        #expect(fixes.allSatisfy { $0.altitudeMSL == nil && $0.satellitesUsed != 2 })
        let datagram = NMEADecoder(options: .lenient)
        fixes = []
        datagram.decode(Array(log.utf8)) { fixes.append($0) }
        datagram.finish(complete: true) { fixes.append($0) }
        #expect(datagram.statistics.rejects["truncated"] == nil)
        #expect(fixes.contains { $0.altitudeMSL == 14 })
        // With its checksum, a last line without a newline is whole.
        let checked = NMEADecoder(options: .lenient)
        fixes = []
        checked.decode(Array(sentence("GPGGA,120000.00,5545.0000,N,03737.0000,E,1,25,1.49,141.1,M,14.0,M,,").utf8)) {
            fixes.append($0)
        }
        checked.finish { fixes.append($0) }
        #expect(fixes.contains { $0.altitudeMSL == 141.1 })
    }

    @Test func acceptsCRLFAndLFAndNulPadding() {
        let text = "\0\0" + Self.rmc + "\r\n" + Self.rmc.replacingOccurrences(of: "123519", with: "123519") + "\n"
        let result = decode(text)
        #expect(result.statistics.sentences == 2)
        #expect(result.statistics.rejects.isEmpty)
    }

    @Test func countsABadChecksumAndKeepsGoing() {
        let bad = String(Self.rmc.dropLast(2)) + "00"
        let result = decode(bad + "\n" + Self.rmc + "\n")
        #expect(result.statistics.rejects == ["checksum_mismatch": 1])
        #expect(result.fixes.count == 1)
    }

    @Test func aSentenceCutOffByTheNextIsTruncatedAndTheNextIsRead() {
        let result = decode("$GPRMC,172142.00,A,4805.30256324,N" + Self.rmc + "\n")
        #expect(result.statistics.rejects == ["truncated": 1])
        #expect(result.statistics.sentences == 1)
    }

    @Test func twoSentencesOnOneLineAreBothRead() {
        let gga = sentence("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")
        let result = decode(Self.rmc + gga + "\n")
        #expect(result.statistics.sentences == 2)
        #expect(result.fixes.first?.altitudeMSL == 545.4)
    }

    @Test func garbageBeforeASentenceNeedsAChecksum() {
        let result = decode("gps: $GPGLL,4916.45,N,12311.12,W,225444,A\nnoise %% " + Self.rmc + "\n")
        #expect(result.statistics.rejects == ["garbage_before_sentence": 1])
        #expect(result.statistics.sentences == 1)
    }

    @Test func strictFramingRequiresChecksumsAndRejectsDoubledDollar() {
        let text = "$GPGLL,4916.45,N,12311.12,W,225444,A\n$" + Self.rmc + "\n"
        #expect(decode(text).statistics.sentences == 2)
        let strict = decode(text, options: .strictFraming)
        #expect(strict.statistics.rejects == ["missing_checksum": 1, "malformed_address": 1])
        #expect(strict.statistics.sentences == 0)
    }

    @Test func rejectsSentencesLongerThanTheLimit() {
        let long = sentence("GPTXT,01,01,02," + String(repeating: "x", count: 300))
        let result = decode(long + "\n")
        #expect(result.statistics.rejects == ["too_long": 1])
        let roomy = decode(long + "\n", options: DecoderOptions(maximumSentenceLength: 400))
        #expect(roomy.statistics.sentences == 1)
    }

    @Test func aLineLongerThan4KiBIsOneRejectEvenAcrossChunks() {
        let junk = String(repeating: "A", count: 10_000)
        for chunk in [nil, 1000, 7] as [Int?] {
            let result = decode(junk + "\n" + Self.rmc + "\n", chunk: chunk)
            #expect(result.statistics.rejects == ["too_long": 1], "chunk \(String(describing: chunk))")
            #expect(result.statistics.lines == 2)
            #expect(result.fixes.count == 1)
        }
    }

    @Test func chunkBoundariesDoNotChangeTheResult() {
        let text = """
            $GPRMC,225446,A,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E*68
            $GPGGA,225446,4916.45,N,12311.12,W,1,08,0.9,545.4,M,46.9,M,,*41
            359853000144328,$GPRMC,225447,A,4916.46,N,12311.12,W,000.5,054.7,191194,020.3,E*63

            """
        let whole = decode(text)
        for chunk in 1...9 {
            let split = decode(text, chunk: chunk)
            #expect(split.fixes == whole.fixes, "chunk \(chunk)")
            #expect(split.statistics == whole.statistics, "chunk \(chunk)")
        }
    }

    @Test func unknownAndIgnoredAndProprietaryAreCountedApart() {
        let text = [
            sentence("GPZZZ,1,2"), sentence("GPXTE,A,A,0.67,L,N"), sentence("PGRME,15.0,M,45.0,M,25.0,M"),
            sentence("CCGPQ,GGA"),
        ].joined(separator: "\n")
        let result = decode(text)
        #expect(result.statistics.unknown == 1)
        #expect(result.statistics.ignored == 2)
        #expect(result.statistics.proprietary == 1)
        #expect(result.statistics.sentences == 3)
    }

    @Test func fieldErrorsNameTheField() throws {
        #expect(throws: SentenceError.badField(sentence: .rmc, field: 3)) {
            try ParsedSentence.parse(sentence("GPRMC,123519,A,48O7.038,N,01131.000,E,,,230394,,"))
        }
        #expect(throws: SentenceError.badField(sentence: .gga, field: 4)) {
            try ParsedSentence.parse(sentence("GPGGA,123519,4807.038,N,18131.000,E,1,08,0.9,545.4,M,46.9,M,,"))
        }
        #expect(throws: SentenceError.tooFewFields(sentence: .rmc, count: 4)) {
            try ParsedSentence.parse(sentence("GPRMC,123519,A,4807.038,N"))
        }
        #expect(throws: SentenceError.badField(sentence: .gsv, field: 2)) {
            try ParsedSentence.parse(sentence("GPGSV,3,4,11,01,02,003,04"))
        }
        #expect(throws: SentenceError.badField(sentence: .rmc, field: 1)) {
            try ParsedSentence.parse(sentence("GPRMC,256000,A,4807.038,N,01131.000,E,,,230394,,"))
        }
        #expect(throws: SentenceError.badField(sentence: .rmc, field: 9)) {
            try ParsedSentence.parse(sentence("GPRMC,123519,A,4807.038,N,01131.000,E,,,310294,,"))
        }
    }

    @Test func aLineWithoutASentenceIsCounted() {
        let result = decode("hello world\n\u{1}\u{2}\u{3}\n")
        #expect(result.statistics.rejects == ["no_sentence_start": 2])
        #expect(result.statistics.lines == 2)
    }

    @Test func bytesAboveASCIIAreRejected() {
        let result = decode("$GPTXT,01,01,02,\u{00E9}t\u{00E9}*00\n")
        #expect(result.statistics.rejects == ["invalid_character": 1])
    }

    @Test func commentLinesAreSkipped() {
        let result = decode("# Name: test capture\n" + Self.rmc + "\n")
        #expect(result.statistics.comments == 1)
        #expect(result.statistics.rejects.isEmpty)
    }
}
