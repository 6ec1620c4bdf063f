public import OrbitaModel

/// An axis-aligned rectangle in metres.
public struct Box: Sendable, Hashable {
    /// Smallest x.
    public var minX: Double
    /// Smallest y.
    public var minY: Double
    /// Largest x.
    public var maxX: Double
    /// Largest y.
    public var maxY: Double

    /// Creates a box from its corners.
    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    /// The smallest box around points (an empty, inverted box for none).
    public init(around points: some Sequence<PlanarPoint>) {
        var box = Box(minX: .infinity, minY: .infinity, maxX: -.infinity, maxY: -.infinity)
        for point in points {
            box.minX = min(box.minX, point.x)
            box.minY = min(box.minY, point.y)
            box.maxX = max(box.maxX, point.x)
            box.maxY = max(box.maxY, point.y)
        }
        self = box
    }

    /// Whether a point is inside or on the edge.
    @inline(__always)
    public func contains(_ point: PlanarPoint) -> Bool {
        point.x >= minX && point.x <= maxX && point.y >= minY && point.y <= maxY
    }

    /// Whether two boxes share any point.
    @inline(__always)
    public func intersects(_ other: Box) -> Bool {
        other.minX <= maxX && other.maxX >= minX && other.minY <= maxY && other.maxY >= minY
    }

    /// The box grown by a margin on every side.
    public func expanded(by margin: Double) -> Box {
        Box(minX: minX - margin, minY: minY - margin, maxX: maxX + margin, maxY: maxY + margin)
    }

    /// The smallest box holding both.
    public func union(_ other: Box) -> Box {
        Box(
            minX: min(minX, other.minX), minY: min(minY, other.minY), maxX: max(maxX, other.maxX),
            maxY: max(maxY, other.maxY))
    }
}

/// Planar vector helpers.
enum Planar {
    /// The z component of (b − a) × (p − a): > 0 when p is left of a→b, 0 on its line.
    @inline(__always)
    static func orientation(_ a: PlanarPoint, _ b: PlanarPoint, _ p: PlanarPoint) -> Double {
        (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)
    }

    /// Squared distance from p to the segment a–b, and the parameter (0…1) of the closest point.
    @inline(__always)
    static func segmentDistanceSquared(_ p: PlanarPoint, _ a: PlanarPoint, _ b: PlanarPoint) -> (
        distanceSquared: Double, t: Double
    ) {
        let dx = b.x - a.x
        let dy = b.y - a.y
        let lengthSquared = dx * dx + dy * dy
        var t = 0.0
        if lengthSquared > 0 {
            t = ((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSquared
            t = min(1, max(0, t))
        }
        let cx = a.x + t * dx - p.x
        let cy = a.y + t * dy - p.y
        return (cx * cx + cy * cy, t)
    }

    /// Where segments p→q and a→b intersect, as the parameter along p→q (nil when they do not; collinear overlaps give
    /// the first shared point).
    static func intersection(_ p: PlanarPoint, _ q: PlanarPoint, _ a: PlanarPoint, _ b: PlanarPoint) -> Double? {
        let rx = q.x - p.x
        let ry = q.y - p.y
        let sx = b.x - a.x
        let sy = b.y - a.y
        let denominator = rx * sy - ry * sx
        let apx = a.x - p.x
        let apy = a.y - p.y
        if denominator == 0 {
            // Parallel: intersecting only when collinear and overlapping.
            guard apx * ry - apy * rx == 0 else { return nil }
            let rr = rx * rx + ry * ry
            guard rr > 0 else { return nil }
            let t0 = (apx * rx + apy * ry) / rr
            let t1 = t0 + (sx * rx + sy * ry) / rr
            let low = max(0, min(t0, t1))
            let high = min(1, max(t0, t1))
            return low <= high ? low : nil
        }
        let t = (apx * sy - apy * sx) / denominator
        let u = (apx * ry - apy * rx) / denominator
        guard t >= 0, t <= 1, u >= 0, u <= 1 else { return nil }
        return t
    }
}
