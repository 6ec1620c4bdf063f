import ConsoleMap
import OrbitaModel
import Testing

@Suite("terminal map renderer")
struct MapRendererTests {
    /// A 20 × 10 cell view centred on (0, 0), 10 m a dot: a cell is 20 m wide and 40 m tall.
    let view = MapViewport(center: PlanarPoint(x: 0, y: 0), metresPerDot: 10, columns: 20, rows: 10)

    func scene(_ vehicles: [MapVehicle], overlays: [MapLine] = []) -> MapScene {
        var scene = MapScene()
        scene.vehicles = vehicles
        scene.overlays = overlays
        return scene
    }

    @Test func aVehicleIsDrawnInItsCellWithItsStatesGlyphAndColour() {
        // (0, 0) is the top-left dot of cell (10, 5); 25 m east and 50 m south move it one cell right and down.
        let cases: [(MarkerState, Double?, Character, UInt8)] = [
            (.moving, 90, "→", 46), (.moving, 359, "↑", 46), (.moving, 225, "↙", 46), (.stopped, nil, "■", 226),
            (.stale, 10, "□", 244), (.alarm, 90, "!", 196),
        ]
        for (state, course, glyph, colour) in cases {
            let grid = MapRenderer.render(
                scene([
                    MapVehicle(
                        id: "A", label: "", point: PlanarPoint(x: 25, y: -50), state: state, courseDegrees: course)
                ]),
                viewport: view)
            #expect(grid.character(column: 11, row: 6) == glyph, "\(state) \(String(describing: course))")
            #expect(grid.colour(column: 11, row: 6) == colour)
            #expect(grid.lines.joined().filter { $0 != " " }.count == 1, "one mark only")
        }
        let ascii = MapRenderer.render(
            scene([MapVehicle(id: "A", label: "", point: PlanarPoint(x: 0, y: 0), state: .moving, courseDegrees: 180)]),
            viewport: view, ascii: true)
        #expect(ascii.character(column: 10, row: 5) == "v")
    }

    @Test func aSquareFenceIsAnOutlineOfBrailleDots() {
        // A 100 m square from (-50, -50) to (50, 50).
        let square = MapLine(
            points: [
                PlanarPoint(x: -50, y: -50), PlanarPoint(x: 50, y: -50), PlanarPoint(x: 50, y: 50),
                PlanarPoint(x: -50, y: 50),
            ], closed: true, colour: 141)
        let grid = MapRenderer.render(scene([], overlays: [square]), viewport: view)
        // Dots 15…25 both ways: cells 7…12 across, rows 3…6 down; the left edge (dot 15) is the right column of cell 7.
        let expected = [
            "                    ",
            "                    ",
            "                    ",
            "       ⢀⣀⣀⣀⣀⣀       ",
            "       ⢸    ⢸       ",
            "       ⢸    ⢸       ",
            "       ⠘⠒⠒⠒⠒⠚       ",
            "                    ",
            "                    ",
            "                    ",
        ]
        #expect(grid.lines == expected, "\n\(grid.lines.joined(separator: "\n"))")
        #expect(grid.colour(column: 7, row: 4) == 141)
        // Off screen entirely: nothing drawn.
        let far = MapLine(points: [PlanarPoint(x: 5_000, y: 0), PlanarPoint(x: 6_000, y: 0)], colour: 1)
        #expect(
            MapRenderer.render(scene([], overlays: [far]), viewport: view).lines.allSatisfy {
                $0.allSatisfy { $0 == " " }
            })
    }

    @Test func labelsGoBesideTheirVehicleAndNeverOverEachOther() {
        let a = MapVehicle(id: "A", label: "Bus 1", point: PlanarPoint(x: 0, y: 0), state: .moving, courseDegrees: 0)
        // B sits right after A's label would start: A's label must go elsewhere or B's.
        let b = MapVehicle(id: "B", label: "Bus 2", point: PlanarPoint(x: 40, y: 0), state: .stopped)
        let grid = MapRenderer.render(scene([a, b]), viewport: view)
        let row = grid.lines[5]
        #expect(Array(row)[10] == "↑" && Array(row)[12] == "■", "\(row)")
        // A's label cannot start at column 11 (it would cover B at 12): it goes left of A.
        #expect(row.contains("Bus 1↑"), "\(grid.lines.joined(separator: "\n"))")
        #expect(row.contains("■Bus 2"), "\(row)")
        // Every label character sits on a free cell: no glyph was overwritten.
        #expect(grid.lines.joined().filter { $0 == "↑" || $0 == "■" }.count == 2)
    }

    @Test func crowdedVehiclesShowAsACountInTheWorstStatesColour() {
        let three = (0..<3).map {
            MapVehicle(id: "V\($0)", label: "V\($0)", point: PlanarPoint(x: Double($0), y: 0), state: .stopped)
        }
        let grid = MapRenderer.render(scene(three), viewport: view)
        #expect(grid.character(column: 10, row: 5) == "3")
        #expect(grid.colour(column: 10, row: 5) == 226)
        var twelve = (0..<12).map {
            MapVehicle(
                id: "W\($0)", label: "W", point: PlanarPoint(x: Double($0), y: 0), state: .moving, courseDegrees: 0)
        }
        twelve[5].state = .alarm
        let crowded = MapRenderer.render(scene(twelve), viewport: view)
        #expect(crowded.character(column: 10, row: 5) == "+")
        #expect(crowded.colour(column: 10, row: 5) == 196)
        #expect(!crowded.lines.joined().contains("W"), "no labels for a cluster")
    }

    @Test func escapeSequencesInNamesAreRenderedInert() {
        let hostile = "\u{1B}]0;owned\u{07}\u{1B}[2J\u{9B}31m\u{202E}evil"
        let vehicle = MapVehicle(id: "X", label: hostile, point: PlanarPoint(x: 0, y: 0), state: .stopped)
        let grid = MapRenderer.render(scene([vehicle]), viewport: view)
        let text = grid.lines.joined()
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        #expect(!text.unicodeScalars.contains { $0.value == 0x202E })
        // The frame's only escapes are its own: cursor home, one colour per colour change, a reset per row.
        let frame = ANSIFrame.render(grid)
        let escapes = frame.unicodeScalars.count { $0.value == 0x1B }
        let changes = (0..<grid.rows).map { row in
            (0..<grid.columns).reduce((count: 0, last: UInt8?.none)) { state, column in
                let colour = grid.colour(column: column, row: row)
                return (state.count + (colour == state.last ? 0 : 1), colour)
            }.count
        }.reduce(0, +)
        #expect(escapes == 1 + changes + grid.rows)
        #expect(TerminalText.sanitise("Bus\u{1B}[31m 7") == "Bus?[31m 7")
        #expect(TerminalText.sanitise("Автобус 17") == "Автобус 17")
    }

    @Test func basemapsAreThinnedToWhatADotCanShow() {
        // A 1 km line with 1,001 vertices wobbling ±0.2 m: at 1 m per dot only its ends matter.
        let wobbly = (0...1_000).map { PlanarPoint(x: Double($0), y: $0 % 2 == 0 ? 0.2 : -0.2) }
        #expect(MapSimplifier.simplify(wobbly, tolerance: 1) == [wobbly[0], wobbly[1_000]])
        // A zigzag of 100 m teeth keeps every corner at 10 m per dot, none of them at 200 m per dot.
        let teeth = (0...10).map { PlanarPoint(x: Double($0) * 100, y: $0 % 2 == 0 ? 0 : 100) }
        #expect(MapSimplifier.simplify(teeth, tolerance: 10).count == 11)
        #expect(MapSimplifier.simplify(teeth, tolerance: 200).count == 2)
        // A line shorter than a dot is dropped from the layer.
        let speck = [PlanarPoint(x: 0, y: 0), PlanarPoint(x: 0.5, y: 0.5), PlanarPoint(x: 0.2, y: 0.9)]
        let layer = MapSimplifier([MapLine(points: wobbly, colour: 240), MapLine(points: speck, colour: 240)])
        #expect(layer.vertexCount == 1_004)
        let far = layer.lines(metresPerDot: 2)
        #expect(far.count == 1 && far[0].points.count == 2)
        let near = layer.lines(metresPerDot: 0.1)
        #expect(near.count == 2 && near[0].points.count == 1_001, "zoomed in, the wobble shows")
    }

    @Test func aCrowdedViewIsClusteredByBlocksWithCountsThatAddUp() {
        // 40 × 20 cells, 10 m per dot: a vehicle every 2 columns on every row (400 of 800 cells, crowded).
        var scene = MapScene()
        let viewport = MapViewport(center: PlanarPoint(x: 0, y: 0), metresPerDot: 10, columns: 40, rows: 20)
        for row in 0..<20 {
            for column in stride(from: 0, to: 40, by: 2) {
                let point = PlanarPoint(x: Double(column * 2 - 40) * 10 + 5, y: Double(40 - row * 4) * 10 - 5)
                let state: MarkerState = row == 3 && column == 8 ? .alarm : .moving
                scene.vehicles.append(MapVehicle(id: "V\(row)-\(column)", label: "", point: point, state: state))
            }
        }
        let grid = MapRenderer.render(scene, viewport: viewport)
        // Each 4 × 2 block holds 2 columns × 2 rows of vehicles: every block shows 4, 10 × 10 blocks.
        let counts = grid.lines.flatMap { $0.split(whereSeparator: { !$0.isNumber }) }.compactMap { Int($0) }
        #expect(counts.count == 100 && counts.allSatisfy { $0 == 4 }, "\(grid.lines.joined(separator: "\n"))")
        #expect(counts.reduce(0, +) == 400)
        // The block with the alarm (rows 2–3, columns 8–11) is red.
        #expect(grid.colour(column: 9, row: 2) == MapRenderer.colour(of: .alarm))
        #expect(grid.colour(column: 13, row: 2) == MapRenderer.colour(of: .moving))
        // Fewer vehicles (one cell in 20 or less) are drawn one by one.
        scene.vehicles = Array(scene.vehicles.prefix(40))
        let sparse = MapRenderer.render(scene, viewport: viewport)
        #expect(sparse.lines.joined().filter { $0 == "●" }.count == 40, "\(sparse.lines.joined(separator: "\n"))")
    }

    @Test func theColourDepthFollowsTheTerminalAndSixteenColoursUseBasicCodes() {
        #expect(ANSIFrame.depth(term: "xterm-256color", colorterm: nil) == .indexed256)
        #expect(ANSIFrame.depth(term: "tmux-256color", colorterm: nil) == .indexed256)
        #expect(ANSIFrame.depth(term: "linux", colorterm: nil) == .basic16)
        #expect(ANSIFrame.depth(term: "screen", colorterm: "truecolor") == .indexed256)
        #expect(ANSIFrame.depth(term: nil, colorterm: nil) == .basic16)
        var grid = CellGrid(columns: 4, rows: 1)
        grid.glyph("!", column: 0, row: 0, colour: MapRenderer.colour(of: .alarm))
        grid.glyph("■", column: 1, row: 0, colour: MapRenderer.colour(of: .stopped))
        let basic = ANSIFrame.render(grid, colours: .basic16)
        #expect(!basic.contains("38;5;") && basic.contains("\u{1B}[91m!") && basic.contains("\u{1B}[93m■"), "\(basic)")
        #expect(ANSIFrame.render(grid).contains("\u{1B}[38;5;196m!"))
    }

    @Test func wideCharactersAndEscapesNeverReachTheStatusLineOrLabels() {
        #expect(TerminalText.sanitise("𠮷野家 bus 🚌") == "??? bus ?")
        var session = MapSession(
            viewport: MapViewport(center: PlanarPoint(x: 0, y: 0), metresPerDot: 10, columns: 40, rows: 10),
            canAcknowledge: false)
        session.message = "x"
        let screen = MapScreen.compose(
            session: session, scene: MapScene(), events: [], status: "selected \u{1B}]0;pwned\u{07}", columns: 60,
            rows: 10)
        #expect(!screen.contains("\u{1B}]"), "the status line is sanitised")
    }

    @Test func aLongEdgeIsClippedToTheGrid() throws {
        // From far left to far right through the middle row: exactly the grid's width of dots, none outside.
        let cut = try #require(CellGrid.clip(-1_000_000, 10, 1_000_000, 10, width: 80, height: 40))
        #expect(cut == (-1, 10, 80, 10))
        #expect(CellGrid.clip(-50, -50, -10, -10, width: 80, height: 40) == nil)
        var grid = CellGrid(columns: 40, rows: 10)
        grid.line(-1_000_000_000, 10, 1_000_000_000, 10, colour: 1)
        #expect(grid.lines[2].allSatisfy { $0 != " " }, "\(grid.lines[2])")
    }
}
