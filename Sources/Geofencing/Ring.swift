public import OrbitaModel

/// A closed ring of a polygon in metres, with its edges bucketed by band so that a point test on a ring of thousands
/// of vertices (a city boundary) reads only the few edges at the point's height (or, for a ring whose edges run
/// mostly north–south, such as a comb, at the point's easting).
///
/// The index is bounded by the ring's size for any shape: at most `entriesPerVertex` edge entries per vertex and one
/// band start per vertex. Bands run along the axis whose edges span fewer of them; when even that would list the
/// edges more often than the bound allows, the ring gets fewer, taller bands (a point then reads more edges).
public struct Ring: Sendable {
    /// The vertices, without a repeated closing vertex.
    public let points: [PlanarPoint]
    /// The ring's bounding box.
    public let box: Box
    /// Edge indices per band, as one array with offsets (`bandStarts[b]..<bandStarts[b + 1]`); empty for small rings.
    let bandStarts: [Int32]
    let bandEdges: [Int32]
    let bandCount: Int
    let bandHeight: Double
    /// The coordinate the bands divide: `.y` (horizontal bands, a rightward crossing ray) or `.x` (vertical bands;
    /// the test runs on the ring mirrored across x = y, which keeps inside and outside).
    let bandAxis: Axis

    /// Which coordinate a ring's bands divide.
    enum Axis: Sendable { case x, y }

    /// Rings with more vertices than this get a band index.
    static let indexedAbove = 32
    /// The most edge entries the band index holds per vertex.
    static let entriesPerVertex = 4

    /// Creates a ring; a closing vertex equal to the first is dropped. Needs 3 distinct vertices to enclose anything.
    public init(_ vertices: [PlanarPoint]) {
        var points = vertices
        if points.count > 1, points.first == points.last { points.removeLast() }
        self.points = points
        box = Box(around: points)
        let plan = Self.plan(points, box: box)
        guard let plan else {
            bandStarts = []
            bandEdges = []
            bandCount = 0
            bandHeight = 0
            bandAxis = .y
            return
        }
        let (axis, count, height) = plan
        let minimum = axis == .y ? box.minY : box.minX
        var counts = [Int32](repeating: 0, count: count + 1)
        for index in points.indices {
            let (low, high) = Self.span(points, index, axis: axis, minimum: minimum, height: height, count: count)
            for band in low...high { counts[band + 1] += 1 }
        }
        for band in 0..<count { counts[band + 1] += counts[band] }
        var fill = counts
        var edges = [Int32](repeating: 0, count: Int(counts[count]))
        for index in points.indices {
            let (low, high) = Self.span(points, index, axis: axis, minimum: minimum, height: height, count: count)
            for band in low...high {
                edges[Int(fill[band])] = Int32(index)
                fill[band] += 1
            }
        }
        bandStarts = counts
        bandEdges = edges
        bandCount = count
        bandHeight = height
        bandAxis = axis
    }

    /// The axis, band count and band height of a ring's index, or nil when it gets none (few vertices, or no extent):
    /// about one band per edge along the better axis, halved until the entries fit the bound.
    private static func plan(_ points: [PlanarPoint], box: Box) -> (Axis, Int, Double)? {
        guard points.count > indexedAbove else { return nil }
        let budget = entriesPerVertex * points.count
        var best: (axis: Axis, count: Int, height: Double, cost: Double)?
        for axis in [Axis.y, .x] {
            let minimum = axis == .y ? box.minY : box.minX
            let extent = axis == .y ? box.maxY - box.minY : box.maxX - box.minX
            guard extent > 0 else { continue }
            var count = points.count
            while true {
                let height = extent / Double(count)
                var entries = 0
                for index in points.indices {
                    let (low, high) = span(points, index, axis: axis, minimum: minimum, height: height, count: count)
                    entries += high - low + 1
                    if entries > budget { break }
                }
                if entries <= budget || count == 1 {
                    // Edges a point reads, on average.
                    let cost = Double(entries) / Double(count)
                    if cost < best?.cost ?? .infinity { best = (axis, count, height, cost) }
                    break
                }
                count = max(1, count / 2)
            }
        }
        guard let best else { return nil }
        return (best.axis, best.count, best.height)
    }

    /// The first and last band edge `index` (from vertex `index` to the next) spans.
    @inline(__always)
    private static func span(
        _ points: [PlanarPoint], _ index: Int, axis: Axis, minimum: Double, height: Double, count: Int
    ) -> (Int, Int) {
        let a = points[index]
        let b = points[index + 1 == points.count ? 0 : index + 1]
        let (u, v) = axis == .y ? (a.y, b.y) : (a.x, b.x)
        return (
            band(min(u, v), minY: minimum, height: height, count: count),
            band(max(u, v), minY: minimum, height: height, count: count)
        )
    }

    /// The band count as the arena stores it: negative when the bands divide x.
    var signedBandCount: Int32 { Int32(bandAxis == .x ? -bandCount : bandCount) }

    /// Bytes the band index takes (band starts and edge entries), for budgets and benchmarks.
    public var indexBytes: Int { (bandStarts.count + bandEdges.count) * MemoryLayout<Int32>.stride }

    @inline(__always)
    static func band(_ y: Double, minY: Double, height: Double, count: Int) -> Int {
        min(count - 1, max(0, Int((y - minY) / height)))
    }

    /// A point mirrored across x = y (the frame in which a ring with vertical bands is tested).
    @inline(__always)
    static func mirrored(_ p: PlanarPoint) -> PlanarPoint { PlanarPoint(x: p.y, y: p.x) }

    /// Where a point is relative to the ring.
    public enum Location: Sendable, Equatable {
        /// Strictly inside.
        case inside
        /// Strictly outside.
        case outside
        /// On an edge or a vertex (orientation exactly zero within the edge's extent).
        case boundary
    }

    /// Locates a point by the crossing rule on the edges at its height (exact on-edge tests first).
    public func locate(_ p: PlanarPoint) -> Location {
        guard points.count >= 3, box.contains(p) else { return .outside }
        var inside = false
        return points.withUnsafeBufferPointer { points in
            if bandCount == 0 {
                var a = points[points.count - 1]
                for b in points {
                    if let location = Self.step(a, b, p, &inside) { return location }
                    a = b
                }
            } else {
                let vertical = bandAxis == .x
                let q = vertical ? Self.mirrored(p) : p
                let band = Self.band(
                    q.y, minY: vertical ? box.minX : box.minY, height: bandHeight, count: bandCount)
                return bandEdges.withUnsafeBufferPointer { edges in
                    let last = points.count - 1
                    for slot in Int(bandStarts[band])..<Int(bandStarts[band + 1]) {
                        let i = Int(edges[slot])
                        var a = points[i]
                        var b = points[i == last ? 0 : i + 1]
                        if vertical { (a, b) = (Self.mirrored(a), Self.mirrored(b)) }
                        if let location = Self.step(a, b, q, &inside) { return location }
                    }
                    return inside ? .inside : .outside
                }
            }
            return inside ? .inside : .outside
        }
    }

    /// One edge of the crossing test: toggles `inside` when the rightward ray from p crosses a→b; returns `.boundary`
    /// when p is on the edge.
    @inline(__always)
    static func step(_ a: PlanarPoint, _ b: PlanarPoint, _ p: PlanarPoint, _ inside: inout Bool) -> Location? {
        let aAbove = a.y > p.y
        let bAbove = b.y > p.y
        // Only edges reaching p's height can hold p or be crossed by its ray.
        if (a.y < p.y && b.y < p.y) || (aAbove && bAbove) { return nil }
        let side = Planar.orientation(a, b, p)
        if side == 0, p.x >= min(a.x, b.x), p.x <= max(a.x, b.x) { return .boundary }
        if aAbove != bAbove {
            // Upward edge: crossing when p is left of it; downward: when p is right of it.
            if bAbove ? side > 0 : side < 0 { inside.toggle() }
        }
        return nil
    }

    /// Distance from a point to the ring's edges, or `limit` when every edge is at least that far (cheaper: only the
    /// bands within `limit` of the point are read).
    public func boundaryDistance(_ p: PlanarPoint, limit: Double = .infinity) -> Double {
        guard points.count >= 2 else { return limit }
        if !box.expanded(by: limit).contains(p) { return limit }
        var best = limit * limit
        if bandCount == 0 || !limit.isFinite {
            var a = points[points.count - 1]
            for b in points {
                best = min(best, Planar.segmentDistanceSquared(p, a, b).distanceSquared)
                a = b
            }
        } else {
            let (u, minimum) = bandAxis == .y ? (p.y, box.minY) : (p.x, box.minX)
            let low = Self.band(u - limit, minY: minimum, height: bandHeight, count: bandCount)
            let high = Self.band(u + limit, minY: minimum, height: bandHeight, count: bandCount)
            for slot in Int(bandStarts[low])..<Int(bandStarts[high + 1]) {
                let i = Int(bandEdges[slot])
                let b = points[i + 1 == points.count ? 0 : i + 1]
                best = min(best, Planar.segmentDistanceSquared(p, points[i], b).distanceSquared)
            }
        }
        return min(limit, best.squareRoot())
    }

    /// The smallest parameter along p→q at which the segment meets an edge of the ring.
    func firstIntersection(_ p: PlanarPoint, _ q: PlanarPoint) -> Double? {
        let segmentBox = Box(around: [p, q])
        guard box.intersects(segmentBox) else { return nil }
        var first: Double?
        var a = points[points.count - 1]
        for b in points {
            if segmentBox.intersects(Box(around: [a, b])), let t = Planar.intersection(p, q, a, b) {
                first = min(first ?? t, t)
            }
            a = b
        }
        return first
    }
}
