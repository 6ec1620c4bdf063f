import Glibc
public import OrbitaModel

/// A polyline in metres with the distance along it at every vertex (linear referencing) and a grid of its segments
/// for nearest-segment queries anywhere along it.
public struct Polyline: Sendable {
    /// The vertices (consecutive duplicates removed).
    public let points: [PlanarPoint]
    /// Distance along the line at each vertex, metres (0 at the first).
    public let cumulative: [Double]
    /// The bounding box.
    public let box: Box
    private let grid: SegmentGrid

    /// Creates a polyline.
    public init(_ vertices: [PlanarPoint]) {
        var points: [PlanarPoint] = []
        points.reserveCapacity(vertices.count)
        for vertex in vertices where points.last != vertex { points.append(vertex) }
        self.points = points
        var cumulative = [Double](repeating: 0, count: points.count)
        for index in points.indices.dropFirst() {
            cumulative[index] = cumulative[index - 1] + points[index - 1].distance(to: points[index])
        }
        self.cumulative = cumulative
        box = Box(around: points)
        grid = SegmentGrid(points: points, box: box, length: cumulative.last ?? 0)
    }

    /// Total length, metres.
    public var length: Double { cumulative.last ?? 0 }

    /// The closest point of the line to a point.
    public struct Projection: Sendable, Equatable {
        /// Distance from the point to the line, metres.
        public var distance: Double
        /// Distance along the line of the closest point, metres.
        public var along: Double
        /// The segment it lies on.
        public var segment: Int
    }

    /// The closest point among segments whose span overlaps `window` (metres along the line; nil: the whole line).
    /// Only segments within `radius` are looked at when the window is long; nil when none is that close.
    public func project(_ p: PlanarPoint, window: ClosedRange<Double>? = nil, radius: Double = .infinity)
        -> Projection?
    {
        guard points.count >= 2 else {
            guard let only = points.first else { return nil }
            let d = only.distance(to: p)
            return d <= radius ? Projection(distance: d, along: 0, segment: 0) : nil
        }
        let first = window.map { segment(at: $0.lowerBound) } ?? 0
        let last = window.map { segment(at: $0.upperBound) } ?? (points.count - 2)
        var best: Projection?
        var bestSquared = radius.isFinite ? radius * radius : .infinity
        func consider(_ index: Int) {
            let span = cumulative[index + 1] - cumulative[index]
            guard let result = closest(p, onSegment: index, window: window) else { return }
            if result.distanceSquared <= bestSquared {
                let along = cumulative[index] + result.t * span
                if result.distanceSquared < bestSquared || best.map({ along < $0.along }) ?? true {
                    bestSquared = result.distanceSquared
                    best = Projection(distance: result.distanceSquared.squareRoot(), along: along, segment: index)
                }
            }
        }
        if last - first <= 64 || !radius.isFinite {
            for index in first...last { consider(index) }
        } else {
            grid.forEachSegment(near: p, radius: radius) { index in
                if index >= first, index <= last { consider(index) }
            }
        }
        return best
    }

    /// The closest point on each segment overlapping `window` that lies within `radius`, in segment order (for a
    /// caller that chooses among them, e.g. by direction of travel).
    public func projections(_ p: PlanarPoint, window: ClosedRange<Double>, radius: Double) -> [Projection] {
        guard points.count >= 2 else { return [] }
        var found: [Projection] = []
        func consider(_ index: Int) {
            let span = cumulative[index + 1] - cumulative[index]
            guard let result = closest(p, onSegment: index, window: window), result.distanceSquared <= radius * radius
            else { return }
            found.append(
                Projection(
                    distance: result.distanceSquared.squareRoot(), along: cumulative[index] + result.t * span,
                    segment: index))
        }
        let first = segment(at: window.lowerBound)
        let last = segment(at: window.upperBound)
        if last - first <= 64 || !radius.isFinite {
            for index in first...last { consider(index) }
        } else {
            // A long window: only the segments in grid cells near the point, each once, in segment order.
            var near: [Int] = []
            grid.forEachSegment(near: p, radius: radius) { index in
                if index >= first, index <= last { near.append(index) }
            }
            near.sort()
            var previous = -1
            for index in near where index != previous {
                consider(index)
                previous = index
            }
        }
        return found
    }

    /// The closest point of a segment to p, restricted to the part of the segment inside `window` (nil when none is).
    @inline(__always)
    private func closest(_ p: PlanarPoint, onSegment index: Int, window: ClosedRange<Double>?) -> (
        distanceSquared: Double, t: Double
    )? {
        let a = points[index]
        let b = points[index + 1]
        let result = Planar.segmentDistanceSquared(p, a, b)
        let span = cumulative[index + 1] - cumulative[index]
        guard let window, span > 0 else { return result }
        let low = max(0, (window.lowerBound - cumulative[index]) / span)
        let high = min(1, (window.upperBound - cumulative[index]) / span)
        guard low <= high else { return nil }
        guard result.t < low || result.t > high else { return result }
        let t = min(high, max(low, result.t))
        let dx = a.x + t * (b.x - a.x) - p.x
        let dy = a.y + t * (b.y - a.y) - p.y
        return (dx * dx + dy * dy, t)
    }

    /// Distance from a point to the line, or nil when farther than `radius`.
    public func distance(to p: PlanarPoint, radius: Double) -> Double? {
        project(p, radius: radius).map(\.distance)
    }

    /// The segment holding a distance along the line (clamped to the line).
    public func segment(at along: Double) -> Int {
        guard points.count >= 2 else { return 0 }
        var low = 0
        var high = points.count - 1
        // Largest vertex index with cumulative ≤ along.
        while high - low > 1 {
            let middle = (low + high) / 2
            if cumulative[middle] <= along { low = middle } else { high = middle }
        }
        return min(low, points.count - 2)
    }

    /// The point at a distance along the line.
    public func point(at along: Double) -> PlanarPoint {
        guard points.count >= 2 else { return points.first ?? PlanarPoint(x: 0, y: 0) }
        let index = segment(at: along)
        let span = cumulative[index + 1] - cumulative[index]
        let t = span > 0 ? min(1, max(0, (along - cumulative[index]) / span)) : 0
        let a = points[index]
        let b = points[index + 1]
        return PlanarPoint(x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y))
    }

    /// Bearing of a segment, degrees clockwise from grid north (0…360).
    public func bearing(ofSegment index: Int) -> Double {
        let a = points[index]
        let b = points[index + 1]
        let degrees = atan2Degrees(b.x - a.x, b.y - a.y)
        return degrees < 0 ? degrees + 360 : degrees
    }
}

@inline(__always)
func atan2Degrees(_ x: Double, _ y: Double) -> Double {
    atan2(x, y) * 180 / .pi
}

/// Segments of a polyline bucketed in square cells; a segment that would span more than `longerThan` cells is kept
/// on a short list read by every query instead, so the grid holds at most that many entries per segment.
struct SegmentGrid: Sendable {
    private let cell: Double
    private let origin: PlanarPoint
    private let columns: Int
    private let rows: Int
    private let cells: [[Int32]]
    private let long: [Int32]
    static let longerThan = 16

    init(points: [PlanarPoint], box: Box, length: Double) {
        let segments = max(1, points.count - 1)
        // About two segments per cell along the line, never finer than 10 m, and never more cells than 4 per segment
        // (a long diagonal route would otherwise allocate millions of empty cells).
        let area = max(1, (box.maxX - box.minX) * (box.maxY - box.minY))
        cell = max(10, 2 * length / Double(segments), (area / Double(4 * segments)).squareRoot())
        origin = PlanarPoint(x: box.minX, y: box.minY)
        columns = max(1, min(4096, Int(((box.maxX - box.minX) / cell).rounded(.up)) + 1))
        rows = max(1, min(4096, Int(((box.maxY - box.minY) / cell).rounded(.up)) + 1))
        var cells = [[Int32]](repeating: [], count: points.count >= 2 ? columns * rows : 0)
        var long: [Int32] = []
        if points.count >= 2 {
            for index in 0..<(points.count - 1) {
                let segmentBox = Box(around: [points[index], points[index + 1]])
                let (c0, r0) = Self.cell(of: segmentBox.minX, segmentBox.minY, origin, cell, columns, rows)
                let (c1, r1) = Self.cell(of: segmentBox.maxX, segmentBox.maxY, origin, cell, columns, rows)
                if (c1 - c0 + 1) * (r1 - r0 + 1) > Self.longerThan {
                    long.append(Int32(index))
                    continue
                }
                for row in r0...r1 {
                    for column in c0...c1 { cells[row * columns + column].append(Int32(index)) }
                }
            }
        }
        self.cells = cells
        self.long = long
    }

    @inline(__always)
    private static func cell(
        of x: Double, _ y: Double, _ origin: PlanarPoint, _ cell: Double, _ columns: Int, _ rows: Int
    ) -> (Int, Int) {
        let column = Int(((x - origin.x) / cell).rounded(.down))
        let row = Int(((y - origin.y) / cell).rounded(.down))
        return (min(columns - 1, max(0, column)), min(rows - 1, max(0, row)))
    }

    /// Calls `body` with every segment in cells within `radius` of p (a segment may come more than once).
    func forEachSegment(near p: PlanarPoint, radius: Double, _ body: (Int) -> Void) {
        guard !cells.isEmpty else { return }
        for index in long { body(Int(index)) }
        let (c0, r0) = Self.cell(of: p.x - radius, p.y - radius, origin, cell, columns, rows)
        let (c1, r1) = Self.cell(of: p.x + radius, p.y + radius, origin, cell, columns, rows)
        for row in r0...r1 {
            for column in c0...c1 {
                for index in cells[row * columns + column] { body(Int(index)) }
            }
        }
    }
}
