public import OrbitaModel

/// An immutable spatial index of shapes: a uniform grid of their bounding boxes, sized from the shapes, with shapes too
/// large for the grid (a whole city) kept on a short list that is always checked by box.
///
/// Built once; to change the fences, build a new index and swap the reference (readers keep the one they hold).
/// A point query reads one cell: with city-sized fences the cost per fix hardly grows from 100 to 100,000 fences.
public final class FenceIndex: Sendable {
    /// The shapes, by position (the index of a shape is its identity in query results).
    public let shapes: [PlanarShape]
    private let boxes: [Box]
    private let cell: Double
    private let origin: PlanarPoint
    private let columns: Int
    private let rows: Int
    /// Shapes per cell, as one array with offsets (`cellStarts[c]..<cellStarts[c + 1]`).
    private let cellStarts: [Int32]
    private let cellShapes: [Int32]
    private let large: [Int32]
    /// Shapes that are one polygon without holes (the common fence): tested through their ring directly.
    private let simpleRings: [Ring?]

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
        var cells = [[Int32]](repeating: [], count: columns * rows)
        var large: [Int32] = []
        for (index, box) in boxes.enumerated() where box.minX <= box.maxX && box.minY <= box.maxY {
            let c0 = Self.clamp(Int(((box.minX - origin.x) / cell).rounded(.down)), columns)
            let c1 = Self.clamp(Int(((box.maxX - origin.x) / cell).rounded(.down)), columns)
            let r0 = Self.clamp(Int(((box.minY - origin.y) / cell).rounded(.down)), rows)
            let r1 = Self.clamp(Int(((box.maxY - origin.y) / cell).rounded(.down)), rows)
            if (c1 - c0 + 1) * (r1 - r0 + 1) > 64 {
                large.append(Int32(index))
                continue
            }
            for row in r0...r1 {
                for column in c0...c1 { cells[row * columns + column].append(Int32(index)) }
            }
        }
        var starts: [Int32] = [0]
        starts.reserveCapacity(cells.count + 1)
        for cell in cells { starts.append(starts[starts.count - 1] + Int32(cell.count)) }
        cellStarts = starts
        cellShapes = cells.flatMap(\.self)
        self.large = large
        simpleRings = shapes.map { shape in
            if case .polygons(let polygons) = shape, polygons.count == 1, polygons[0].holes.isEmpty {
                return polygons[0].outer
            }
            return nil
        }
    }

    @inline(__always)
    private static func clamp(_ value: Int, _ count: Int) -> Int { min(count - 1, max(0, value)) }

    /// Shapes whose bounding box holds the point (candidates; test them with `contains`).
    @inline(__always)
    public func forEachCandidate(at p: PlanarPoint, _ body: (Int) -> Void) {
        let column = Int(((p.x - origin.x) / cell).rounded(.down))
        let row = Int(((p.y - origin.y) / cell).rounded(.down))
        if column >= 0, column < columns, row >= 0, row < rows {
            let cell = row * columns + column
            cellShapes.withUnsafeBufferPointer { shapes in
                boxes.withUnsafeBufferPointer { boxes in
                    for slot in Int(cellStarts[cell])..<Int(cellStarts[cell + 1]) {
                        let index = Int(shapes[slot])
                        if boxes[index].contains(p) { body(index) }
                    }
                }
            }
        }
        for index in large where boxes[Int(index)].contains(p) { body(Int(index)) }
    }

    /// Whether shape `index` holds the point (boundary included).
    @inline(__always)
    public func contains(_ index: Int, _ p: PlanarPoint) -> Bool {
        if let ring = simpleRings[index] { return ring.locate(p) != .outside }
        return shapes[index].contains(p)
    }

    /// Calls `body` with every shape holding the point (membership).
    @inline(__always)
    public func forEachContaining(_ p: PlanarPoint, _ body: (Int) -> Void) {
        forEachCandidate(at: p) { index in
            if contains(index, p) { body(index) }
        }
    }

    /// Every shape holding the point (membership), in index order.
    public func containing(_ p: PlanarPoint) -> [Int] {
        var found: [Int] = []
        forEachContaining(p) { found.append($0) }
        return found.sorted()
    }

    /// Shapes whose bounding box meets a box (each once).
    public func candidates(in box: Box) -> [Int] {
        var found = Set<Int32>()
        let c0 = Self.clamp(Int(((box.minX - origin.x) / cell).rounded(.down)), columns)
        let c1 = Self.clamp(Int(((box.maxX - origin.x) / cell).rounded(.down)), columns)
        let r0 = Self.clamp(Int(((box.minY - origin.y) / cell).rounded(.down)), rows)
        let r1 = Self.clamp(Int(((box.maxY - origin.y) / cell).rounded(.down)), rows)
        if (c1 - c0 + 1) * (r1 - r0 + 1) <= 4096 {
            for row in r0...r1 {
                for column in c0...c1 {
                    let cell = row * columns + column
                    for slot in Int(cellStarts[cell])..<Int(cellStarts[cell + 1])
                    where boxes[Int(cellShapes[slot])].intersects(box) {
                        found.insert(cellShapes[slot])
                    }
                }
            }
        } else {
            for (index, candidate) in boxes.enumerated() where candidate.intersects(box) { found.insert(Int32(index)) }
        }
        for index in large where boxes[Int(index)].intersects(box) { found.insert(index) }
        return found.map(Int.init).sorted()
    }
}
