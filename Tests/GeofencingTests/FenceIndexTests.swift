import Foundation
import Geofencing
import OrbitaModel
import OrbitaTesting
import Testing

/// The index decides candidates in batches (discs, then raster words and band ranges, then edges); its answers must
/// equal each shape's own test, also when one cell holds more open candidates than a batch.
struct FenceIndexTests {
    /// A star polygon with `vertices` corners between 0.5 and 1 of `radius` from `centre`.
    static func star(_ centre: PlanarPoint, radius: Double, vertices: Int, _ rng: inout SeededGenerator) -> Ring {
        Ring(
            (0..<vertices).map { index in
                let angle = 2 * Double.pi * Double(index) / Double(vertices)
                let r = radius * Double.random(in: 0.5...1, using: &rng)
                return PlanarPoint(x: centre.x + r * cos(angle), y: centre.y + r * sin(angle))
            })
    }

    @Test func crowdedCellsAnswerAsEachShapeDoes() {
        var rng = SeededGenerator(seed: 44)
        var shapes: [PlanarShape] = []
        // 150 fences piled on a 600 m square (every cell holds dozens): banded rings (> 32 vertices), small rings,
        // polygons with holes, circles, corridors, and one large fence kept on the index's large list.
        for index in 0..<150 {
            let centre = PlanarPoint(
                x: Double.random(in: 0...600, using: &rng), y: Double.random(in: 0...600, using: &rng))
            let radius = Double.random(in: 150...400, using: &rng)
            switch index % 5 {
            case 0, 1:
                shapes.append(.polygons([Polygon(outer: Self.star(centre, radius: radius, vertices: 120, &rng))]))
            case 2:
                shapes.append(.polygons([Polygon(outer: Self.star(centre, radius: radius, vertices: 12, &rng))]))
            case 3:
                let hole = Ring(Self.star(centre, radius: radius * 0.3, vertices: 40, &rng).points.reversed())
                shapes.append(
                    .polygons([Polygon(outer: Self.star(centre, radius: radius, vertices: 80, &rng), holes: [hole])]))
            default:
                shapes.append(
                    index % 10 == 4
                        ? .circle(center: centre, radius: radius)
                        : .corridor(
                            Polyline([centre, PlanarPoint(x: centre.x + radius, y: centre.y + radius / 2)]),
                            halfWidth: 30))
            }
        }
        shapes.append(
            .polygons([Polygon(outer: Self.star(PlanarPoint(x: 300, y: 300), radius: 5_000, vertices: 60, &rng))]))
        let index = FenceIndex(shapes: shapes)
        var points = (0..<20_000).map { _ in
            PlanarPoint(
                x: Double.random(in: -500...1_100, using: &rng), y: Double.random(in: -500...1_100, using: &rng))
        }
        for case .polygons(let polygons) in shapes { points += polygons[0].outer.points.prefix(20) }
        var pairs = 0
        var mismatches = 0
        var crowded = 0
        for point in points {
            let expected = shapes.indices.filter { shapes[$0].contains(point) }
            let found = index.containing(point)
            pairs += found.count
            if found != expected { mismatches += 1 }
            if expected.count > 32 { crowded += 1 }
        }
        #expect(mismatches == 0)
        #expect(crowded > 100, "too few points where one cell holds more open fences than a batch: \(crowded)")
        #expect(pairs > 100_000)
    }
}
