public import OrbitaModel

/// An immutable spatial index of shapes: a uniform grid of their bounding boxes, sized from the shapes, with shapes too
/// large for the grid (a whole city) kept on a short list that is always checked by box.
///
/// Built once; to change the fences, build a new index and swap the reference (readers keep the one they hold).
/// A point query reads one cell. Each cell stores its shapes' boxes inline (one sequential read instead of one cache
/// miss per candidate); each shape has an inner and an outer disc around its centroid, which decide most points
/// without reading the shape's edges; simple polygons keep their edges in a packed arena. With 100,000 fences the
/// index is much larger than the caches, and these three cut the memory reads a point costs.
public final class FenceIndex: Sendable {
    /// The shapes, by position (the index of a shape is its identity in query results).
    public let shapes: [PlanarShape]
    private let boxes: [Box]
    private let cell: Double
    private let origin: PlanarPoint
    private let columns: Int
    private let rows: Int

    /// A shape listed in a cell, with its box and discs (read in sequence with the cell, no miss per candidate).
    struct CellEntry: Sendable {
        var box: Box
        var disc: Disc
        var index: Int32
        /// The shape's raster (`FenceRaster.offsets`), or -1.
        var raster: Int32
        /// The shape's ring in the arena (`RingArena` offsets), or -1.
        var numbers: Int32
        var integers: Int32
        /// The ring's vertex and signed band counts (so that its band is found without reading the arena first).
        var vertices: Int32
        var bands: Int32
    }

    /// Points within `inner` of the centre are inside, points beyond `outer` outside (squared distances).
    struct Disc: Sendable {
        var x: Double
        var y: Double
        var inner2: Double
        var outer2: Double
    }

    /// Entries per cell, as one array with offsets (`cellStarts[c]..<cellStarts[c + 1]`).
    private let cellStarts: [Int32]
    private let cellEntries: [CellEntry]
    private let large: [Int32]
    private let discs: [Disc]
    private let arena: RingArena
    private let raster: FenceRaster

    /// Builds the index.
    public init(shapes: [PlanarShape]) {
        self.shapes = shapes
        let boxes = shapes.map(\.box)
        self.boxes = boxes
        let valid = boxes.filter { $0.minX <= $0.maxX && $0.minY <= $0.maxY }
        let extent = valid.dropFirst().reduce(valid.first ?? Box(minX: 0, minY: 0, maxX: 1, maxY: 1)) { $0.union($1) }
        // Cell about half the median fence size (a point meets few boxes), at least 25 m, at most 2^22 cells in all.
        let sizes = valid.map { max($0.maxX - $0.minX, $0.maxY - $0.minY) }.sorted()
        let median = sizes.isEmpty ? 100 : sizes[sizes.count / 2]
        let area = max(1, (extent.maxX - extent.minX) * (extent.maxY - extent.minY))
        let cell = max(25, median / 2, (area / Double(1 << 22)).squareRoot())
        self.cell = cell
        origin = PlanarPoint(x: extent.minX, y: extent.minY)
        let columns = max(1, Int(((extent.maxX - extent.minX) / cell).rounded(.up)) + 1)
        let rows = max(1, Int(((extent.maxY - extent.minY) / cell).rounded(.up)) + 1)
        self.columns = columns
        self.rows = rows
        var counts = [Int32](repeating: 0, count: columns * rows)
        var large: [Int32] = []
        var spans: [(Int, Int, Int, Int)?] = []
        for (index, box) in boxes.enumerated() {
            guard box.minX <= box.maxX && box.minY <= box.maxY else {
                spans.append(nil)
                continue
            }
            let c0 = Self.clamp(Int(((box.minX - origin.x) / cell).rounded(.down)), columns)
            let c1 = Self.clamp(Int(((box.maxX - origin.x) / cell).rounded(.down)), columns)
            let r0 = Self.clamp(Int(((box.minY - origin.y) / cell).rounded(.down)), rows)
            let r1 = Self.clamp(Int(((box.maxY - origin.y) / cell).rounded(.down)), rows)
            if (c1 - c0 + 1) * (r1 - r0 + 1) > 64 {
                large.append(Int32(index))
                spans.append(nil)
                continue
            }
            spans.append((c0, c1, r0, r1))
            for row in r0...r1 {
                for column in c0...c1 { counts[row * columns + column] += 1 }
            }
        }
        var starts = [Int32](repeating: 0, count: columns * rows + 1)
        for cell in 0..<(columns * rows) { starts[cell + 1] = starts[cell] + counts[cell] }
        var rings: [Ring?] = []
        var discs: [Disc] = []
        for shape in shapes {
            var ring: Ring?
            if case .polygons(let polygons) = shape, polygons.count == 1, polygons[0].holes.isEmpty {
                ring = polygons[0].outer
            }
            rings.append(ring)
            discs.append(Self.disc(shape, ring: ring))
        }
        self.discs = discs
        arena = RingArena(rings: rings)
        let raster = FenceRaster(rings: rings)
        self.raster = raster
        var fill = starts
        var entries = [CellEntry](
            repeating: CellEntry(
                box: Box(minX: 0, minY: 0, maxX: 0, maxY: 0), disc: Disc(x: 0, y: 0, inner2: 0, outer2: 0), index: 0,
                raster: -1, numbers: -1, integers: -1, vertices: 0, bands: 0),
            count: Int(starts[columns * rows]))
        for (index, span) in spans.enumerated() {
            guard let (c0, c1, r0, r1) = span else { continue }
            for row in r0...r1 {
                for column in c0...c1 {
                    let cell = row * columns + column
                    entries[Int(fill[cell])] = CellEntry(
                        box: boxes[index], disc: discs[index], index: Int32(index), raster: raster.offsets[index],
                        numbers: arena.numberOffsets[index], integers: arena.integerOffsets[index],
                        vertices: Int32(rings[index]?.points.count ?? 0), bands: rings[index]?.signedBandCount ?? 0)
                    fill[cell] += 1
                }
            }
        }
        cellStarts = starts
        cellEntries = hugePageCopy(entries)
        self.large = large
    }

    @inline(__always)
    private static func clamp(_ value: Int, _ count: Int) -> Int { min(count - 1, max(0, value)) }

    /// The discs that decide a point without the shape's edges: exact for circles; for a simple polygon the largest
    /// disc around its vertex centroid that touches no edge (when the centroid is inside) and the smallest holding
    /// every vertex; nothing for other shapes. Shrunk/grown by 1e-9 relative so that rounding never decides wrongly.
    private static func disc(_ shape: PlanarShape, ring: Ring?) -> Disc {
        if case .circle(let center, let radius) = shape {
            return Disc(x: center.x, y: center.y, inner2: radius * radius, outer2: radius * radius)
        }
        guard let ring, !ring.points.isEmpty else { return Disc(x: 0, y: 0, inner2: -1, outer2: .infinity) }
        let count = Double(ring.points.count)
        let centre = PlanarPoint(
            x: ring.points.reduce(0) { $0 + $1.x } / count, y: ring.points.reduce(0) { $0 + $1.y } / count)
        var outer = 0.0
        for point in ring.points {
            outer = max(
                outer, ((point.x - centre.x) * (point.x - centre.x) + (point.y - centre.y) * (point.y - centre.y)))
        }
        var inner = -1.0
        if ring.locate(centre) == .inside {
            let radius = ring.boundaryDistance(centre) * (1 - 1e-9)
            inner = radius * radius
        }
        return Disc(x: centre.x, y: centre.y, inner2: inner, outer2: outer * (1 + 1e-9) + 1e-9)
    }

    /// The grid cell holding a point, or nil outside the grid.
    @inline(__always)
    private func cellIndex(of p: PlanarPoint) -> Int? {
        let column = Int(((p.x - origin.x) / cell).rounded(.down))
        let row = Int(((p.y - origin.y) / cell).rounded(.down))
        guard column >= 0, column < columns, row >= 0, row < rows else { return nil }
        return row * columns + column
    }

    /// Whether shape `index` holds the point (boundary included).
    @inline(__always)
    public func contains(_ index: Int, _ p: PlanarPoint) -> Bool {
        decide(
            index, discs[index], raster: Int(raster.offsets[index]),
            arena: (arena.numberOffsets[index], arena.integerOffsets[index]), box: boxes[index], p)
    }

    /// Discs first (no memory read), then the raster cell (one), then the edges.
    @inline(__always)
    private func decide(
        _ index: Int, _ disc: Disc, raster offset: Int, arena ring: (numbers: Int32, integers: Int32), box: Box,
        _ p: PlanarPoint
    ) -> Bool {
        let dx = p.x - disc.x
        let dy = p.y - disc.y
        let distance2 = dx * dx + dy * dy
        if distance2 <= disc.inner2 { return true }
        if distance2 > disc.outer2 { return false }
        if offset >= 0 {
            guard box.contains(p) else { return false }
            if let decided = raster.decide(offset: offset, box: box, p) { return decided }
        }
        if ring.numbers >= 0 {
            guard box.contains(p) else { return false }
            return arena.locate(numbers: Int(ring.numbers), integers: Int(ring.integers), box: box, p) != .outside
        }
        return shapes[index].contains(p)
    }

    /// Calls `body` with every shape holding the point (membership), in no particular order.
    @inline(__always)
    public func forEachContaining(_ p: PlanarPoint, _ body: (Int) -> Void) {
        if let cell = cellIndex(of: p) {
            cellEntries.withUnsafeBufferPointer { entries in
                var slot = Int(cellStarts[cell])
                let end = Int(cellStarts[cell + 1])
                while slot < end { slot = decideBatch(entries, from: slot, to: end, p, body) }
            }
        }
        for index in large where boxes[Int(index)].contains(p) && contains(Int(index), p) { body(Int(index)) }
    }

    /// Candidates decided together, per point, in up to this many at a time.
    private static let batch = 32

    /// Decides the entries of a cell from `start` on, up to `batch` of them that the discs leave open, and returns
    /// where it stopped. In stages, each starting the memory reads of the next for every open candidate at once
    /// (prefetches, which the processor overlaps instead of waiting for each miss in turn): boxes and discs (read in
    /// sequence), raster words and band starts, band edge lists, edge vertices, then the edge tests of those the
    /// raster leaves open. With 100,000 fences each of these reads is a cache miss.
    @inline(__always)
    private func decideBatch(
        _ entries: UnsafeBufferPointer<CellEntry>, from start: Int, to end: Int, _ p: PlanarPoint,
        _ body: (Int) -> Void
    ) -> Int {
        var open = InlineArray<32, Int32>(repeating: 0)
        var words = InlineArray<32, Int32>(repeating: -1)
        var shifts = InlineArray<32, UInt8>(repeating: 0)
        var bands = InlineArray<32, Int32>(repeating: -1)
        var count = 0
        var slot = start
        while slot < end && count < Self.batch {
            let entry = entries[slot]
            if entry.box.contains(p) {
                let dx = p.x - entry.disc.x
                let dy = p.y - entry.disc.y
                let distance2 = dx * dx + dy * dy
                if distance2 <= entry.disc.inner2 {
                    body(Int(entry.index))
                } else if distance2 <= entry.disc.outer2 {
                    open[count] = Int32(slot)
                    if entry.raster >= 0 {
                        let (word, shift) = raster.cell(offset: Int(entry.raster), box: entry.box, p)
                        raster.prefetch(word: word)
                        words[count] = Int32(word)
                        shifts[count] = UInt8(shift)
                    }
                    if entry.bands != 0 && entry.integers >= 0 {
                        let band = arena.band(
                            integers: Int(entry.integers), bands: Int(entry.bands), box: entry.box, p)
                        arena.prefetchIntegers(at: band)
                        bands[count] = Int32(band)
                    }
                    count += 1
                }
            }
            slot += 1
        }
        var codes = InlineArray<32, UInt8>(repeating: 2)
        var edgeStarts = InlineArray<32, Int32>(repeating: 0)
        var edgeEnds = InlineArray<32, Int32>(repeating: 0)
        for i in 0..<count {
            if words[i] >= 0 { codes[i] = raster.code(word: Int(words[i]), shift: Int(shifts[i])) }
            if codes[i] == 2 && bands[i] >= 0 {
                let entry = entries[Int(open[i])]
                let slots = arena.edgeSlots(integers: Int(entry.integers), bands: Int(entry.bands), band: Int(bands[i]))
                arena.prefetchIntegers(at: slots.lowerBound)
                edgeStarts[i] = Int32(slots.lowerBound)
                edgeEnds[i] = Int32(slots.upperBound)
            }
        }
        for i in 0..<count where codes[i] == 2 && edgeEnds[i] > edgeStarts[i] {
            let entry = entries[Int(open[i])]
            let slots = Int(edgeStarts[i])..<Int(edgeEnds[i])
            arena.prefetch(numbers: Int(entry.numbers), count: Int(entry.vertices), slots: slots)
        }
        for i in 0..<count {
            let entry = entries[Int(open[i])]
            let inside: Bool
            switch codes[i] {
            case 0: inside = false
            case 1: inside = true
            default:
                if entry.numbers < 0 {
                    inside = shapes[Int(entry.index)].contains(p)
                } else if bands[i] >= 0 {
                    let slots = Int(edgeStarts[i])..<Int(edgeEnds[i])
                    inside =
                        arena.locate(
                            numbers: Int(entry.numbers), count: Int(entry.vertices), slots: slots,
                            mirrored: entry.bands < 0, p)
                        != .outside
                } else {
                    inside = arena.locate(numbers: Int(entry.numbers), count: Int(entry.vertices), p) != .outside
                }
            }
            if inside { body(Int(entry.index)) }
        }
        return slot
    }

    /// Every shape holding the point (membership), in index order.
    public func containing(_ p: PlanarPoint) -> [Int] {
        var found: [Int] = []
        forEachContaining(p) { found.append($0) }
        return found.sorted()
    }

    /// Shapes whose bounding box meets a box (each once).
    public func candidates(in box: Box) -> [Int] {
        var found = Set<Int>()
        let c0 = Self.clamp(Int(((box.minX - origin.x) / cell).rounded(.down)), columns)
        let c1 = Self.clamp(Int(((box.maxX - origin.x) / cell).rounded(.down)), columns)
        let r0 = Self.clamp(Int(((box.minY - origin.y) / cell).rounded(.down)), rows)
        let r1 = Self.clamp(Int(((box.maxY - origin.y) / cell).rounded(.down)), rows)
        if (c1 - c0 + 1) * (r1 - r0 + 1) <= 4096 {
            for row in r0...r1 {
                for column in c0...c1 {
                    let cell = row * columns + column
                    for slot in Int(cellStarts[cell])..<Int(cellStarts[cell + 1])
                    where cellEntries[slot].box.intersects(box) {
                        found.insert(Int(cellEntries[slot].index))
                    }
                }
            }
        } else {
            for (index, candidate) in boxes.enumerated() where candidate.intersects(box) { found.insert(index) }
        }
        for index in large where boxes[Int(index)].intersects(box) { found.insert(Int(index)) }
        return found.sorted()
    }
}
