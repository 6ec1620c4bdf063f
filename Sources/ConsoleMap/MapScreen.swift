import OrbitaModel

/// The interactive map's screen: the map on the left, a panel on the right (events newest first, unacknowledged
/// marked `*`; the vehicles, the selected one marked `>`), a status line at the bottom, the help over the map.
public enum MapScreen {
    /// Columns of the panel (none on terminals narrower than 80 columns).
    public static func panelWidth(columns: Int) -> Int { columns >= 80 ? min(44, columns / 3) : 0 }

    static let helpLines = [
        "arrows/hjkl pan   +/- or a/z zoom   f follow selected   Tab next vehicle",
        "/ search vehicle (n next match)   g go to lat,lon   e event panel: up/down, Enter jump, a ack, e back",
        "t labels on/off   c Braille/ASCII   Ctrl-C or q quit",
        "r replay selected vehicle: left/right step, Space play/pause, [ ] slower/faster, r or Esc end",
        "p report of the selected vehicle's day: up/down, Enter replays a trip or jumps to a stop, p back",
        "  replay trail by speed: grey < 5 km/h, orange < 30, green < 60, cyan 60 and over",
        "? this help   q quit",
    ]

    /// The full screen as ANSI text (cursor home first, so frames overwrite without flicker).
    public static func compose(
        session: MapSession, scene: MapScene, events: [PanelEvent], status: String, columns: Int, rows: Int,
        ascii: Bool = false, colours: ANSIFrame.Colours = .indexed256
    ) -> String {
        let panel = panelWidth(columns: columns)
        let mapColumns = max(10, columns - panel - (panel > 0 ? 1 : 0))
        let mapRows = max(3, rows - 1)
        var viewport = session.viewport
        viewport.columns = mapColumns
        viewport.rows = mapRows
        let scene =
            session.replay.map { replay in
                replay.scene(
                    over: scene, label: scene.vehicles.first { $0.id == replay.vehicleID }?.label ?? replay.vehicleID)
            } ?? scene
        var grid = MapRenderer.render(scene, viewport: viewport, ascii: ascii || session.ascii, labels: session.labels)
        if let selected = session.selected, let vehicle = scene.vehicles.first(where: { $0.id == selected }) {
            let (column, row) = viewport.cell(vehicle.point)
            // Brackets around the selected vehicle where they fit.
            if grid.isFree(column: column - 1, row: row, length: 1) {
                grid.glyph("[", column: column - 1, row: row, colour: 15)
            }
            if grid.isFree(column: column + 1, row: row, length: 1) {
                grid.glyph("]", column: column + 1, row: row, colour: 15)
            }
        }
        if session.help {
            for (index, line) in helpLines.enumerated() where index + 1 < mapRows {
                grid.text(String(line.prefix(mapColumns - 2)), column: 1, row: index + 1, colour: 231)
            }
        }
        let panelLines = panelText(
            session: session, scene: scene, events: events, width: panel, rows: mapRows)
        var out = "\u{1B}[H"
        for row in 0..<mapRows {
            out += ANSIFrame.row(grid, row: row, colours: colours)
            if panel > 0 {
                let (text, colour) = row < panelLines.count ? panelLines[row] : ("", 252)
                out +=
                    ANSIFrame.foreground(240, colours) + "│" + ANSIFrame.foreground(colour, colours) + pad(text, panel)
                    + "\u{1B}[0m"
            }
            out += "\r\n"
        }
        var footer = session.replay?.status ?? status
        switch session.focus {
        case .search(let text): footer = "search: " + TerminalText.sanitise(text, limit: 60) + "_"
        case .goTo(let text): footer = "go to lat,lon: " + TerminalText.sanitise(text, limit: 60) + "_"
        default:
            if !session.message.isEmpty {
                footer = TerminalText.sanitise(session.message, limit: 200) + " · " + footer
            }
        }
        // The status line holds vehicle IDs and server error texts: sanitised like every other name.
        out += "\u{1B}[7m" + pad(TerminalText.sanitise(footer, limit: columns), columns) + "\u{1B}[0m"
        return out
    }

    /// The panel's lines with their colours.
    public static func panelText(session: MapSession, scene: MapScene, events: [PanelEvent], width: Int, rows: Int)
        -> [(String, UInt8)]
    {
        guard width > 0 else { return [] }
        var lines: [(String, UInt8)] = []
        if session.focus == .report, let report = session.report {
            lines.append(("REPORT " + TerminalText.sanitise(report.vehicleID, limit: width - 7), 231))
            lines.append((TerminalText.sanitise(report.title + " (Enter, p back)", limit: width), 250))
            let room = max(1, rows - lines.count)
            let first = max(0, min(session.reportIndex - room / 2, report.rows.count - room))
            for (offset, row) in report.rows.dropFirst(first).prefix(room).enumerated() {
                let index = first + offset
                let marker = index == session.reportIndex ? ">" : " "
                let colour: UInt8 = if case .trip = row.kind { 117 } else { 214 }
                lines.append((marker + TerminalText.sanitise(row.text, limit: width - 1), colour))
            }
            return lines
        }
        let inEvents = session.focus == .events
        let eventRows = max(3, rows / 2)
        lines.append((inEvents ? "EVENTS (a ack, Enter jump, e back)" : "Events (e)", inEvents ? 231 : 250))
        let first = max(0, session.eventIndex - (eventRows - 2))
        for (offset, event) in events.dropFirst(first).prefix(eventRows - 1).enumerated() {
            let index = first + offset
            let marker = inEvents && index == session.eventIndex ? ">" : " "
            let flag = event.acknowledged ? " " : "*"
            let text = marker + flag + TerminalText.sanitise(event.text, limit: width - 2)
            lines.append((text, event.acknowledged ? 244 : 214))
        }
        while lines.count < eventRows { lines.append(("", 252)) }
        lines.append(("Vehicles (\(scene.vehicles.count))", 250))
        let vehicles = scene.vehicles.sorted { $0.id < $1.id }
        let selectedIndex = vehicles.firstIndex { $0.id == session.selected } ?? 0
        let room = rows - lines.count
        let start = max(0, min(selectedIndex - room / 2, vehicles.count - room))
        for vehicle in vehicles.dropFirst(start).prefix(max(0, room)) {
            let marker = vehicle.id == session.selected ? ">" : " "
            let glyph = MapRenderer.glyph(vehicle.state, course: vehicle.courseDegrees, ascii: false)
            let name = vehicle.label == vehicle.id ? vehicle.id : vehicle.id + " " + vehicle.label
            lines.append(
                (
                    marker + String(glyph) + " " + TerminalText.sanitise(name, limit: width - 3),
                    MapRenderer.colour(of: vehicle.state)
                ))
        }
        return lines
    }

    static func pad(_ text: String, _ width: Int) -> String {
        let cut = String(text.prefix(width))
        return cut + String(repeating: " ", count: max(0, width - cut.count))
    }
}
