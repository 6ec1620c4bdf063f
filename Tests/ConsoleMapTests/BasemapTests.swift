import OrbitaModel
import Testing

@testable import ConsoleMap

/// The built-in basemap and how places and levels of detail are drawn (issue 13.3).
@Suite("built-in basemap, places, level of detail")
struct BasemapTests {
    /// 20 × 10 cells centred on (0, 0), 10 m a dot.
    let view = MapViewport(center: PlanarPoint(x: 0, y: 0), metresPerDot: 10, columns: 20, rows: 10)

    @Test func theBuiltInBasemapDecodesEveryLayer() throws {
        let features = DefaultBasemap.features
        for kind in DefaultBasemap.Kind.allCases {
            #expect(features.contains { $0.kind == kind }, "\(kind)")
        }
        #expect(features.allSatisfy { $0.kind == .place ? $0.coordinates.count == 1 : $0.coordinates.count >= 2 })
        // Moscow is where it is (1e-3° rounding) and shown from country zoom on.
        let moscow = try #require(features.first { $0.kind == .place && $0.name == "Moscow" })
        #expect(
            abs(moscow.coordinates[0].latitude - 55.75) < 0.02 && abs(moscow.coordinates[0].longitude - 37.62) < 0.02)
        #expect(moscow.maximumMetresPerDot > 50_000)
        // Inside the 1:10m box a small town is known too (the 1:50m layer alone lacks it).
        #expect(features.contains { $0.kind == .place && $0.name == "Solnechnogorsk" })
        // The box query keeps what has a vertex in it.
        let around = DefaultBasemap.features(south: 55, west: 37, north: 56.5, east: 38.5)
        #expect(around.contains { $0.name == "Moscow" } && !around.contains { $0.name == "Berlin" })
        #expect(around.contains { $0.kind == .river })
    }

    @Test func garbageDecodesToNothing() {
        #expect(DefaultBasemap.decode("not base64 at all!").isEmpty)
        #expect(DefaultBasemap.decode("T0JNMQ==").isEmpty)  // "OBM1" and no count
    }

    @Test func placesAreLabelledWhereTheyFitAndAtTheirZoom() {
        var scene = MapScene()
        scene.vehicles = [MapVehicle(id: "BUS1", label: "BUS1", point: PlanarPoint(x: 0, y: 0), state: .stopped)]
        scene.places = [
            MapPlace(point: PlanarPoint(x: 0, y: -100), name: "Town"),  // cell (10, 7): free
            MapPlace(point: PlanarPoint(x: 0, y: 0), name: "Hidden"),  // under the vehicle: left out
            MapPlace(point: PlanarPoint(x: -150, y: -100), name: "Far", maximumMetresPerDot: 5),  // too far out
        ]
        let grid = MapRenderer.render(scene, viewport: view)
        let rows = grid.lines
        #expect(rows[7].contains("•Town"), "\(rows.joined(separator: "\n"))")
        #expect(!rows.joined().contains("Hidden") && !rows.joined().contains("Far"))
        #expect(rows[5].contains("■BUS1"), "the vehicle's own label comes first")
        #expect(!MapRenderer.render(scene, viewport: view, labels: false).lines.joined().contains("Town"))
    }

    @Test func linesAreLeftOutBeyondTheirLevelOfDetail() {
        let river = MapLine(
            points: [PlanarPoint(x: -100, y: 0), PlanarPoint(x: 100, y: 0)], colour: 24, maximumMetresPerDot: 5)
        let coast = MapLine(points: [PlanarPoint(x: -100, y: 20), PlanarPoint(x: 100, y: 20)], colour: 31)
        let simplifier = MapSimplifier([river, coast])
        #expect(simplifier.lines(metresPerDot: 10).map(\.colour) == [31])
        #expect(simplifier.lines(metresPerDot: 2).map(\.colour) == [24, 31])
    }
}
