import OrbitaModel

/// Draws a scene into a cell grid: lines as Braille dots (consecutive vertices on the same dot skipped, lines off the
/// view culled by their boxes), vehicles as glyphs coloured and shaped by state, several vehicles in one cell as a
/// count (`2`…`9`, `+`), labels beside their vehicle where they collide with nothing already placed; a crowded view
/// clusters vehicles by blocks of cells and shows the count of each block.
public enum MapRenderer {
    /// Colours (xterm-256) by marker state.
    public static func colour(of state: MarkerState) -> UInt8 {
        switch state {
        case .moving: 46
        case .stopped: 226
        case .stale: 244
        case .alarm: 196
        }
    }

    /// The label colour.
    public static let labelColour: UInt8 = 252

    /// The colour of place names (darker than vehicle labels: they are background).
    public static let placeColour: UInt8 = 180

    /// The glyph of a single vehicle.
    public static func glyph(_ state: MarkerState, course: Double?, ascii: Bool) -> Character {
        switch state {
        case .alarm: return "!"
        case .stale: return ascii ? "o" : "□"
        case .stopped: return ascii ? "#" : "■"
        case .moving:
            guard let course, course.isFinite else { return ascii ? "*" : "●" }
            let normalised = (course.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360)
            let sector = Int((normalised + 22.5) / 45) % 8
            let arrows: [Character] =
                ascii ? ["^", "/", ">", "\\", "v", "/", "<", "\\"] : ["↑", "↗", "→", "↘", "↓", "↙", "←", "↖"]
            return arrows[sector]
        }
    }

    /// Renders `scene` as seen through `viewport`.
    public static func render(
        _ scene: MapScene, viewport: MapViewport, ascii: Bool = false, labels: Bool = true
    ) -> CellGrid {
        var grid = CellGrid(columns: viewport.columns, rows: viewport.rows, ascii: ascii)
        let halfWidth = Double(viewport.columns) * viewport.metresPerDot
        let halfHeight = Double(viewport.rows) * 2 * viewport.metresPerDot
        let low = (x: viewport.center.x - halfWidth, y: viewport.center.y - halfHeight)
        let high = (x: viewport.center.x + halfWidth, y: viewport.center.y + halfHeight)
        for line in scene.basemap + scene.overlays {
            guard line.points.count > 1, line.maximum.x >= low.x, line.minimum.x <= high.x, line.maximum.y >= low.y,
                line.minimum.y <= high.y
            else { continue }
            var previous = viewport.dot(line.points[0])
            for point in line.points.dropFirst() {
                let next = viewport.dot(point)
                if next != previous {
                    grid.line(previous.x, previous.y, next.x, next.y, colour: line.colour)
                    previous = next
                }
            }
            if line.closed {
                let first = viewport.dot(line.points[0])
                grid.line(previous.x, previous.y, first.x, first.y, colour: line.colour)
            }
        }

        // Vehicles by cell: one glyph per occupied cell.
        var cells: [Int: [Int]] = [:]
        for (index, vehicle) in scene.vehicles.enumerated() {
            let (column, row) = viewport.cell(vehicle.point)
            guard column >= 0, row >= 0, column < viewport.columns, row < viewport.rows else { continue }
            cells[row * viewport.columns + column, default: []].append(index)
        }
        var singles: [(vehicle: MapVehicle, column: Int, row: Int)] = []
        if cells.count > viewport.columns * viewport.rows / crowdedShare {
            cluster(scene, cells: cells, viewport: viewport, into: &grid, singles: &singles, ascii: ascii)
        } else {
            for (cell, members) in cells {
                let column = cell % viewport.columns
                let row = cell / viewport.columns
                let worst = members.map { scene.vehicles[$0].state }.max() ?? .stale
                if members.count == 1 {
                    singles.append(
                        single(scene.vehicles[members[0]], column: column, row: row, into: &grid, ascii: ascii))
                } else {
                    let count: Character = members.count < 10 ? Character(String(members.count)) : "+"
                    grid.glyph(count, column: column, row: row, colour: colour(of: worst))
                }
            }
        }
        // Labels: alarms first, then by ID, so the same scene always labels the same vehicles.
        singles.sort {
            ($0.vehicle.state == .alarm ? 0 : 1, $0.vehicle.id) < ($1.vehicle.state == .alarm ? 0 : 1, $1.vehicle.id)
        }
        for (vehicle, column, row) in singles where labels {
            let label = TerminalText.sanitise(vehicle.label, limit: 16)
            guard !label.isEmpty else { continue }
            let length = label.count
            let places = [(column + 1, row), (column - length, row), (column + 1, row - 1), (column + 1, row + 1)]
            if let (labelColumn, labelRow) = places.first(where: {
                grid.isFree(column: $0.0, row: $0.1, length: length)
            }) {
                grid.text(label, column: labelColumn, row: labelRow, colour: labelColour)
            }
        }
        if labels { placeNames(scene.places, viewport: viewport, into: &grid, ascii: ascii) }
        return grid
    }

    /// Places in view, most important first: a dot and the name to its right (or left) where neither covers a
    /// vehicle, a label or an earlier name; a place whose name does not fit is left out entirely.
    static func placeNames(_ places: [MapPlace], viewport: MapViewport, into grid: inout CellGrid, ascii: Bool) {
        for place in places where viewport.metresPerDot <= place.maximumMetresPerDot {
            let (column, row) = viewport.cell(place.point)
            guard column >= 0, row >= 0, column < viewport.columns, row < viewport.rows else { continue }
            let name = TerminalText.sanitise(place.name, limit: 20)
            guard !name.isEmpty, grid.isFree(column: column, row: row, length: 1) else { continue }
            let length = name.count
            guard
                let start = [column + 1, column - length].first(where: {
                    grid.isFree(column: $0, row: row, length: length)
                })
            else { continue }
            grid.glyph(ascii ? "." : "•", column: column, row: row, colour: placeColour)
            grid.text(name, column: start, row: row, colour: placeColour)
        }
    }

    /// Draws one vehicle's glyph in its state's colour; returns it with its cell, for labelling.
    static func single(_ vehicle: MapVehicle, column: Int, row: Int, into grid: inout CellGrid, ascii: Bool) -> (
        vehicle: MapVehicle, column: Int, row: Int
    ) {
        grid.glyph(
            glyph(vehicle.state, course: vehicle.courseDegrees, ascii: ascii), column: column, row: row,
            colour: colour(of: vehicle.state))
        return (vehicle, column, row)
    }

    /// The view is crowded when more than one cell in this many holds a vehicle; then vehicles are clustered.
    public static let crowdedShare = 20

    /// Clustering for a crowded view (grid clustering, as Supercluster and Leaflet.markercluster do at low zoom):
    /// vehicles are grouped by blocks of 4 × 2 cells (8 × 8 Braille dots, about square); a block holding one vehicle
    /// shows it as usual, a block holding more shows their count (`12`, `3k`, `9k+`) near their centre, in the colour of
    /// the worst state among them.
    static func cluster(
        _ scene: MapScene, cells: [Int: [Int]], viewport: MapViewport, into grid: inout CellGrid,
        singles: inout [(vehicle: MapVehicle, column: Int, row: Int)], ascii: Bool
    ) {
        let blockColumns = 4
        let blockRows = 2
        var blocks: [Int: [(index: Int, column: Int, row: Int)]] = [:]
        let blocksAcross = (viewport.columns + blockColumns - 1) / blockColumns
        for (cell, members) in cells {
            let column = cell % viewport.columns
            let row = cell / viewport.columns
            let block = (row / blockRows) * blocksAcross + column / blockColumns
            for index in members { blocks[block, default: []].append((index, column, row)) }
        }
        // Counts are drawn in block order so that the frame is the same for the same scene.
        for block in blocks.keys.sorted() {
            guard let members = blocks[block] else { continue }
            if members.count == 1 {
                let (index, column, row) = members[0]
                singles.append(single(scene.vehicles[index], column: column, row: row, into: &grid, ascii: ascii))
                continue
            }
            let worst = members.map { scene.vehicles[$0.index].state }.max() ?? .stale
            let count = members.count
            let text = count < 1_000 ? String(count) : count < 10_000 ? "\(count / 1_000)k" : "9k+"
            let centreColumn = members.reduce(0) { $0 + $1.column } / count
            let centreRow = members.reduce(0) { $0 + $1.row } / count
            // Within the block's first three columns: the fourth stays clear, so neighbouring counts never run
            // together into one number.
            let blockStart = (block % blocksAcross) * blockColumns
            let start = max(blockStart, min(blockStart + 3 - text.count, centreColumn - (text.count - 1) / 2))
            grid.text(text, column: start, row: centreRow, colour: colour(of: worst))
        }
    }
}
