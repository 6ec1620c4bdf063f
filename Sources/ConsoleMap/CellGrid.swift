/// A terminal frame as cells: each has a character and a colour (xterm-256 index). Geometry is drawn as Braille dots
/// (2 × 4 per cell, as mapscii does) or, with `ascii`, as one mark per cell; glyphs and text overwrite cells.
public struct CellGrid: Sendable, Equatable {
    /// Columns.
    public let columns: Int
    /// Rows.
    public let rows: Int
    /// One mark per cell instead of Braille dots (terminals without Braille fonts).
    public let ascii: Bool
    /// The Braille dot mask of each cell (0: none).
    private var dots: [UInt8]
    /// A character that replaces the dots (glyphs, labels), or nil.
    private var glyphs: [Character?]
    /// The colour of each cell.
    private var colours: [UInt8]
    /// Cells a glyph or label occupies (labels avoid them).
    private var taken: [Bool]

    /// An empty grid.
    public init(columns: Int, rows: Int, ascii: Bool = false) {
        self.columns = max(1, columns)
        self.rows = max(1, rows)
        self.ascii = ascii
        let count = self.columns * self.rows
        dots = Array(repeating: 0, count: count)
        glyphs = Array(repeating: nil, count: count)
        colours = Array(repeating: 0, count: count)
        taken = Array(repeating: false, count: count)
    }

    /// Dots across (2 per column).
    public var dotWidth: Int { columns * 2 }
    /// Dots down (4 per row).
    public var dotHeight: Int { rows * 4 }

    private static let bits: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]

    /// Sets the dot at (`x`, `y`) (dots from the top left) in `colour`; outside the grid it is ignored.
    public mutating func dot(_ x: Int, _ y: Int, colour: UInt8) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        let cell = (y >> 2) * columns + (x >> 1)
        dots[cell] |= Self.bits[y & 3][x & 1]
        if glyphs[cell] == nil { colours[cell] = colour }
    }

    /// A line of dots from (x0, y0) to (x1, y1) (Bresenham), clipped to the grid.
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, colour: UInt8) {
        // Both ends far outside on the same side: nothing to draw.
        if (x0 < 0 && x1 < 0) || (y0 < 0 && y1 < 0) || (x0 >= dotWidth && x1 >= dotWidth)
            || (y0 >= dotHeight && y1 >= dotHeight)
        {
            return
        }
        // An end outside the grid: the segment is cut to the grid first (Liang–Barsky), so a long edge seen at a
        // close zoom costs the dots on screen, not the millions off it.
        var (x0, y0, x1, y1) = (x0, y0, x1, y1)
        let (width, height) = (dotWidth, dotHeight)
        let inside = { (x: Int, y: Int) in x >= 0 && y >= 0 && x < width && y < height }
        if !inside(x0, y0) || !inside(x1, y1) {
            guard let cut = Self.clip(x0, y0, x1, y1, width: dotWidth, height: dotHeight) else { return }
            (x0, y0, x1, y1) = cut
        }
        var x = x0
        var y = y0
        let dx = abs(x1 - x0)
        let dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1
        let sy = y0 < y1 ? 1 : -1
        var error = dx + dy
        var steps = 0
        let limit = 4 * (dotWidth + dotHeight) + dx - dy  // a long line off screen still ends
        while steps <= limit {
            dot(x, y, colour: colour)
            if x == x1 && y == y1 { break }
            let twice = 2 * error
            if twice >= dy {
                error += dy
                x += sx
            }
            if twice <= dx {
                error += dx
                y += sy
            }
            steps += 1
        }
    }

    /// The part of a segment within one dot of the grid, or nil when none is.
    public static func clip(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, width: Int, height: Int) -> (
        Int, Int, Int, Int
    )? {
        let (ax, ay) = (Double(x0), Double(y0))
        let (dx, dy) = (Double(x1 - x0), Double(y1 - y0))
        var low = 0.0
        var high = 1.0
        for (p, q) in [(-dx, ax + 1), (dx, Double(width) - ax), (-dy, ay + 1), (dy, Double(height) - ay)] {
            if p == 0 {
                if q < 0 { return nil }
                continue
            }
            let t = q / p
            if p < 0 { low = max(low, t) } else { high = min(high, t) }
            if low > high { return nil }
        }
        return (
            Int((ax + low * dx).rounded()), Int((ay + low * dy).rounded()), Int((ax + high * dx).rounded()),
            Int((ay + high * dy).rounded())
        )
    }

    /// Puts a character in a cell (a vehicle glyph); marks the cell taken.
    public mutating func glyph(_ character: Character, column: Int, row: Int, colour: UInt8) {
        guard column >= 0, row >= 0, column < columns, row < rows else { return }
        let cell = row * columns + column
        glyphs[cell] = character
        colours[cell] = colour
        taken[cell] = true
    }

    /// Whether text of `length` cells fits at (column, row) without covering a glyph or another label.
    public func isFree(column: Int, row: Int, length: Int) -> Bool {
        guard row >= 0, row < rows, column >= 0, column + length <= columns else { return false }
        return !(column..<(column + length)).contains { taken[row * columns + $0] }
    }

    /// Writes text (already sanitised) from (column, row); marks its cells taken.
    public mutating func text(_ text: String, column: Int, row: Int, colour: UInt8) {
        var at = column
        for character in text where at < columns {
            glyph(character, column: at, row: row, colour: colour)
            at += 1
        }
    }

    /// The character shown in a cell.
    public func character(column: Int, row: Int) -> Character {
        let cell = row * columns + column
        if let glyph = glyphs[cell] { return glyph }
        let mask = dots[cell]
        guard mask != 0 else { return " " }
        if ascii { return mask.nonzeroBitCount > 4 ? "#" : mask.nonzeroBitCount > 1 ? "+" : "." }
        return Character(Unicode.Scalar(0x2800 + UInt32(mask)) ?? " ")
    }

    /// The colour of a cell.
    public func colour(column: Int, row: Int) -> UInt8 { colours[row * columns + column] }

    /// The rows as plain text (what a golden test compares).
    public var lines: [String] {
        (0..<rows).map { row in String((0..<columns).map { character(column: $0, row: row) }) }
    }
}
