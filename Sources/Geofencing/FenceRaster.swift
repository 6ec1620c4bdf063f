import CPrefetch
import OrbitaModel

/// A 32 × 32 raster over each simple fence's bounding box: every raster cell is inside, outside, or crossed by an
/// edge. A point in an inside or outside cell is decided by one read of the fence's 256-byte raster row block
/// instead of its edges; only points in crossed cells need the ring test. Exact: a cell is called inside or outside
/// only when no edge's box (grown by 1 µm) touches it, so every point of the cell is on the same side as its centre.
struct FenceRaster: Sendable {
    static let size = 32
    /// Per shape: the first of its 32 row words in `rows`, or -1 when it has no raster.
    let offsets: [Int32]
    /// 32 cells of 2 bits per word: 0 outside, 1 inside, 2 crossed.
    private let rows: [UInt64]

    init(rings: [Ring?]) {
        var offsets = [Int32](repeating: -1, count: rings.count)
        var rows: [UInt64] = []
        let size = Self.size
        for (index, ring) in rings.enumerated() {
            guard let ring, ring.points.count >= 3, ring.box.maxX > ring.box.minX, ring.box.maxY > ring.box.minY,
                rows.count + size < Int(Int32.max)
            else { continue }
            let box = ring.box
            let width = (box.maxX - box.minX) / Double(size)
            let height = (box.maxY - box.minY) / Double(size)
            var codes = [UInt8](repeating: 0, count: size * size)
            func column(_ x: Double) -> Int { min(size - 1, max(0, Int(((x - box.minX) / width).rounded(.down)))) }
            func row(_ y: Double) -> Int { min(size - 1, max(0, Int(((y - box.minY) / height).rounded(.down)))) }
            let epsilon = 1e-6
            for i in ring.points.indices {
                let a = ring.points[i]
                let b = ring.points[i + 1 == ring.points.count ? 0 : i + 1]
                for r in row(min(a.y, b.y) - epsilon)...row(max(a.y, b.y) + epsilon) {
                    for c in column(min(a.x, b.x) - epsilon)...column(max(a.x, b.x) + epsilon) {
                        codes[r * size + c] = 2
                    }
                }
            }
            for r in 0..<size {
                for c in 0..<size where codes[r * size + c] != 2 {
                    let centre = PlanarPoint(
                        x: box.minX + (Double(c) + 0.5) * width, y: box.minY + (Double(r) + 0.5) * height)
                    codes[r * size + c] = ring.locate(centre) == .outside ? 0 : 1
                }
            }
            offsets[index] = Int32(rows.count)
            for r in 0..<size {
                var word: UInt64 = 0
                for c in 0..<size { word |= UInt64(codes[r * size + c]) << (2 * c) }
                rows.append(word)
            }
        }
        self.offsets = offsets
        self.rows = hugePageCopy(rows)
    }

    /// True or false when the point's raster cell decides it, nil when an edge crosses the cell. `offset` is the
    /// shape's entry in `offsets` (≥ 0), `box` its ring's bounding box, which holds the point.
    @inline(__always)
    func decide(offset: Int, box: Box, _ p: PlanarPoint) -> Bool? {
        let (word, shift) = cell(offset: offset, box: box, p)
        switch code(word: word, shift: shift) {
        case 0: return false
        case 1: return true
        default: return nil
        }
    }

    /// Where the point's cell is: the word in `rows` and the shift of its 2 bits in that word.
    @inline(__always)
    func cell(offset: Int, box: Box, _ p: PlanarPoint) -> (word: Int, shift: Int) {
        let last = Self.size - 1
        // The same arithmetic as when the raster was built.
        let width = (box.maxX - box.minX) / Double(Self.size)
        let height = (box.maxY - box.minY) / Double(Self.size)
        let c = min(last, max(0, Int(((p.x - box.minX) / width).rounded(.down))))
        let r = min(last, max(0, Int(((p.y - box.minY) / height).rounded(.down))))
        return (offset + r, 2 * c)
    }

    /// Starts loading a cell's word (see `cell(offset:box:_:)`).
    @inline(__always)
    func prefetch(word: Int) {
        rows.withUnsafeBufferPointer { if let base = $0.baseAddress { orbita_prefetch(base + word) } }
    }

    /// A cell's code, 0 outside, 1 inside, 2 crossed (see `cell(offset:box:_:)`; one read, no branch on it).
    @inline(__always)
    func code(word: Int, shift: Int) -> UInt8 {
        rows.withUnsafeBufferPointer { UInt8(truncatingIfNeeded: ($0[word] >> UInt64(shift)) & 3) }
    }
}
