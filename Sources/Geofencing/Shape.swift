public import OrbitaModel

/// A polygon with holes, in metres.
public struct Polygon: Sendable {
    /// The outer ring.
    public let outer: Ring
    /// Holes.
    public let holes: [Ring]

    /// Creates a polygon.
    public init(outer: Ring, holes: [Ring] = []) {
        self.outer = outer
        self.holes = holes
    }

    /// Where a point is: inside the outer ring and not strictly inside a hole. Hole edges are the polygon's boundary.
    public func locate(_ p: PlanarPoint) -> Ring.Location {
        let location = outer.locate(p)
        guard location == .inside else { return location }
        for hole in holes {
            switch hole.locate(p) {
            case .inside: return .outside
            case .boundary: return .boundary
            case .outside: continue
            }
        }
        return .inside
    }

    /// Distance to the nearest edge (outer or hole), capped at `limit`.
    public func boundaryDistance(_ p: PlanarPoint, limit: Double) -> Double {
        var best = outer.boundaryDistance(p, limit: limit)
        for hole in holes { best = min(best, hole.boundaryDistance(p, limit: best)) }
        return best
    }
}

/// A geofence's shape on the plane of a local metric frame.
///
/// Boundary rule: shapes are closed sets. A point on an edge or vertex of a polygon (outer ring or hole), exactly at
/// the radius of a circle, or exactly at the half-width of a corridor is inside. "On an edge" means the orientation
/// test against the edge is exactly zero in floating point within the edge's extent; a point 1 mm off an edge is
/// decided by the side it is on.
public enum PlanarShape: Sendable {
    /// Polygons with holes (a multipolygon when more than one).
    case polygons([Polygon])
    /// A disc.
    case circle(center: PlanarPoint, radius: Double)
    /// Everything within `halfWidth` of a polyline.
    case corridor(Polyline, halfWidth: Double)

    /// The bounding box.
    public var box: Box {
        switch self {
        case .polygons(let polygons):
            polygons.dropFirst().reduce(polygons.first?.outer.box ?? Box(around: [])) { $0.union($1.outer.box) }
        case .circle(let center, let radius):
            Box(minX: center.x - radius, minY: center.y - radius, maxX: center.x + radius, maxY: center.y + radius)
        case .corridor(let line, let halfWidth): line.box.expanded(by: halfWidth)
        }
    }

    /// Whether the shape holds a point (boundary included).
    @inline(__always)
    public func contains(_ p: PlanarPoint) -> Bool {
        switch self {
        case .polygons(let polygons):
            for polygon in polygons where polygon.locate(p) != .outside { return true }
            return false
        case .circle(let center, let radius):
            let dx = p.x - center.x
            let dy = p.y - center.y
            return dx * dx + dy * dy <= radius * radius
        case .corridor(let line, let halfWidth):
            return line.project(p, radius: halfWidth) != nil
        }
    }

    /// How far inside (negative) or outside (positive) the boundary a point is, with magnitude capped at `limit`
    /// (exact below it). Used for the hysteresis margin.
    public func signedDistance(_ p: PlanarPoint, limit: Double) -> Double {
        switch self {
        case .polygons(let polygons):
            var inside = false
            var nearest = limit
            for polygon in polygons {
                if polygon.locate(p) != .outside { inside = true }
                nearest = min(nearest, polygon.boundaryDistance(p, limit: nearest))
            }
            return inside ? -nearest : nearest
        case .circle(let center, let radius):
            return max(-limit, min(limit, center.distance(to: p) - radius))
        case .corridor(let line, let halfWidth):
            let distance = line.project(p, radius: halfWidth + limit)?.distance ?? (halfWidth + limit)
            return max(-limit, min(limit, distance - halfWidth))
        }
    }

    /// The first parameter t (0…1) at which the segment a→b is in the shape, or nil when it never is.
    /// For corridors the parameter of the segment's closest approach is returned when that is within the half-width.
    public func firstEntry(from a: PlanarPoint, to b: PlanarPoint) -> Double? {
        if contains(a) { return 0 }
        switch self {
        case .polygons(let polygons):
            var first: Double?
            for polygon in polygons {
                for ring in [polygon.outer] + polygon.holes {
                    if let t = ring.firstIntersection(a, b) { first = min(first ?? t, t) }
                }
            }
            return first
        case .circle(let center, let radius):
            // |a + t(b − a) − c|² = r², smallest root in 0…1.
            let dx = b.x - a.x
            let dy = b.y - a.y
            let fx = a.x - center.x
            let fy = a.y - center.y
            let qa = dx * dx + dy * dy
            guard qa > 0 else { return nil }
            let qb = 2 * (fx * dx + fy * dy)
            let qc = fx * fx + fy * fy - radius * radius
            let discriminant = qb * qb - 4 * qa * qc
            guard discriminant >= 0 else { return nil }
            let t = (-qb - discriminant.squareRoot()) / (2 * qa)
            return t >= 0 && t <= 1 ? t : nil
        case .corridor(let line, let halfWidth):
            // Sample the segment at most every half-width: a corridor is crossed only if some sample is inside.
            let length = a.distance(to: b)
            let steps = max(1, min(10_000, Int((length / max(1, halfWidth)).rounded(.up))))
            for step in 1...steps {
                let t = Double(step) / Double(steps)
                let p = PlanarPoint(x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y))
                if line.project(p, radius: halfWidth) != nil { return t }
            }
            return nil
        }
    }
}
