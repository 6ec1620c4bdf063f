import Foundation
import OrbitaModel
import Testing

@testable import GeoJSON

@Suite("GeoJSON and GTFS")
struct GeoJSONTests {
    func data(_ text: String) -> Data { Data(text.utf8) }

    @Test func polygonsWithHolesAndMultipolygonsBecomeOneShape() throws {
        let shape = try GeoJSON.shape(
            in: data(
                """
                {"type":"FeatureCollection","features":[
                  {"type":"Feature","properties":{"name":"a"},"geometry":{"type":"Polygon","coordinates":[
                    [[37.5,55.7],[37.6,55.7],[37.6,55.8],[37.5,55.8],[37.5,55.7]],
                    [[37.54,55.74],[37.56,55.74],[37.56,55.76],[37.54,55.74]]]}},
                  {"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":[
                    [[[30.0,59.9],[30.1,59.9],[30.1,60.0]]]]}},
                  {"type":"Feature","properties":{"name":"label"},"geometry":{"type":"Point","coordinates":[37.55,55.75]}}
                ]}
                """))
        guard case .polygons(let polygons) = shape else {
            Issue.record("not polygons: \(shape)")
            return
        }
        #expect(polygons.count == 2)
        #expect(polygons[0].count == 2)  // outer ring and a hole
        #expect(polygons[0][0].count == 4)  // the closing position is dropped
        #expect(polygons[0][0][0] == Coordinate(latitude: 55.7, longitude: 37.5))  // longitude first in GeoJSON
        #expect(polygons[1][0].count == 3)
    }

    @Test func circlesAndCorridorsTravelAsPointsAndLinesWithProperties() throws {
        let circle = GeoShape.circle(center: Coordinate(latitude: 55.75, longitude: 37.62), radiusMeters: 250)
        let corridor = GeoShape.corridor(
            line: [Coordinate(latitude: 55.7, longitude: 37.5), Coordinate(latitude: 55.8, longitude: 37.6)],
            halfWidthMeters: 35)
        let square = GeoShape.polygons([
            [
                [
                    Coordinate(latitude: 1, longitude: 2), Coordinate(latitude: 1, longitude: 3),
                    Coordinate(latitude: 2, longitude: 3),
                ]
            ]
        ])
        for shape in [circle, corridor, square] {
            let text = GeoJSON.text(GeoJSON.feature(shape, properties: ["name": "x"]))
            #expect(try GeoJSON.shape(in: data(text)) == shape, "\(text)")
        }
        // A LineString without a width is a corridor only with a default half-width.
        let line = #"{"type":"LineString","coordinates":[[37.5,55.7],[37.6,55.8]]}"#
        #expect(throws: GeoJSON.ParseError.self) { try GeoJSON.shape(in: data(line)) }
        #expect(
            try GeoJSON.shape(in: data(line), defaultHalfWidth: 20)
                == .corridor(
                    line: [Coordinate(latitude: 55.7, longitude: 37.5), Coordinate(latitude: 55.8, longitude: 37.6)],
                    halfWidthMeters: 20))
    }

    @Test func badDocumentsAreClearErrors() {
        let cases: [(String, String)] = [
            ("{ nope", "not JSON"),
            (#"{"features":[]}"#, "\"type\""),
            (#"{"type":"Point","coordinates":[37.6,55.7]}"#, "radius_m"),
            (#"{"type":"Polygon","coordinates":[[[55.7,137.6],[55.8,37.6],[55.9,37.7]]]}"#, "longitude first"),
            (#"{"type":"Polygon","coordinates":[[[37.6,55.7],[37.7,55.7]]]}"#, "three distinct"),
            (#"{"type":"Polygon","coordinates":[[[37.6,55.7],[37.7,55.7],[37.7,null]]]}"#, "[longitude, latitude]"),
            (#"{"type":"TIN","coordinates":[]}"#, "unsupported geometry type"),
            (#"{"type":"FeatureCollection","features":[]}"#, "no geometry"),
        ]
        for (text, message) in cases {
            do {
                _ = try GeoJSON.shape(in: data(text))
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.description.contains(message), "\(text): \(error)")
            }
        }
    }

    @Test func routeLinesAndCheckpoints() throws {
        let line = try GeoJSON.routeLine(
            in: data(
                #"{"type":"MultiLineString","coordinates":[[[37.5,55.7],[37.6,55.7]],[[37.6,55.7],[37.7,55.8]]]}"#))
        #expect(line.count == 3)  // joined, the shared point once
        #expect(throws: GeoJSON.ParseError.self) {
            try GeoJSON.routeLine(in: data(#"{"type":"Point","coordinates":[37.5,55.7]}"#))
        }
        // Integer coordinates are numbers, booleans are not.
        #expect(try GeoJSON.routeLine(in: data(#"{"type":"LineString","coordinates":[[0,1],[1,0]]}"#)).count == 2)
        #expect(throws: GeoJSON.ParseError.self) {
            try GeoJSON.routeLine(in: data(#"{"type":"LineString","coordinates":[[true,1],[1,0]]}"#))
        }
        let stops = try GeoJSON.checkpoints(
            in: data(
                """
                {"type":"FeatureCollection","features":[
                 {"type":"Feature","properties":{"name":"Lubyanka","radius_m":40},"geometry":{"type":"Point","coordinates":[37.627,55.759]}},
                 {"type":"Feature","properties":{"stop_name":"Kitay-gorod"},"geometry":{"type":"Point","coordinates":[37.632,55.755]}},
                 {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[37.64,55.75]}}]}
                """))
        #expect(stops.map(\.name) == ["Lubyanka", "Kitay-gorod", "#3"])
        #expect(stops.map(\.radiusMeters) == [40, 30, 30])
    }

    @Test func mutatedDocumentsParseOrFailCleanly() throws {
        // A small fuzz: byte flips, truncations and insertions of valid documents never crash the reader; every
        // outcome is a shape or a ParseError.
        let seeds = [
            #"{"type":"Feature","properties":{"radius_m":120},"geometry":{"type":"Point","coordinates":[37.6,55.7]}}"#,
            #"{"type":"MultiPolygon","coordinates":[[[[37.5,55.7],[37.6,55.7],[37.6,55.8]],[[37.55,55.72],[37.56,55.72],[37.56,55.73]]]]}"#,
            #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"corridor_m":"25"},"geometry":{"type":"LineString","coordinates":[[0,1],[1,0]]}}]}"#,
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let alphabet = Array(#"{}[]",:.-0123456789eE truefalsnul"#.utf8)
        var parsed = 0
        var refused = 0
        for _ in 0..<20_000 {
            var bytes = Array(seeds[next(seeds.count)].utf8)
            for _ in 0...next(4) {
                switch next(3) {
                case 0 where !bytes.isEmpty: bytes[next(bytes.count)] = alphabet[next(alphabet.count)]
                case 1 where !bytes.isEmpty: bytes.removeSubrange(next(bytes.count)...)
                default: bytes.insert(alphabet[next(alphabet.count)], at: next(bytes.count + 1))
                }
            }
            do {
                _ = try GeoJSON.shape(in: Data(bytes), defaultHalfWidth: next(2) == 0 ? 10 : nil)
                parsed += 1
            } catch {
                refused += 1
            }
        }
        #expect(parsed + refused == 20_000)
        #expect(parsed > 0 && refused > 0)
    }

    @Test func gtfsShapesAreReadInSequenceOrderWithQuotedFields() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("orbita-gtfs-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
        \u{FEFF}shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence,shape_dist_traveled\r
        "A,1",55.70,37.50,2,\r
        "A,1",55.60,37.40,1,\r
        B,49.8,24.0,0,0.0\r
        """.write(to: folder.appendingPathComponent("shapes.txt"), atomically: true, encoding: .utf8)
        let shapes = try GTFS.shapes(inFeed: folder.path)
        #expect(
            shapes["A,1"] == [Coordinate(latitude: 55.6, longitude: 37.4), Coordinate(latitude: 55.7, longitude: 37.5)])
        #expect(shapes["B"]?.count == 1)
        // A stray quote inside an unquoted field is text, not the start of a quoted run that swallows rows.
        #expect(GTFS.parseCSV("a,b\"c,d\ne,f,g\n") == [["a", "b\"c", "d"], ["e", "f", "g"]])
        try "shape_id,shape_pt_lat\nA,north\n".write(
            to: folder.appendingPathComponent("shapes.txt"), atomically: true, encoding: .utf8)
        #expect(throws: GTFS.ReadError.self) { try GTFS.shapes(inFeed: folder.path) }
    }
}
