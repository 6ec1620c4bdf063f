import Foundation
import FoundationXML
import OrbitaModel
import OrbitaWire
import Testing

/// `orbita track`'s documents: each format read back by an independent reader gives the points written, and the
/// writer hands its output out in bounded pieces.
struct TrackDocumentTests {
    /// Random points with every optional value present or absent, across the antimeridian and both hemispheres.
    static func points(_ count: Int, seed: UInt64 = 3) -> [TrackPoint] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { index in
            let r = Double.random(in: -1...1, using: &random)
            return TrackPoint(
                vehicleID: "V",
                time: UTCInstant(microsecondsSinceEpoch: 1_700_000_000_000_000 + Int64(index) * 1_001_000),
                coordinate: Coordinate(latitude: r * 89, longitude: -179.5 + Double(index % 3600) * 0.1),
                altitudeMSL: index % 3 == 0 ? nil : r * 1000, speedMetersPerSecond: index % 4 == 0 ? nil : abs(r) * 40,
                courseDegrees: index % 5 == 0 ? nil : abs(r) * 359,
                mode: index % 2 == 0 ? .threeDimensional : .twoDimensional,
                hdop: index % 6 == 0 ? nil : abs(r) * 5, satellitesUsed: index % 7 == 0 ? nil : index % 30,
                flags: FixFlags(rawValue: index % 4), segmentMeters: index % 8 == 0 ? nil : abs(r) * 100)
        }
    }

    static let vehicle = Vehicle(id: "BUS-7", name: "Bus \"7\" <north> & \u{1B}[31mred")

    @Test func geoJSONReadsBackAsTheTrack() throws {
        let points = Self.points(2_000)
        let text = TrackDocument.render(points, vehicle: Self.vehicle, format: .geojson)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let features = try #require(document["features"] as? [[String: Any]])
        #expect(features.count == points.count + 1)
        let line = try #require(features[0]["geometry"] as? [String: Any])
        let coordinates = try #require(line["coordinates"] as? [[Double]])
        let properties = try #require(features[0]["properties"] as? [String: Any])
        #expect(properties["name"] as? String == "Bus \"7\" <north> & \u{1B}[31mred")
        #expect(properties["fixes"] as? Int == points.count)
        let distance = points.compactMap(\.segmentMeters).reduce(0, +)
        #expect(abs((properties["distanceMeters"] as? Double ?? 0) - distance) < 0.001)
        for (index, point) in points.enumerated() {
            #expect(abs(coordinates[index][0] - point.coordinate.longitude) < 1e-9)
            #expect(abs(coordinates[index][1] - point.coordinate.latitude) < 1e-9)
            let feature = try #require(features[index + 1]["properties"] as? [String: Any])
            #expect(feature["time"] as? String == point.time.iso8601)
            #expect(
                (feature["speed"] as? Double).map { abs($0 - point.speedMetersPerSecond!) < 0.0006 }
                    ?? (point.speedMetersPerSecond == nil))
            #expect(
                (feature["altitude"] as? Double).map { abs($0 - point.altitudeMSL!) < 0.0006 }
                    ?? (point.altitudeMSL == nil))
            #expect(feature["flags"] as? Int == (point.flags.isEmpty ? nil : point.flags.rawValue))
        }
        #expect(!text.unicodeScalars.contains("\u{1B}"), "the escape reaches the output only as \\u001b")
    }

    @Test func csvHasAHeaderAndOneRowPerFix() {
        let points = Self.points(500)
        let lines = TrackDocument.render(points, vehicle: Self.vehicle, format: .csv).split(separator: "\n")
        #expect(lines.first == "time,lat,lon,altitude_m,speed_mps,course_deg,hdop,sats,flags")
        #expect(lines.count == points.count + 1)
        for (line, point) in zip(lines.dropFirst(), points) {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(cells.count == 9)
            #expect(cells[0] == point.time.iso8601)
            #expect(abs(Double(cells[1])! - point.coordinate.latitude) < 1e-9)
            #expect(abs(Double(cells[2])! - point.coordinate.longitude) < 1e-9)
            #expect(cells[3].isEmpty == (point.altitudeMSL == nil))
            #expect(cells[7] == (point.satellitesUsed.map(String.init) ?? ""))
            #expect(cells[8] == String(point.flags.rawValue))
        }
    }

    /// GPX read by Foundation's XML parser: every point with its coordinates and time, the name escaped.
    @Test func gpxIsWellFormedAndHoldsEveryPoint() throws {
        final class Reader: NSObject, XMLParserDelegate {
            var points: [(lat: Double, lon: Double)] = []
            var times: [String] = []
            var name = ""
            var text = ""
            func parser(
                _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]
            ) {
                text = ""
                if element == "trkpt" { points.append((Double(attributes["lat"]!)!, Double(attributes["lon"]!)!)) }
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
            func parser(
                _ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?
            ) {
                if element == "time" { times.append(text) }
                if element == "name" { name = text }
            }
        }
        let points = Self.points(800)
        let parser = XMLParser(data: Data(TrackDocument.render(points, vehicle: Self.vehicle, format: .gpx).utf8))
        let reader = Reader()
        parser.delegate = reader
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(reader.points.count == points.count)
        #expect(reader.times == points.map(\.time.iso8601))
        #expect(reader.name.hasPrefix("Bus \"7\" <north> & "))
        for (read, point) in zip(reader.points, points) {
            #expect(
                abs(read.lat - point.coordinate.latitude) < 1e-9 && abs(read.lon - point.coordinate.longitude) < 1e-9)
        }
    }

    /// A long track is handed out in pieces of about 64 KiB, which together are the whole document.
    @Test(arguments: TrackDocument.Format.allCases)
    func theOutputComesInBoundedPieces(format: TrackDocument.Format) {
        let points = Self.points(20_000)
        var pieces: [[UInt8]] = []
        TrackDocument.write(points, vehicle: Self.vehicle, format: format) { pieces.append($0) }
        #expect(pieces.count > 10)
        #expect(pieces.allSatisfy { $0.count < 70_000 })
        #expect(
            String(decoding: pieces.joined(), as: UTF8.self)
                == TrackDocument.render(points, vehicle: Self.vehicle, format: format))
    }
}
