/// How large and detailed geofences may be: checked when a fence is added (`orbita geofence add`, `PUT
/// /api/geofences/{name}`) and when a server or an import loads stored fences (a fence over the limits is reported and
/// skipped; the others keep working).
///
/// A vertex costs about 80 bytes once indexed (its coordinates, the packed copy the index reads, at most four band
/// entries), so the defaults bound the fence index near 8 MB per fence and 160 MB in all.
public struct GeofenceLimits: Sendable, Hashable {
    /// The most vertices one fence may have (all its rings, or its corridor line).
    public var maximumVerticesPerFence: Int
    /// The most vertices all fences together may have.
    public var maximumTotalVertices: Int

    /// Default per-fence vertex budget: a detailed city or region boundary fits.
    public static let defaultVerticesPerFence = 100_000
    /// Default total vertex budget.
    public static let defaultTotalVertices = 2_000_000
    /// Circle radii and corridor half-widths accepted, metres.
    public static let radiusRange: ClosedRange<Double> = 1...1_000_000
    /// The most edge pairs the self-intersection check may compare per vertex before it gives up on a ring as too
    /// intricate to check (a shape no fleet draws; simplify it).
    public static let comparisonsPerVertex = 256

    /// Creates limits.
    public init(
        maximumVerticesPerFence: Int = Self.defaultVerticesPerFence,
        maximumTotalVertices: Int = Self.defaultTotalVertices
    ) {
        self.maximumVerticesPerFence = maximumVerticesPerFence
        self.maximumTotalVertices = maximumTotalVertices
    }
}

extension GeofenceLimits {
    /// What is wrong with adding (or replacing) `fence` next to the stored `fences`, or nil when it may be saved.
    public func problem(adding fence: Geofence, to fences: [Geofence]) -> GeofenceProblem? {
        if let problem = fence.shape.problem(limits: self) { return problem }
        let total = fences.reduce(fence.shape.vertexCount) { $1.name == fence.name ? $0 : $0 + $1.shape.vertexCount }
        return total > maximumTotalVertices ? .totalVerticesExceeded(total: total, limit: maximumTotalVertices) : nil
    }
}

/// What is wrong with a geofence's shape or size.
public enum GeofenceProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// More vertices than one fence may have.
    case tooManyVertices(count: Int, limit: Int)
    /// Adding it would take all fences over the total vertex budget.
    case totalVerticesExceeded(total: Int, limit: Int)
    /// A coordinate is not a finite latitude/longitude.
    case coordinateOutOfRange(Coordinate)
    /// A radius or half-width outside `GeofenceLimits.radiusRange`.
    case radiusOutOfRange(Double)
    /// A ring with fewer than three distinct vertices, or a line with fewer than two.
    case tooFewVertices(ring: Int, count: Int)
    /// A ring that encloses nothing (all its vertices on one line).
    case zeroArea(ring: Int)
    /// Edges of a polygon's rings cross or touch (a bow-tie, a ring touching itself, a hole crossing its ring).
    case selfIntersection(ring: Int, near: Coordinate)
    /// A hole that is not inside its polygon's outer ring.
    case holeOutsideOuterRing(ring: Int)
    /// The self-intersection check would compare more edge pairs than its budget.
    case tooIntricate(ring: Int)

    /// One line for an operator.
    public var description: String {
        switch self {
        case .tooManyVertices(let count, let limit):
            "\(count) vertices, more than the \(limit) one geofence may have (simplify it, or raise the limit)"
        case .totalVerticesExceeded(let total, let limit):
            "all geofences would have \(total) vertices, more than the total budget of \(limit)"
        case .coordinateOutOfRange(let c):
            "coordinate \(c.longitude),\(c.latitude) is not a longitude in -180…180 and a latitude in -90…90"
        case .radiusOutOfRange(let value):
            "radius or half-width \(value) m is outside \(Int(GeofenceLimits.radiusRange.lowerBound))"
                + "…\(Int(GeofenceLimits.radiusRange.upperBound)) m"
        case .tooFewVertices(let ring, let count):
            "ring \(ring) has \(count) distinct vertices (a ring needs 3, a line 2)"
        case .zeroArea(let ring): "ring \(ring) encloses no area (its vertices are on one line)"
        case .selfIntersection(let ring, let near):
            "ring \(ring) crosses or touches itself or another ring near \(near.longitude),\(near.latitude)"
        case .holeOutsideOuterRing(let ring): "hole (ring \(ring)) is not inside its polygon's outer ring"
        case .tooIntricate(let ring):
            "ring \(ring) is too intricate to check for self-intersection (simplify it)"
        }
    }
}

extension GeoShape {
    /// Vertices the shape holds (the centre of a circle counts as one).
    public var vertexCount: Int {
        switch self {
        case .polygons(let polygons): polygons.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
        case .circle: 1
        case .corridor(let line, _): line.count
        }
    }

    /// The first thing wrong with the shape, or nil when it is a valid fence within the per-fence limit. Rings are
    /// numbered from 0 across all polygons, in order. Polygons are checked on the longitude/latitude plane, as
    /// GeoJSON draws them: rings must not cross or touch (themselves or each other), holes must lie inside their
    /// outer ring; overlapping polygons of a MultiPolygon are allowed (membership is their union).
    public func problem(limits: GeofenceLimits = GeofenceLimits()) -> GeofenceProblem? {
        let count = vertexCount
        if count > limits.maximumVerticesPerFence {
            return .tooManyVertices(count: count, limit: limits.maximumVerticesPerFence)
        }
        for c in coordinates where !(abs(c.latitude) <= 90 && abs(c.longitude) <= 180) {
            return .coordinateOutOfRange(c)
        }
        switch self {
        case .circle(_, let radius):
            return GeofenceLimits.radiusRange.contains(radius) ? nil : .radiusOutOfRange(radius)
        case .corridor(let line, let halfWidth):
            guard GeofenceLimits.radiusRange.contains(halfWidth) else { return .radiusOutOfRange(halfWidth) }
            let distinct = Set(line).count
            return distinct >= 2 ? nil : .tooFewVertices(ring: 0, count: distinct)
        case .polygons(let polygons):
            var ringNumber = 0
            for polygon in polygons {
                var rings: [[PlanePoint]] = []
                for ring in polygon {
                    let points = PlaneRing.points(ring)
                    if Set(points).count < 3 { return .tooFewVertices(ring: ringNumber, count: Set(points).count) }
                    rings.append(points)
                    ringNumber += 1
                }
                let first = ringNumber - rings.count
                if let problem = PlaneRing.intersection(rings, firstRing: first) { return problem }
                for (offset, ring) in rings.enumerated() where PlaneRing.isFlat(ring) {
                    return .zeroArea(ring: first + offset)
                }
                // No edges cross, so each hole is wholly inside or wholly outside: one vertex decides.
                for (offset, hole) in rings.enumerated().dropFirst()
                where !PlaneRing.contains(rings[0], hole[0]) {
                    return .holeOutsideOuterRing(ring: first + offset)
                }
            }
            return nil
        }
    }
}

/// A point of the longitude/latitude plane.
struct PlanePoint: Hashable {
    var x: Double
    var y: Double
}

/// Planar checks on rings of longitude/latitude.
enum PlaneRing {
    /// The ring's vertices without consecutive repeats or a closing vertex.
    static func points(_ ring: [Coordinate]) -> [PlanePoint] {
        var points: [PlanePoint] = []
        points.reserveCapacity(ring.count)
        for c in ring {
            let p = PlanePoint(x: c.longitude, y: c.latitude)
            if points.last != p { points.append(p) }
        }
        if points.count > 1, points.first == points.last { points.removeLast() }
        return points
    }

    /// Twice the signed area (shoelace, about the first vertex so that large coordinates do not cancel).
    static func area(_ points: [PlanePoint]) -> Double {
        let o = points[0]
        var sum = 0.0
        var a = points[points.count - 1]
        for b in points {
            sum += (a.x - o.x) * (b.y - o.y) - (b.x - o.x) * (a.y - o.y)
            a = b
        }
        return sum
    }

    /// Whether a ring encloses no area to within rounding: its area is below 10⁻¹² of its perimeter squared (a
    /// sliver that thin is 4 µm wide per 4,000 km of length).
    static func isFlat(_ points: [PlanePoint]) -> Bool {
        var perimeter = 0.0
        var a = points[points.count - 1]
        for b in points {
            perimeter += ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
            a = b
        }
        return abs(area(points)) / 2 <= 1e-12 * perimeter * perimeter
    }

    @inline(__always)
    static func orientation(_ a: PlanePoint, _ b: PlanePoint, _ c: PlanePoint) -> Double {
        (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
    }

    /// Whether a point is inside a ring or on it (crossing rule).
    static func contains(_ ring: [PlanePoint], _ p: PlanePoint) -> Bool {
        var inside = false
        var a = ring[ring.count - 1]
        for b in ring {
            if (a.y > p.y) != (b.y > p.y) {
                let side = orientation(a, b, p)
                if side == 0 { return true }
                if (b.y > p.y) == (side > 0) { inside.toggle() }
            } else if orientation(a, b, p) == 0, p.x >= min(a.x, b.x), p.x <= max(a.x, b.x),
                p.y >= min(a.y, b.y), p.y <= max(a.y, b.y)
            {
                return true
            }
            a = b
        }
        return inside
    }

    /// An edge of the rings: ring number, index of its first vertex, and its ends.
    struct Edge {
        var ring: Int32
        var index: Int32
        var a: PlanePoint
        var b: PlanePoint

        /// The edge's extent along an axis: x, y, or the diagonals x + y and x − y.
        @inline(__always)
        func extent(_ axis: Int) -> (Double, Double) {
            let (u, v) =
                switch axis {
                case 0: (a.x, b.x)
                case 1: (a.y, b.y)
                case 2: (a.x + a.y, b.x + b.y)
                default: (a.x - a.y, b.x - b.y)
                }
            return (min(u, v), max(u, v))
        }
    }

    /// The first crossing or touching of edges among a polygon's rings. The edges are split recursively at the
    /// median of the axis (x, y or a diagonal) that separates them best (an edge straddling the split goes to both halves) until a group
    /// is small or no split separates it; pairs are compared within groups. `tooIntricate` when the comparisons
    /// (and copies) would exceed `GeofenceLimits.comparisonsPerVertex` per vertex.
    static func intersection(_ rings: [[PlanePoint]], firstRing: Int) -> GeofenceProblem? {
        let total = rings.reduce(0) { $0 + $1.count }
        var edges: [Edge] = []
        edges.reserveCapacity(total)
        for (r, ring) in rings.enumerated() {
            for i in ring.indices {
                let a = ring[i]
                let b = ring[i + 1 == ring.count ? 0 : i + 1]
                edges.append(Edge(ring: Int32(r), index: Int32(i), a: a, b: b))
            }
        }
        var budget = GeofenceLimits.comparisonsPerVertex * total + 100_000
        var pending = [edges]
        while let group = pending.popLast() {
            if group.count > 8, let (low, high) = split(group), low.count + high.count < group.count * 3 / 2 {
                budget -= low.count + high.count
                if budget < 0 { return .tooIntricate(ring: firstRing) }
                pending.append(low)
                pending.append(high)
                continue
            }
            budget -= group.count * (group.count - 1) / 2
            if budget < 0 { return .tooIntricate(ring: firstRing) }
            for i in group.indices {
                for j in group.indices where j > i {
                    if let near = meet(group[i], group[j], rings) {
                        return .selfIntersection(
                            ring: firstRing + Int(group[i].ring), near: Coordinate(latitude: near.y, longitude: near.x))
                    }
                }
            }
        }
        return nil
    }

    /// Splits edges at the median centre along x, y or a diagonal, whichever leaves fewer edges in both halves.
    static func split(_ edges: [Edge]) -> ([Edge], [Edge])? {
        var best: ([Edge], [Edge])?
        for axis in 0..<4 {
            var centres = edges.map { edge in
                let (low, high) = edge.extent(axis)
                return low + high
            }
            centres.sort()
            let cut = centres[centres.count / 2] / 2
            var low: [Edge] = []
            var high: [Edge] = []
            for edge in edges {
                let (a, b) = edge.extent(axis)
                if a <= cut { low.append(edge) }
                if b >= cut { high.append(edge) }
            }
            guard low.count < edges.count, high.count < edges.count else { continue }
            if low.count + high.count < best.map({ $0.0.count + $0.1.count }) ?? .max { best = (low, high) }
        }
        return best
    }

    /// Where two edges meet in a way a valid ring does not allow, or nil: any common point of non-adjacent edges,
    /// and for adjacent edges of a ring (which share a vertex) a fold back along each other.
    static func meet(_ e: Edge, _ f: Edge, _ rings: [[PlanePoint]]) -> PlanePoint? {
        let ring = rings[Int(e.ring)]
        func ends(_ edge: Edge) -> (PlanePoint, PlanePoint) {
            let points = rings[Int(edge.ring)]
            let i = Int(edge.index)
            return (points[i], points[i + 1 == points.count ? 0 : i + 1])
        }
        let (a, b) = ends(e)
        let (c, d) = ends(f)
        guard max(a.x, b.x) >= min(c.x, d.x), max(c.x, d.x) >= min(a.x, b.x), max(a.y, b.y) >= min(c.y, d.y),
            max(c.y, d.y) >= min(a.y, b.y)
        else { return nil }
        if e.ring == f.ring {
            let n = ring.count
            let i = Int(e.index)
            let j = Int(f.index)
            // Adjacent: e ends where f starts, or f ends where e starts.
            let shared: PlanePoint?
            let (p, q): (PlanePoint, PlanePoint)
            if (i + 1) % n == j {
                shared = b
                (p, q) = (a, d)
            } else if (j + 1) % n == i {
                shared = a
                (p, q) = (b, c)
            } else {
                shared = nil
                (p, q) = (a, a)
            }
            if let shared {
                // The two other ends on one line through the shared vertex, on the same side of it: a fold.
                let folded =
                    orientation(shared, p, q) == 0
                    && (p.x - shared.x) * (q.x - shared.x) + (p.y - shared.y) * (q.y - shared.y) > 0
                return folded ? shared : nil
            }
        }
        let d1 = orientation(c, d, a)
        let d2 = orientation(c, d, b)
        let d3 = orientation(a, b, c)
        let d4 = orientation(a, b, d)
        if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
            let t = d1 / (d1 - d2)
            return PlanePoint(x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y))
        }
        func on(_ p: PlanePoint, _ s: PlanePoint, _ t: PlanePoint) -> Bool {
            p.x >= min(s.x, t.x) && p.x <= max(s.x, t.x) && p.y >= min(s.y, t.y) && p.y <= max(s.y, t.y)
        }
        if d1 == 0 && on(a, c, d) { return a }
        if d2 == 0 && on(b, c, d) { return b }
        if d3 == 0 && on(c, a, b) { return c }
        if d4 == 0 && on(d, a, b) { return d }
        return nil
    }
}
