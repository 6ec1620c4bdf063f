import CPrefetch
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
    /// Per ring: vertex count, band count (negative when the bands divide x, see `Ring.bandAxis`), then band starts
    /// (count + 1, relative), then band edges.
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
            integers.append(ring.signedBandCount)
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
        let (count, bands) = integers.withUnsafeBufferPointer { (Int($0[k]), Int($0[k + 1])) }
        guard bands != 0 else { return locate(numbers: n, count: count, p) }
        let slots = edgeSlots(integers: k, bands: bands, box: box, p)
        return locate(numbers: n, count: count, slots: slots, mirrored: bands < 0, p)
    }

    /// Where the point's band lists its edges: positions in the arena's integers, for `locate(numbers:count:slots:)`.
    @inline(__always)
    func edgeSlots(integers k: Int, bands: Int, box: Box, _ p: PlanarPoint) -> Range<Int> {
        edgeSlots(integers: k, bands: bands, band: band(integers: k, bands: bands, box: box, p))
    }

    /// The position of the point's band among the band starts of the ring at `k` (no memory read); `bands` is the
    /// signed count stored with the ring.
    @inline(__always)
    func band(integers k: Int, bands: Int, box: Box, _ p: PlanarPoint) -> Int {
        if bands < 0 {
            let height = (box.maxX - box.minX) / Double(-bands)
            return k + 2 + Ring.band(p.x, minY: box.minX, height: height, count: -bands)
        }
        let height = (box.maxY - box.minY) / Double(bands)
        return k + 2 + Ring.band(p.y, minY: box.minY, height: height, count: bands)
    }

    /// The edge slots of the band at position `band` (from `band(integers:bands:box:_:)`): reads one word pair.
    @inline(__always)
    func edgeSlots(integers k: Int, bands: Int, band: Int) -> Range<Int> {
        let edges = k + 2 + abs(bands) + 1
        return integers.withUnsafeBufferPointer { edges + Int($0[band])..<edges + Int($0[band + 1]) }
    }

    /// Starts loading the arena's integers at a position (a band start, or a band's edge list).
    @inline(__always)
    func prefetchIntegers(at position: Int) {
        integers.withUnsafeBufferPointer { if let base = $0.baseAddress { orbita_prefetch(base + position) } }
    }

    /// Starts loading the vertices of the edges listed at `slots` (of a ring stored at `n` with `count` vertices),
    /// so that the misses of several rings' tests overlap instead of following one another.
    @inline(__always)
    func prefetch(numbers n: Int, count: Int, slots: Range<Int>) {
        numbers.withUnsafeBufferPointer { numbers in
            integers.withUnsafeBufferPointer { integers in
                guard let base = numbers.baseAddress else { return }
                for slot in slots {
                    let i = Int(integers[slot])
                    orbita_prefetch(base + n + 2 * i)
                    orbita_prefetch(base + n + 2 * (i + 1 == count ? 0 : i + 1))
                }
            }
        }
    }

    /// The crossing test on the edges listed at `slots` of a banded ring of `count` vertices stored at `n`; `mirrored`
    /// when its bands divide x (the test then runs mirrored across x = y, as in `Ring.locate`).
    @inline(__always)
    func locate(numbers n: Int, count: Int, slots: Range<Int>, mirrored: Bool, _ p: PlanarPoint) -> Ring.Location {
        numbers.withUnsafeBufferPointer { numbers in
            integers.withUnsafeBufferPointer { integers in
                let (x, y) = mirrored ? (1, 0) : (0, 1)
                @inline(__always) func vertex(_ i: Int) -> PlanarPoint {
                    PlanarPoint(x: numbers[n + x + 2 * i], y: numbers[n + y + 2 * i])
                }
                let p = mirrored ? Ring.mirrored(p) : p
                var inside = false
                for slot in slots {
                    let i = Int(integers[slot])
                    if let location = Ring.step(vertex(i), vertex(i + 1 == count ? 0 : i + 1), p, &inside) {
                        return location
                    }
                }
                return inside ? .inside : .outside
            }
        }
    }

    /// The crossing test on every edge of a ring without bands (few vertices), of `count` vertices stored at `n`.
    @inline(__always)
    func locate(numbers n: Int, count: Int, _ p: PlanarPoint) -> Ring.Location {
        numbers.withUnsafeBufferPointer { numbers in
            @inline(__always) func vertex(_ i: Int) -> PlanarPoint {
                PlanarPoint(x: numbers[n + 2 * i], y: numbers[n + 1 + 2 * i])
            }
            var inside = false
            var a = vertex(count - 1)
            for i in 0..<count {
                let b = vertex(i)
                if let location = Ring.step(a, b, p, &inside) { return location }
                a = b
            }
            return inside ? .inside : .outside
        }
    }
}
