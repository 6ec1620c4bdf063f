/// A frame as ANSI text: cursor home, then each row with an SGR colour escape only where the colour changes.
public enum ANSIFrame {
    /// Colour depth of the terminal.
    public enum Colours: Sendable {
        /// xterm 256 colours.
        case indexed256
        /// The 16 basic colours.
        case basic16
    }

    /// The escape sequences for `grid`.
    public static func render(_ grid: CellGrid, colours: Colours = .indexed256) -> String {
        var out = "\u{1B}[H"
        for row in 0..<grid.rows {
            out += self.row(grid, row: row, colours: colours)
            if row + 1 < grid.rows { out += "\r\n" }
        }
        return out
    }

    /// One row of a grid with its colour escapes and a reset at the end.
    public static func row(_ grid: CellGrid, row: Int, colours: Colours = .indexed256) -> String {
        var out = ""
        var current: UInt8?
        for column in 0..<grid.columns {
            let colour = grid.colour(column: column, row: row)
            if colour != current {
                current = colour
                out += foreground(colour, colours)
            }
            out.append(grid.character(column: column, row: row))
        }
        return out + "\u{1B}[0m"
    }

    /// The escape that sets the foreground to an xterm-256 colour, or to its nearest basic colour.
    public static func foreground(_ colour: UInt8, _ colours: Colours) -> String {
        switch colours {
        case .indexed256: "\u{1B}[38;5;\(colour)m"
        case .basic16: "\u{1B}[\(basic(colour))m"
        }
    }

    /// The colour depth the terminal announces: 256 colours when `COLORTERM` is set or `TERM` names 256 colours
    /// (xterm-256color, tmux-256color, screen-256color…) or direct colour, the 16 basic ones otherwise (linux
    /// console, vt100, screen).
    public static func depth(term: String?, colorterm: String?) -> Colours {
        if let colorterm, !colorterm.isEmpty { return .indexed256 }
        guard let term else { return .basic16 }
        return term.contains("256") || term.contains("direct") ? .indexed256 : .basic16
    }

    /// The nearest of the 16 basic foreground codes (30–37, 90–97) to an xterm-256 index.
    static func basic(_ index: UInt8) -> Int {
        if index < 8 { return 30 + Int(index) }
        if index < 16 { return 90 + Int(index) - 8 }
        if index >= 232 { return index < 244 ? 90 : 97 }  // grey ramp: dark grey or white
        let cube = Int(index) - 16
        let (r, g, b) = (cube / 36, (cube / 6) % 6, cube % 6)
        let bright = max(r, g, b) >= 4
        let code = (r >= 2 ? 1 : 0) | (g >= 2 ? 2 : 0) | (b >= 2 ? 4 : 0)
        return (bright ? 90 : 30) + code
    }
}
