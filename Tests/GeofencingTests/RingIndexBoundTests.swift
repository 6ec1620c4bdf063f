import Foundation
import Geofencing
import OrbitaModel
import OrbitaTesting
import Testing

/// A ring's band index is bounded by its vertex count for any shape (a comb's teeth used to be listed in every one of
/// thousands of bands: 6.65 GB for 20,000 vertices), and answers as the plain crossing test does.
struct RingIndexBoundTests {
    /// A comb: `teeth` × 2 vertices along the top, teeth reaching almost to the base (`vertical`), or the same comb
    /// turned on its side.
    static func comb(_ vertices: Int, sideways: Bool = false) -> [PlanarPoint] {
        var points = (0..<vertices).map { i in
            PlanarPoint(x: Double(i) * 4_000 / Double(vertices), y: i % 2 == 0 ? 2_000 : 1)
        }
        points += [PlanarPoint(x: 4_000, y: 0), PlanarPoint(x: 0, y: 0)]
        return sideways ? points.map { PlanarPoint(x: $0.y, y: $0.x) } : points
    }

    /// A circle of `vertices` whose radius jitters by ±`jitter` of itself at every vertex.
    static func jitteredCircle(_ vertices: Int, jitter: Double, _ rng: inout SeededGenerator) -> [PlanarPoint] {
        (0..<vertices).map { i in
            let angle = 2 * Double.pi * Double(i) / Double(vertices)
            let r = 1_000 * (1 + Double.random(in: -jitter...jitter, using: &rng))
            return PlanarPoint(x: r * cos(angle), y: r * sin(angle))
        }
    }

    /// The crossing rule over every edge, for points off the boundary.
    static func bruteForceInside(_ points: [PlanarPoint], _ p: PlanarPoint) -> Bool {
        var inside = false
        var a = points[points.count - 1]
        for b in points {
            if (a.y > p.y) != (b.y > p.y) {
                let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y)
                if p.x < x { inside.toggle() }
            }
            a = b
        }
        return inside
    }

    /// Bytes of index per vertex stay under 4 entries and one band start (20 bytes), and sampled points agree with
    /// the plain test.
    func check(_ points: [PlanarPoint], samples: Int, _ rng: inout SeededGenerator) {
        let ring = Ring(points)
        #expect(
            ring.indexBytes <= 20 * points.count + 4,
            "\(points.count) vertices: \(ring.indexBytes) index bytes (\(ring.indexBytes / points.count) a vertex)")
        let box = ring.box
        var disagreements = 0
        for _ in 0..<samples {
            let p = PlanarPoint(
                x: Double.random(in: box.minX - 10...box.maxX + 10, using: &rng),
                y: Double.random(in: box.minY - 10...box.maxY + 10, using: &rng))
            let location = ring.locate(p)
            guard location != .boundary else { continue }
            if (location == .inside) != Self.bruteForceInside(points, p) { disagreements += 1 }
        }
        #expect(disagreements == 0, "\(disagreements) of \(samples) points answered unlike the plain test")
        // Every vertex is on the boundary.
        for vertex in points.prefix(200) { #expect(ring.locate(vertex) == .boundary) }
    }

    @Test func combsUprightAndSidewaysStayLinear() {
        var rng = SeededGenerator(seed: 7)
        for vertices in [2_000, 20_000, 100_000] {
            check(Self.comb(vertices), samples: 2_000, &rng)
            check(Self.comb(vertices, sideways: true), samples: 2_000, &rng)
        }
    }

    @Test func jitteredCirclesAndStarsStayLinear() {
        var rng = SeededGenerator(seed: 8)
        for (vertices, jitter) in [(10_000, 0.01), (100_000, 0.05), (100_000, 0.3)] {
            check(Self.jitteredCircle(vertices, jitter: jitter, &rng), samples: 2_000, &rng)
        }
        for vertices in [1_000, 50_000] {
            let star = (0..<vertices).map { i in
                let angle = 2 * Double.pi * Double(i) / Double(vertices)
                let r = 1_000 * Double.random(in: 0.05...1, using: &rng)
                return PlanarPoint(x: r * cos(angle), y: r * sin(angle))
            }
            check(star, samples: 2_000, &rng)
        }
    }

    /// The packed copy the fence index reads answers as the ring does, for bands along either axis.
    @Test func theFenceIndexAgreesOnCombs() {
        var rng = SeededGenerator(seed: 9)
        let shapes: [PlanarShape] = [
            .polygons([Polygon(outer: Ring(Self.comb(5_000)))]),
            .polygons([Polygon(outer: Ring(Self.comb(5_000, sideways: true)))]),
        ]
        let index = FenceIndex(shapes: shapes)
        var mismatches = 0
        for _ in 0..<20_000 {
            let p = PlanarPoint(
                x: Double.random(in: -100...4_100, using: &rng), y: Double.random(in: -100...4_100, using: &rng))
            let expected = shapes.indices.filter { shapes[$0].contains(p) }
            if index.containing(p) != expected { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
}
