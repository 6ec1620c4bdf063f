import OrbitaModel
import Testing

/// What a geofence may be: valid geometry within the vertex budgets, with a message that says what is wrong.
struct GeofenceRulesTests {
    static func ring(_ pairs: [(Double, Double)]) -> [Coordinate] {
        pairs.map { Coordinate(latitude: $0.1, longitude: $0.0) }
    }

    static let square = ring([(37.60, 55.70), (37.70, 55.70), (37.70, 55.80), (37.60, 55.80), (37.60, 55.70)])

    @Test func validShapesPass() {
        let hole = Self.ring([(37.62, 55.72), (37.62, 55.75), (37.65, 55.75), (37.65, 55.72)])
        #expect(GeoShape.polygons([[Self.square]]).problem() == nil)
        #expect(GeoShape.polygons([[Self.square, hole]]).problem() == nil)
        #expect(GeoShape.circle(center: Self.square[0], radiusMeters: 500).problem() == nil)
        #expect(GeoShape.corridor(line: Array(Self.square.prefix(3)), halfWidthMeters: 30).problem() == nil)
        // A comb of 20,000 vertices is valid (and within the per-fence budget).
        var comb = (0..<20_000).map { i in
            Coordinate(latitude: i % 2 == 0 ? 55.76 : 55.7401, longitude: 37.6 + Double(i) * 0.04 / 20_000)
        }
        comb += [Coordinate(latitude: 55.74, longitude: 37.64), Coordinate(latitude: 55.74, longitude: 37.6)]
        #expect(GeoShape.polygons([[comb]]).problem() == nil)
    }

    @Test func invalidGeometryIsNamed() {
        let bowTie = Self.ring([(37.60, 55.70), (37.70, 55.80), (37.70, 55.70), (37.60, 55.80)])
        guard case .selfIntersection(ring: 0, _) = GeoShape.polygons([[bowTie]]).problem() else {
            Issue.record("a bow-tie passed: \(String(describing: GeoShape.polygons([[bowTie]]).problem()))")
            return
        }
        let a = (37.60, 55.70)
        let b = (37.70, 55.80)
        #expect(GeoShape.polygons([[Self.ring([a, a, b, a])]]).problem() == .tooFewVertices(ring: 0, count: 2))
        let flat = Self.ring([(37.60, 55.70), (37.65, 55.75), (37.70, 55.80)])
        #expect(GeoShape.polygons([[flat]]).problem() == .zeroArea(ring: 0))
        let outside = Self.ring([(38.0, 56.0), (38.0, 56.1), (38.1, 56.1), (38.1, 56.0)])
        #expect(GeoShape.polygons([[Self.square, outside]]).problem() == .holeOutsideOuterRing(ring: 1))
        let crossing = Self.ring([(37.65, 55.75), (37.65, 55.90), (37.66, 55.90), (37.66, 55.75)])
        #expect(GeoShape.polygons([[Self.square, crossing]]).problem()?.description.contains("crosses") == true)
        // A spike that folds back along itself.
        let spike = Self.ring([(37.60, 55.70), (37.70, 55.70), (37.80, 55.70), (37.70, 55.70), (37.70, 55.80)])
        #expect(GeoShape.polygons([[spike]]).problem() != nil)
        for radius in [1e300, 1e-300, 0, -5, .nan, .infinity] {
            #expect(
                GeoShape.circle(center: Self.square[0], radiusMeters: radius).problem() == .radiusOutOfRange(radius)
                    || radius.isNaN)
            #expect(GeoShape.corridor(line: Array(Self.square.prefix(2)), halfWidthMeters: radius).problem() != nil)
        }
        let far = Coordinate(latitude: 91, longitude: 0)
        #expect(GeoShape.circle(center: far, radiusMeters: 10).problem() == .coordinateOutOfRange(far))
    }

    @Test func vertexBudgetsAreEnforced() {
        let limits = GeofenceLimits(maximumVerticesPerFence: 4, maximumTotalVertices: 10)
        let big = GeoShape.polygons([[Self.square + Self.square.prefix(1)]])
        #expect(big.problem(limits: limits) == .tooManyVertices(count: 6, limit: 4))
        #expect(big.problem(limits: limits)?.description.contains("more than the 4 one geofence may have") == true)
        let small = GeoShape.polygons([[Array(Self.square.prefix(4))]])
        let stored = [Geofence(name: "a", shape: small), Geofence(name: "b", shape: small)]
        #expect(
            limits.problem(adding: Geofence(name: "c", shape: small), to: stored)
                == .totalVerticesExceeded(
                    total: 12, limit: 10))
        // Replacing a stored fence counts it once.
        #expect(limits.problem(adding: Geofence(name: "b", shape: small), to: stored) == nil)
    }
}
