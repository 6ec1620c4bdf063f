import Glibc
public import OrbitaModel

/// Basemap lines thinned for a zoom: lines whose level of detail starts closer in left out, then Douglas–Peucker
/// with a tolerance of one dot (a vertex that moves the line by less than a dot cannot change the picture), lines
/// smaller than a dot dropped. Results are kept per zoom step, so a 100,000-vertex basemap is simplified once per
/// zoom level, not per frame. Places are filtered by their level of detail the same way.
public final class MapSimplifier: @unchecked Sendable {
    // @unchecked: used from the map's one thread.
    private let lines: [MapLine]
    private let places: [MapPlace]
    private var cache: [Int: [MapLine]] = [:]

    /// A simplifier over the full-detail lines and the places.
    public init(_ lines: [MapLine], places: [MapPlace] = []) {
        self.lines = lines
        self.places = places
    }

    /// The places shown at `metresPerDot`, in their order.
    public func places(metresPerDot: Double) -> [MapPlace] {
        places.filter { metresPerDot <= $0.maximumMetresPerDot }
    }

    /// Vertices in the full-detail lines.
    public var vertexCount: Int { lines.reduce(0) { $0 + $1.points.count } }

    /// The lines for `metresPerDot` (computed at the nearest lower zoom step of ×1.5, then kept).
    public func lines(metresPerDot: Double) -> [MapLine] {
        let step = Int((log(max(metresPerDot, 0.01)) / log(1.5)).rounded(.down))
        if let kept = cache[step] { return kept }
        let tolerance = pow(1.5, Double(step))
        let simplified = lines.compactMap { line -> MapLine? in
            guard tolerance <= line.maximumMetresPerDot else { return nil }
            let points = Self.simplify(line.points, tolerance: tolerance)
            guard points.count >= 2 else { return nil }
            return MapLine(
                points: points, closed: line.closed && points.count >= 3, colour: line.colour,
                maximumMetresPerDot: line.maximumMetresPerDot)
        }
        if cache.count > 32 { cache.removeAll() }
        cache[step] = simplified
        return simplified
    }

    /// Douglas–Peucker (iterative): the points of `points` that keep it within `tolerance` metres; a line whose
    /// extent is under `tolerance` comes back as its first point only.
    public static func simplify(_ points: [PlanarPoint], tolerance: Double) -> [PlanarPoint] {
        guard points.count > 2 else { return points }
        var keep = [Bool](repeating: false, count: points.count)
        keep[0] = true
        keep[points.count - 1] = true
        var stack = [(0, points.count - 1)]
        let squaredTolerance = tolerance * tolerance
        while let (first, last) = stack.popLast() {
            guard last > first + 1 else { continue }
            var worst = 0.0
            var worstIndex = first
            for index in (first + 1)..<last {
                let distance = squaredDistance(points[index], from: points[first], to: points[last])
                if distance > worst {
                    worst = distance
                    worstIndex = index
                }
            }
            if worst > squaredTolerance {
                keep[worstIndex] = true
                stack.append((first, worstIndex))
                stack.append((worstIndex, last))
            }
        }
        let kept = points.indices.filter { keep[$0] }.map { points[$0] }
        if kept.count == 2, squaredLength(kept[0], kept[1]) < squaredTolerance { return [kept[0]] }
        return kept
    }

    private static func squaredLength(_ a: PlanarPoint, _ b: PlanarPoint) -> Double {
        (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)
    }

    /// Squared distance from `point` to the segment `a`–`b`.
    private static func squaredDistance(_ point: PlanarPoint, from a: PlanarPoint, to b: PlanarPoint) -> Double {
        let dx = b.x - a.x
        let dy = b.y - a.y
        let length = dx * dx + dy * dy
        guard length > 0 else { return squaredLength(point, a) }
        let t = max(0, min(1, ((point.x - a.x) * dx + (point.y - a.y) * dy) / length))
        return squaredLength(point, PlanarPoint(x: a.x + t * dx, y: a.y + t * dy))
    }
}
