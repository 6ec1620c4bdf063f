public import OrbitaModel

/// A closed ring of a polygon in metres, with its edges bucketed by horizontal band so that a point test on a ring of
/// thousands of vertices (a city boundary) reads only the few edges at the point's height.
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

    /// Rings with more vertices than this get a band index.
    static let indexedAbove = 32

    /// Creates a ring; a closing vertex equal to the first is dropped. Needs 3 distinct vertices to enclose anything.
    public init(_ vertices: [PlanarPoint]) {
        var points = vertices
        if points.count > 1, points.first == points.last { points.removeLast() }
        self.points = points
        box = Box(around: points)
        guard points.count > Self.indexedAbove, box.maxY > box.minY else {
            bandStarts = []
            bandEdges = []
            bandCount = 0
            bandHeight = 0
            return
        }
        // About one band per edge: a point's band holds the two or three edges at its height.
        let count = max(1, points.count)
        let height = (box.maxY - box.minY) / Double(count)
        var bands = [[Int32]](repeating: [], count: count)
        for index in points.indices {
            let a = points[index]
            let b = points[index + 1 == points.count ? 0 : index + 1]
            let low = Self.band(min(a.y, b.y), minY: box.minY, height: height, count: count)
            let high = Self.band(max(a.y, b.y), minY: box.minY, height: height, count: count)
            for band in low...high { bands[band].append(Int32(index)) }
        }
        var starts: [Int32] = [0]
        starts.reserveCapacity(count + 1)
        for band in bands { starts.append(starts[starts.count - 1] + Int32(band.count)) }
        bandStarts = starts
        bandEdges = bands.flatMap(\.self)
        bandCount = count
        bandHeight = height
    }

    @inline(__always)
    static func band(_ y: Double, minY: Double, height: Double, count: Int) -> Int {
        min(count - 1, max(0, Int((y - minY) / height)))
    }

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
                let band = Self.band(p.y, minY: box.minY, height: bandHeight, count: bandCount)
                return bandEdges.withUnsafeBufferPointer { edges in
                    let last = points.count - 1
                    for slot in Int(bandStarts[band])..<Int(bandStarts[band + 1]) {
                        let i = Int(edges[slot])
                        if let location = Self.step(points[i], points[i == last ? 0 : i + 1], p, &inside) {
                            return location
                        }
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
            let low = Self.band(p.y - limit, minY: box.minY, height: bandHeight, count: bandCount)
            let high = Self.band(p.y + limit, minY: box.minY, height: bandHeight, count: bandCount)
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
