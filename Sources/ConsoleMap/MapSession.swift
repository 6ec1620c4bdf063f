public import OrbitaModel

/// An event as the panel lists it.
public struct PanelEvent: Sendable {
    /// Its number (for acknowledging).
    public var id: Int64
    /// One line: time, vehicle, kind, subject (sanitised when drawn).
    public var text: String
    /// Acknowledged already.
    public var acknowledged: Bool
    /// Where it happened, in the map's frame (Enter jumps there).
    public var point: PlanarPoint?

    /// Creates a panel line.
    public init(id: Int64, text: String, acknowledged: Bool, point: PlanarPoint?) {
        self.id = id
        self.text = text
        self.acknowledged = acknowledged
        self.point = point
    }
}

/// A line of the report panel: a trip (Enter replays it) or a stop or parking (Enter jumps there).
public struct MapReportRow: Sendable, Equatable {
    /// What the row is.
    public enum Kind: Sendable, Equatable {
        /// A trip from `from` to `to`.
        case trip(from: UTCInstant, to: UTCInstant)
        /// A stop or parking at a point of the map's frame (nil: not projectable).
        case halt(PlanarPoint?)
    }

    /// One line (sanitised when drawn).
    public var text: String
    /// What Enter does with it.
    public var kind: Kind

    /// Creates one.
    public init(text: String, kind: Kind) {
        self.text = text
        self.kind = kind
    }
}

/// The interactive map's state and its key map (mapscii's where it has one): arrows/hjkl pan, +/- and a/z zoom,
/// f follow the selected vehicle, Tab next vehicle, / search, g go to lat,lon, e the event panel (↑/↓ choose, Enter
/// jumps there, a acknowledges when allowed, e or Esc back), r replays the selected vehicle's track (←/→ step,
/// Space play, [/] speed, r or Esc end), p the selected vehicle's report for its day (↑/↓ choose, Enter replays a
/// trip or jumps to a stop, p or Esc back), n next search match, t labels, c Braille/ASCII, ? help, q or Ctrl-C
/// quit. Pure: the command runs the I/O.
public struct MapSession: Sendable {
    /// What a key asks of the command.
    public enum Command: Equatable, Sendable {
        /// Quit.
        case quit
        /// Acknowledge this event.
        case acknowledge(Int64)
        /// Centre on this coordinate.
        case goTo(Coordinate)
        /// Load this vehicle's track and start a replay (`startReplay`).
        case replay(String)
        /// Load this vehicle's report for its day and show it (`showReport`).
        case report(String)
        /// Load this vehicle's track from `from` to `to` and start a replay of it (`startReplay`).
        case replayTrip(String, from: UTCInstant, to: UTCInstant)
    }

    /// Where input goes.
    public enum Focus: Sendable, Equatable {
        case map, events, report
        /// Typing a search (vehicle ID or name) or a `g` target; the text so far.
        case search(String), goTo(String)
    }

    /// What the map shows.
    public var viewport: MapViewport
    /// The selected vehicle's ID.
    public var selected: String?
    /// Keep the selected vehicle in the centre.
    public var follow = false
    /// Where keys go.
    public var focus = Focus.map
    /// The event chosen in the panel.
    public var eventIndex = 0
    /// The help is shown.
    public var help = false
    /// A one-line message for the status line.
    public var message = ""
    /// Vehicle labels drawn.
    public var labels = true
    /// Plain marks instead of Braille dots.
    public var ascii = false
    /// The last search, for `n`.
    public private(set) var lastSearch = ""
    /// The replay running, if any.
    public var replay: MapReplay?
    /// Whether `a` may acknowledge (a dispatcher token, or a writable database).
    public var canAcknowledge: Bool
    /// The report shown in the panel: whose, its title and its rows.
    public private(set) var report: (vehicleID: String, title: String, rows: [MapReportRow])?
    /// The report row chosen.
    public var reportIndex = 0

    /// Shows a vehicle's report in the panel and gives it the keys.
    public mutating func showReport(vehicleID: String, title: String, rows: [MapReportRow]) {
        report = (vehicleID, title, rows)
        reportIndex = 0
        focus = .report
        if rows.isEmpty { message = "\(vehicleID): no trips or stops in \(title)" }
    }

    /// A session over a viewport.
    public init(viewport: MapViewport, canAcknowledge: Bool) {
        self.viewport = viewport
        self.canAcknowledge = canAcknowledge
    }

    /// Handles one key.
    public mutating func handle(_ key: Key, scene: MapScene, events: [PanelEvent]) -> Command? {
        message = ""
        if key == .interrupt { return .quit }
        switch focus {
        case .search(let text), .goTo(let text):
            return typing(key, text: text, scene: scene)
        case .report:
            return inReport(key)
        case .events:
            return inEvents(key, events: events)
        case .map:
            if replay != nil, inReplay(key) { return nil }
            return onMap(key, scene: scene)
        }
    }

    /// Starts a replay (the command loaded the track), following the replayed vehicle.
    public mutating func startReplay(_ replay: MapReplay?) {
        guard let replay else {
            message = "no stored track for \(selected ?? "-")"
            return
        }
        self.replay = replay
        follow = true
        viewport.center = replay.current.point
    }

    /// Advances a playing replay by `seconds` of wall time, keeping it centred when followed.
    public mutating func tick(seconds: Double) {
        guard var running = replay else { return }
        running.advance(seconds: seconds)
        replay = running
        if follow { viewport.center = running.current.point }
    }

    /// Replay keys; false for keys the map handles (zoom, pan up/down, help, quit).
    private mutating func inReplay(_ key: Key) -> Bool {
        guard var running = replay else { return false }
        switch key {
        case .left, .character("h"): running.step(-1)
        case .right, .character("l"): running.step(1)
        case .character(" "): running.playing.toggle()
        case .character("["): running.changeSpeed(faster: false)
        case .character("]"): running.changeSpeed(faster: true)
        case .character("r"), .escape:
            replay = nil
            message = "replay ended"
            return true
        default: return false
        }
        replay = running
        if follow { viewport.center = running.current.point }
        return true
    }

    /// Keeps a followed vehicle centred (call after new data).
    public mutating func track(_ scene: MapScene) {
        guard replay == nil, follow, let selected,
            let vehicle = scene.vehicles.first(where: { $0.id == selected })
        else { return }
        viewport.center = vehicle.point
    }

    private mutating func onMap(_ key: Key, scene: MapScene) -> Command? {
        let stepX = Double(viewport.columns) * viewport.metresPerDot / 2
        let stepY = Double(viewport.rows) * viewport.metresPerDot
        switch key {
        case .left, .character("h"): pan(-stepX, 0)
        case .right, .character("l"): pan(stepX, 0)
        case .up, .character("k"): pan(0, stepY)
        case .down, .character("j"): pan(0, -stepY)
        case .character("+"), .character("a"): viewport.metresPerDot = max(0.25, viewport.metresPerDot / 1.5)
        case .character("-"), .character("z"): viewport.metresPerDot = min(100_000, viewport.metresPerDot * 1.5)
        case .character("f"):
            follow.toggle()
            if follow && selected == nil { selected = scene.vehicles.map(\.id).sorted().first }
            track(scene)
            message = follow ? "following \(selected ?? "-")" : "follow off"
        case .tab:
            let ids = scene.vehicles.map(\.id).sorted()
            guard !ids.isEmpty else { return nil }
            let next = selected.flatMap { ids.firstIndex(of: $0) }.map { ($0 + 1) % ids.count } ?? 0
            selected = ids[next]
            if let vehicle = scene.vehicles.first(where: { $0.id == ids[next] }) { viewport.center = vehicle.point }
        case .character("/"): focus = .search("")
        case .character("n"): search(lastSearch, after: selected, scene: scene)
        case .character("t"):
            labels.toggle()
            message = labels ? "labels on" : "labels off"
        case .character("c"):
            ascii.toggle()
            message = ascii ? "ASCII marks" : "Braille dots"
        case .character("g"): focus = .goTo("")
        case .character("e"): focus = .events
        case .character("r"):
            guard let selected else {
                message = "select a vehicle first (Tab or /)"
                return nil
            }
            return .replay(selected)
        case .character("p"):
            guard let selected else {
                message = "select a vehicle first (Tab or /)"
                return nil
            }
            return .report(selected)
        case .character("?"): help.toggle()
        case .character("q"): return .quit
        case .escape: help = false
        default: break
        }
        return nil
    }

    private mutating func inReport(_ key: Key) -> Command? {
        guard let report else {
            focus = .map
            return nil
        }
        switch key {
        case .up, .character("k"): reportIndex = max(0, reportIndex - 1)
        case .down, .character("j"): reportIndex = min(max(0, report.rows.count - 1), reportIndex + 1)
        case .enter:
            guard report.rows.indices.contains(reportIndex) else { return nil }
            switch report.rows[reportIndex].kind {
            case .trip(let from, let to):
                return .replayTrip(report.vehicleID, from: from, to: to)
            case .halt(let point):
                guard let point else { return nil }
                follow = false
                viewport.center = point
            }
        case .character("p"), .escape:
            focus = .map
            self.report = nil
        case .character("q"): return .quit
        default: break
        }
        return nil
    }

    /// Selects and centres the first vehicle whose ID or name contains `text` (case-insensitive), after `after` in
    /// ID order when given (wrapping round).
    private mutating func search(_ text: String, after: String?, scene: MapScene) {
        let needle = text.lowercased()
        guard !needle.isEmpty else {
            message = "nothing searched yet: / to search"
            return
        }
        lastSearch = text
        let matches = scene.vehicles.sorted { $0.id < $1.id }.filter {
            $0.id.lowercased().contains(needle) || $0.label.lowercased().contains(needle)
        }
        guard let first = matches.first else {
            message = "no vehicle matches \(text)"
            return
        }
        let match = after.flatMap { current in matches.first { $0.id > current } } ?? first
        selected = match.id
        viewport.center = match.point
        message =
            "\(match.id): match \((matches.firstIndex { $0.id == match.id } ?? 0) + 1) of \(matches.count) (n next)"
    }

    private mutating func pan(_ dx: Double, _ dy: Double) {
        follow = false
        viewport.center = PlanarPoint(x: viewport.center.x + dx, y: viewport.center.y + dy)
    }

    private mutating func inEvents(_ key: Key, events: [PanelEvent]) -> Command? {
        switch key {
        case .up, .character("k"): eventIndex = max(0, eventIndex - 1)
        case .down, .character("j"): eventIndex = min(max(0, events.count - 1), eventIndex + 1)
        case .enter:
            if events.indices.contains(eventIndex), let point = events[eventIndex].point {
                follow = false
                viewport.center = point
            }
        case .character("a"):
            guard events.indices.contains(eventIndex) else { return nil }
            guard canAcknowledge else {
                message = "read-only: acknowledging needs a dispatcher token or --writable"
                return nil
            }
            return .acknowledge(events[eventIndex].id)
        case .character("e"), .escape: focus = .map
        case .character("q"): return .quit
        default: break
        }
        return nil
    }

    private mutating func typing(_ key: Key, text: String, scene: MapScene) -> Command? {
        let searching = if case .search = focus { true } else { false }
        switch key {
        case .escape:
            focus = .map
        case .backspace:
            focus = searching ? .search(String(text.dropLast())) : .goTo(String(text.dropLast()))
        case .character(let character):
            let grown = String((text + String(character)).prefix(60))
            focus = searching ? .search(grown) : .goTo(grown)
        case .enter:
            focus = .map
            if searching {
                search(text, after: nil, scene: scene)
            } else {
                let parts = text.split(separator: ",").compactMap { Double(String($0.filter { $0 != " " })) }
                guard parts.count == 2, abs(parts[0]) <= 90, abs(parts[1]) <= 180 else {
                    message = "go to: type lat,lon (e.g. 55.75,37.62)"
                    return nil
                }
                return .goTo(Coordinate(latitude: parts[0], longitude: parts[1]))
            }
        default: break
        }
        return nil
    }
}
