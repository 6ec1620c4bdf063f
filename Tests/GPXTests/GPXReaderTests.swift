import Foundation
import GPX
import OrbitaModel
import OrbitaTesting
import Testing

@Suite("GPX")
struct GPXReaderTests {
    @Test func parsesISO8601WithFractionsAndOffsets() {
        #expect(ISO8601.parse("2010-02-01T12:31:38.545Z")?.iso8601 == "2010-02-01T12:31:38.545Z")
        #expect(ISO8601.parse("2024-06-09T11:00:00+03:00")?.iso8601 == "2024-06-09T08:00:00.000Z")
        #expect(ISO8601.parse("2024-06-09T08:00:00-05:30")?.iso8601 == "2024-06-09T13:30:00.000Z")
        #expect(ISO8601.parse("2024-06-09T08:00:00") != nil)  // no zone: read as UTC
        #expect(ISO8601.parse("2024-02-30T08:00:00Z") == nil)
        #expect(ISO8601.parse("yesterday") == nil)
        #expect(ISO8601.parse("2024-06-09T08:00:00Zjunk") == nil)
    }

    @Test func readsPointsWithEveryFieldAndSkipsTheDocumentTime() throws {
        let gpx = """
            <?xml version="1.0"?>
            <gpx version="1.0" xmlns="http://www.topografix.com/GPX/1/0"><time>1970-01-01T00:00:00Z</time>
            <trk><trkseg>
            <trkpt lat="52.0" lon="4.3"><ele>-1.5</ele><time>2010-02-01T12:31:38.545Z</time><course>90.5</course>
            <speed>12.25</speed><fix>dgps</fix><sat>9</sat><hdop>0.8</hdop></trkpt>
            <trkpt lat="52.1" lon="4.4"><time>2010-02-01T12:31:39Z</time><fix>none</fix></trkpt>
            <trkpt lat="x" lon="4.4"><time>2010-02-01T12:31:40Z</time></trkpt>
            </trkseg></trk><wpt lat="1" lon="2"><name>no time</name></wpt></gpx>
            """
        let result = GPXReader().read(Data(gpx.utf8))
        #expect(result.error == nil)
        #expect(result.badPoints == 1)
        #expect(result.fixes.count == 2)
        let first = try #require(result.fixes.first)
        #expect(first.latitude == 52.0 && first.longitude == 4.3)
        #expect(first.altitudeMSL == -1.5)
        #expect(first.courseDegrees == 90.5 && first.speedMetersPerSecond == 12.25)
        #expect(first.mode == .threeDimensional && first.quality == .differential)
        #expect(first.satellitesUsed == 9 && first.hdop == 0.8)
        #expect(result.fixes[1].mode == .noFix)
    }

    @Test(
        "reads the corpus files", .enabled(if: Corpus.isPresent, "../shared/corpus absent"),
        arguments: [
            ("gpxpy__around-visnjan-with-car.gpx", 104, 0), ("gpsbabel__sbn-v13.gpx", 3453, 89),
            ("gpsbabel__vpl_reference.gpx", 500, 0), ("gpsbabel__f90g-sample.gpx", 299, 0),
        ])
    func readsTheCorpus(file: String, points: Int, withoutFix: Int) {
        let result = GPXReader().read(Data(Corpus.bytes(Corpus.url("gpx/\(file)"))))
        #expect(result.error == nil)
        #expect(result.fixes.count == points)
        #expect(result.fixes.filter { $0.mode == .noFix }.count == withoutFix)
        #expect(result.fixes.allSatisfy { $0.time?.instant != nil })
    }
}
