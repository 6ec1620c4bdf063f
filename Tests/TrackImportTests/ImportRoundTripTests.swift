import FleetTracking
import Foundation
import GPX
import Geodesy
import NMEA
import OrbitaModel
import OrbitaTesting
import OrbitaWire
import Storage
import Testing
import TrackImport
import Tracking

/// The real drives and GPX tracks of ../shared/corpus, imported and exported again.
@Suite("import round trip", .enabled(if: Corpus.isPresent, "../shared/corpus absent"))
struct ImportRoundTripTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let file: String
        /// pyproj `Geod(ellps='WGS84')`: sum of `inv()` over consecutive points of the stored track, recorded
        /// 2026-11-26 from `orbita track NAME --format csv` after `orbita import` (re-record if pipeline rules change).
        let pyprojMeters: Double
        var testDescription: String { file }
        var name: String { TrackImporter.vehicleName(forFile: file) }
    }

    static let cases = [
        Case(file: "nmea-real/GENIVI-positioning__20100403_Z205_Switzerland.txt", pyprojMeters: 242_904.361),
        Case(file: "nmea-real/GENIVI-positioning__20100411_Geko_Regensburg.txt", pyprojMeters: 18_021.278),
        Case(file: "nmea-real/Leaflet.NMEALayer__test.nmea", pyprojMeters: 2_341.111),
        Case(file: "nmea-real/dotMorten-NmeaParser__NmeaSampleData.txt", pyprojMeters: 137_557.236),
        Case(file: "nmea-real/dotMorten-NmeaParser__TrimbleR2SampleData.txt", pyprojMeters: 8.478),
        Case(file: "gpx/gpsbabel__f90g-sample.gpx", pyprojMeters: 6_731.684),
        Case(file: "gpx/gpsbabel__sbn-v13.gpx", pyprojMeters: 36_167.015),
        Case(file: "gpx/gpsbabel__vpl_reference.gpx", pyprojMeters: 14_509.789),
        Case(file: "gpx/gpxpy__around-visnjan-with-car.gpx", pyprojMeters: 2_725.942),
    ]

    /// The decoder's own fixes with a position, by time: what import must store, minus its reported drops.
    static func decodedFixes(_ path: String) -> [Int64: Fix] {
        var fixes: [Fix] = []
        if path.hasSuffix(".gpx") {
            fixes = GPXReader().read(Data(Corpus.bytes(URL(fileURLWithPath: path)))).fixes
        } else {
            let decoder = NMEADecoder()
            decoder.decode(Corpus.bytes(URL(fileURLWithPath: path))) { fixes.append($0) }
            decoder.finish { fixes.append($0) }
        }
        var byTime: [Int64: Fix] = [:]
        for fix in fixes { if let instant = fix.time?.instant { byTime[instant.microsecondsSinceEpoch] = fix } }
        return byTime
    }

    @Test("imports, exports and re-imports", arguments: cases)
    func roundTrip(_ item: Case) throws {
        let path = Corpus.url(item.file).path
        let store = try SQLiteTrackStore()
        let importer = TrackImporter(store: store)
        let report = try importer.importFile(path)
        #expect(report.error == nil)
        let counts = try #require(importer.vehicles[item.name])
        let dropped = counts.dropped.values.reduce(0, +)
        #expect(counts.stored + dropped == counts.decoded)
        #expect(counts.duplicates == 0)

        let track = try store.track(vehicleID: item.name, from: nil, to: nil)
        #expect(track.count == counts.stored)
        let decoded = Self.decodedFixes(path)
        var held = 0
        for point in track {
            let source = try #require(decoded[point.time.microsecondsSinceEpoch], "\(point.time.iso8601) not decoded")
            if point.flags.contains(.held) {
                held += 1
            } else {
                #expect(point.coordinate.latitude == source.latitude)
                #expect(point.coordinate.longitude == source.longitude)
            }
        }
        #expect(held == counts.held)

        // Distances: the stored odometer against pyproj (recorded) and against PROJ's geodesic on the same points.
        let summary = try #require(try store.summaries().first { $0.vehicle.id == item.name })
        #expect(abs(summary.distanceMeters - item.pyprojMeters) <= 0.001 * item.pyprojMeters + 0.01)
        let geodesic = zip(track, track.dropFirst()).reduce(0.0) {
            $0 + Geodesic.wgs84.distance(from: $1.0.coordinate, to: $1.1.coordinate)
        }
        #expect(abs(summary.distanceMeters - geodesic) <= 1e-6 * geodesic + 1e-6)

        // GeoJSON: lon, lat order; one LineString and one Point per fix.
        let vehicle = try #require(try store.vehicle(id: item.name))
        let json = TrackDocument.render(track, vehicle: vehicle, format: .geojson)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let features = try #require(document["features"] as? [[String: Any]])
        #expect(features.count == track.count + 1)
        let line = try #require((features[0]["geometry"] as? [String: Any])?["coordinates"] as? [[Double]])
        #expect(line.count == track.count)
        #expect(abs(line[0][0] - track[0].coordinate.longitude) < 1e-9)
        #expect(abs(line[0][1] - track[0].coordinate.latitude) < 1e-9)

        // GPX export, imported again into an empty store, gives the same track.
        let gpx = TrackDocument.render(track, vehicle: vehicle, format: .gpx)
        let gpxPath = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).gpx").path
        try gpx.write(toFile: gpxPath, atomically: true, encoding: .utf8)
        let again = try SQLiteTrackStore()
        let reimporter = TrackImporter(store: again)
        try reimporter.importFile(gpxPath, vehicle: item.name)
        let second = try again.track(vehicleID: item.name, from: nil, to: nil)
        #expect(second.count == track.count)
        for (a, b) in zip(track, second) {
            #expect(a.time == b.time)
            #expect(abs(a.coordinate.latitude - b.coordinate.latitude) < 1e-9)
            #expect(abs(a.coordinate.longitude - b.coordinate.longitude) < 1e-9)
        }
    }

    @Test func importingTheSameFileAgainAddsNothing() throws {
        let path = Corpus.url("gpx/gpsbabel__vpl_reference.gpx").path
        let store = try SQLiteTrackStore()
        let first = TrackImporter(store: store)
        try first.importFile(path, vehicle: "car")
        let stored = try store.track(vehicleID: "car", from: nil, to: nil).count
        let second = TrackImporter(store: store)
        try second.importFile(path, vehicle: "car")
        #expect(second.vehicles["car"]?.stored == 0)
        #expect(try store.track(vehicleID: "car", from: nil, to: nil).count == stored)
        let summary = try #require(try store.summaries().first)
        #expect(abs(summary.distanceMeters - 14_509.789) < 0.01)  // the odometer did not grow
    }

    @Test func aBrokenGPXIsReportedByLineAndTheRestIsKept() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).gpx").path
        try """
        <?xml version="1.0"?>
        <gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>
        <trkpt lat="55.75" lon="37.61"><time>2024-06-09T08:00:00Z</time></trkpt>
        <trkpt lat="55.7501" lon="37.6101"><time>2024-06-09T08:00:01Z</time></trkpt>
        <trkpt lat="55.75
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let store = try SQLiteTrackStore()
        let importer = TrackImporter(store: store)
        let report = try importer.importFile(path, vehicle: "v")
        #expect(report.format == "gpx")
        #expect(report.error?.hasPrefix("line ") == true)
        #expect(try store.track(vehicleID: "v", from: nil, to: nil).count == 2)
    }
}
