import OrbitaModel

/// The rings of simple fences (one polygon, no holes) packed into two contiguous arrays, each ring's data side by
/// side, so that a point test touches two or three cache lines instead of one per array of a `Ring`. With 100,000
/// fences the index is far larger than the caches and a query is bound by memory reads, not arithmetic.
struct RingArena: Sendable {
    /// Per shape: offset of its ring in `numbers` and `integers`, or -1 when it has none here.
    let numberOffsets: [Int32]
    let integerOffsets: [Int32]
    /// Per ring: x, y of every vertex.
    private let numbers: [Double]
    /// Per ring: vertex count, band count, then band starts (count + 1, relative), then band edges.
    private let integers: [Int32]

    init(rings: [Ring?]) {
        var numberOffsets = [Int32](repeating: -1, count: rings.count)
        var integerOffsets = [Int32](repeating: -1, count: rings.count)
        var numbers: [Double] = []
        var integers: [Int32] = []
        for (index, ring) in rings.enumerated() {
            guard let ring, ring.points.count >= 3, numbers.count + 2 * ring.points.count < Int(Int32.max),
                integers.count + ring.bandEdges.count + ring.bandStarts.count + 2 < Int(Int32.max)
            else { continue }
            numberOffsets[index] = Int32(numbers.count)
            integerOffsets[index] = Int32(integers.count)
            for point in ring.points {
                numbers.append(point.x)
                numbers.append(point.y)
            }
            integers.append(Int32(ring.points.count))
            integers.append(Int32(ring.bandCount))
            integers.append(contentsOf: ring.bandStarts)
            integers.append(contentsOf: ring.bandEdges)
        }
        self.numberOffsets = numberOffsets
        self.integerOffsets = integerOffsets
        self.numbers = hugePageCopy(numbers)
        self.integers = hugePageCopy(integers)
    }

    /// Whether shape `index` has its ring here.
    @inline(__always)
    func has(_ index: Int) -> Bool { numberOffsets[index] >= 0 }

    /// The same answer as `Ring.locate` for a ring stored at offsets `n` and `k`, whose bounding box is `box` (which
    /// holds the point): the band is found from the box exactly as `Ring` computed it.
    @inline(__always)
    func locate(numbers n: Int, integers k: Int, box: Box, _ p: PlanarPoint) -> Ring.Location {
        numbers.withUnsafeBufferPointer { numbers in
            integers.withUnsafeBufferPointer { integers in
                let count = Int(integers[k])
                let bands = Int(integers[k + 1])
                @inline(__always) func vertex(_ i: Int) -> PlanarPoint {
                    PlanarPoint(x: numbers[n + 2 * i], y: numbers[n + 1 + 2 * i])
                }
                var inside = false
                if bands == 0 {
                    var a = vertex(count - 1)
                    for i in 0..<count {
                        let b = vertex(i)
                        if let location = Ring.step(a, b, p, &inside) { return location }
                        a = b
                    }
                } else {
                    let height = (box.maxY - box.minY) / Double(bands)
                    let band = Ring.band(p.y, minY: box.minY, height: height, count: bands)
                    let starts = k + 2
                    let edges = starts + bands + 1
                    for slot in Int(integers[starts + band])..<Int(integers[starts + band + 1]) {
                        let i = Int(integers[edges + slot])
                        if let location = Ring.step(vertex(i), vertex(i + 1 == count ? 0 : i + 1), p, &inside) {
                            return location
                        }
                    }
                }
                return inside ? .inside : .outside
            }
        }
    }
}
