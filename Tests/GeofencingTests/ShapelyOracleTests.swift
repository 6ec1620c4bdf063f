import Foundation
import Geodesy
import Geofencing
import OrbitaModel
import OrbitaTesting
import Testing

/// Random polygons with holes and corridors in several UTM zones, and points across them (many within 1 mm of an
/// edge, and every vertex), checked against shapely/GEOS: containment with the boundary included (`covers`) and the
/// distance to the boundary.
@Suite(
    "geofencing against shapely",
    .enabled(
        if: PythonOracle.unavailable(modules: ["shapely", "numpy"]) == nil,
        "python3 lacks shapely/numpy (`make test-deps` installs them)"))
struct ShapelyOracleTests {
    struct Case {
        var shape: PlanarShape
        /// An index holding the shape first (its answers must equal the shape's).
        var index: FenceIndex?
        var json: [String: Any]
        var points: [PlanarPoint]
    }

    /// Centres in UTM zones 37N (Moscow), 35N (St Petersburg), 44N (Novosibirsk), 33N (Europe), 36S (Africa).
    static let centres = [
        Coordinate(latitude: 55.75, longitude: 37.62), Coordinate(latitude: 59.94, longitude: 30.31),
        Coordinate(latitude: 55.03, longitude: 82.92), Coordinate(latitude: 52.52, longitude: 13.40),
        Coordinate(latitude: -1.29, longitude: 36.82),
    ]

    static func star(around centre: PlanarPoint, radius: Double, vertices: Int, _ rng: inout SeededGenerator)
        -> [PlanarPoint]
    {
        (0..<vertices).map { index in
            let angle = 2 * Double.pi * (Double(index) + Double.random(in: 0..<0.6, using: &rng)) / Double(vertices)
            let r = radius * Double.random(in: 0.55...1, using: &rng)
            return PlanarPoint(x: centre.x + r * cos(angle), y: centre.y + r * sin(angle))
        }
    }

    /// Points: uniform over the box, 1 mm either side of random edges, and the vertices themselves.
    static func points(box: Box, edges: [(PlanarPoint, PlanarPoint)], count: Int, _ rng: inout SeededGenerator)
        -> [PlanarPoint]
    {
        var points: [PlanarPoint] = []
        for _ in 0..<(count * 3 / 4) {
            points.append(
                PlanarPoint(
                    x: Double.random(in: box.minX...box.maxX, using: &rng),
                    y: Double.random(in: box.minY...box.maxY, using: &rng)))
        }
        while points.count < count {
            let (a, b) = edges[Int.random(in: 0..<edges.count, using: &rng)]
            let t = Double.random(in: 0.01...0.99, using: &rng)
            let length = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
            guard length > 0.01 else { continue }
            let offset = Bool.random(using: &rng) ? 0.001 : -0.001  // 1 mm left or right of the edge
            points.append(
                PlanarPoint(
                    x: a.x + t * (b.x - a.x) - offset * (b.y - a.y) / length,
                    y: a.y + t * (b.y - a.y) + offset * (b.x - a.x) / length))
        }
        return points
    }

    static func cases() throws -> [Case] {
        var rng = SeededGenerator(seed: 2026)
        var cases: [Case] = []
        for centre in centres {
            let frame = try LocalFrame.utm(around: centre)
            let middle = try frame.project(centre)
            // Two polygons with holes (a multipolygon) of 60–200 vertices, a few hundred metres across.
            var rings: [[[PlanarPoint]]] = []
            for offset in [-400.0, 400.0] {
                let c = PlanarPoint(x: middle.x + offset, y: middle.y + offset / 3)
                let outer = star(around: c, radius: 350, vertices: Int.random(in: 60...200, using: &rng), &rng)
                let hole1 = star(
                    around: PlanarPoint(x: c.x - 80, y: c.y), radius: 60, vertices: 12, &rng
                ).reversed()
                let hole2 = star(around: PlanarPoint(x: c.x + 90, y: c.y + 40), radius: 50, vertices: 40, &rng)
                rings.append([outer, Array(hole1), hole2])
            }
            let polygons = rings.map { Polygon(outer: Ring($0[0]), holes: $0.dropFirst().map { Ring($0) }) }
            let shape = PlanarShape.polygons(polygons)
            var edges: [(PlanarPoint, PlanarPoint)] = []
            var vertices: [PlanarPoint] = []
            for polygon in rings {
                for ring in polygon {
                    vertices += ring
                    for index in ring.indices { edges.append((ring[index], ring[(index + 1) % ring.count])) }
                }
            }
            var points = Self.points(box: shape.box.expanded(by: 50), edges: edges, count: 20_000, &rng)
            points += vertices
            cases.append(
                Case(
                    shape: shape, index: FenceIndex(shapes: [shape]),
                    json: [
                        "kind": "polygons",
                        "polygons": rings.map { $0.map { ring in ring.map { [$0.x, $0.y] } } },
                        "points": points.map { [$0.x, $0.y] },
                    ], points: points))
            // A simple polygon (one ring, no holes), decided through the index's discs and packed rings, next to a
            // circle: the index must agree with shapely as the shapes themselves do.
            let simpleRing = star(around: middle, radius: 300, vertices: 150, &rng)
            let simple = PlanarShape.polygons([Polygon(outer: Ring(simpleRing))])
            let simpleEdges = simpleRing.indices.map { (simpleRing[$0], simpleRing[($0 + 1) % simpleRing.count]) }
            let simplePoints =
                Self.points(box: simple.box.expanded(by: 30), edges: simpleEdges, count: 10_000, &rng)
                + simpleRing
            cases.append(
                Case(
                    shape: simple, index: FenceIndex(shapes: [simple, .circle(center: middle, radius: 120)]),
                    json: [
                        "kind": "polygons", "polygons": [[simpleRing.map { [$0.x, $0.y] }]],
                        "points": simplePoints.map { [$0.x, $0.y] },
                    ], points: simplePoints))
            // A corridor: a 3 km random walk with 150 vertices, half-width 25–100 m.
            var line = [middle]
            var heading = Double.random(in: 0..<(2 * .pi), using: &rng)
            for _ in 0..<150 {
                heading += Double.random(in: -0.5...0.5, using: &rng)
                let last = line[line.count - 1]
                line.append(PlanarPoint(x: last.x + 20 * cos(heading), y: last.y + 20 * sin(heading)))
            }
            let halfWidth = Double.random(in: 25...100, using: &rng)
            let corridor = PlanarShape.corridor(Polyline(line), halfWidth: halfWidth)
            // Near-boundary points of a corridor: 1 mm either side of the line offset by the half-width.
            var near: [(PlanarPoint, PlanarPoint)] = []
            for index in 0..<(line.count - 1) {
                let a = line[index]
                let b = line[index + 1]
                let length = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
                let nx = -(b.y - a.y) / length * halfWidth
                let ny = (b.x - a.x) / length * halfWidth
                near.append((PlanarPoint(x: a.x + nx, y: a.y + ny), PlanarPoint(x: b.x + nx, y: b.y + ny)))
            }
            let corridorPoints = Self.points(box: corridor.box.expanded(by: 50), edges: near, count: 5_000, &rng)
            cases.append(
                Case(
                    shape: corridor, index: nil,
                    json: [
                        "kind": "corridor", "line": line.map { [$0.x, $0.y] }, "halfWidth": halfWidth,
                        "points": corridorPoints.map { [$0.x, $0.y] },
                    ], points: corridorPoints))
        }
        return cases
    }

    @Test func containmentAndDistanceAgreeWithShapely() throws {
        if let reason = PythonOracle.unavailable(modules: ["shapely", "numpy"]) {
            print("skipped: \(reason)")
            return
        }
        let cases = try Self.cases()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("orbita-oracle-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let input = folder.appendingPathComponent("cases.json")
        let output = folder.appendingPathComponent("oracle.txt")
        try JSONSerialization.data(withJSONObject: cases.map(\.json)).write(to: input)
        let script = Corpus.projectRoot.appendingPathComponent("Tests/GeofencingTests/shapely_oracle.py").path
        let result = try PythonOracle.run([script, input.path, output.path])
        try #require(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
        let total = cases.reduce(0) { $0 + $1.points.count }
        try #require(lines.count == total)
        #expect(total >= 100_000)
        var line = 0
        var containmentDisagreements = 0
        var indexDisagreements = 0
        var worstDistance = 0.0
        var inside = 0
        for testCase in cases {
            for point in testCase.points {
                let fields = lines[line].split(separator: " ")
                line += 1
                let covers = fields[0] == "1"
                let distance = Double(fields[1])!
                let contains = testCase.shape.contains(point)
                if contains != covers { containmentDisagreements += 1 }
                if let index = testCase.index, index.contains(0, point) != covers { indexDisagreements += 1 }
                if contains { inside += 1 }
                let ours: Double
                switch testCase.shape {
                case .corridor(let polyline, _): ours = polyline.project(point)?.distance ?? .infinity
                default: ours = abs(testCase.shape.signedDistance(point, limit: 1e9))
                }
                worstDistance = max(worstDistance, abs(ours - distance))
            }
        }
        #expect(containmentDisagreements == 0, "\(containmentDisagreements) of \(total) points disagree")
        #expect(indexDisagreements == 0, "\(indexDisagreements) points: the index disagrees")
        #expect(worstDistance < 1e-6, "worst distance difference \(worstDistance) m")
        // The data exercise both answers.
        #expect(inside > total / 10 && inside < total * 9 / 10)
    }
}
