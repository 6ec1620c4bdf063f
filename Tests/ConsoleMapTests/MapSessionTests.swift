import ConsoleMap
import OrbitaModel
import Testing

@Suite("terminal map keys")
struct MapSessionTests {
    let scene: MapScene = {
        var scene = MapScene()
        scene.vehicles = [
            MapVehicle(id: "B2", label: "Tram 2", point: PlanarPoint(x: 500, y: 0), state: .moving, courseDegrees: 0),
            MapVehicle(id: "A1", label: "Bus 1", point: PlanarPoint(x: -500, y: 0), state: .stopped),
        ]
        return scene
    }()
    let events = [PanelEvent(id: 7, text: "x", acknowledged: false, point: PlanarPoint(x: 100, y: 100))]

    func session(canAcknowledge: Bool = false) -> MapSession {
        MapSession(
            viewport: MapViewport(center: PlanarPoint(x: 0, y: 0), metresPerDot: 10, columns: 40, rows: 20),
            canAcknowledge: canAcknowledge)
    }

    @Test func searchNextMatchLabelsAndMarksToggle() {
        var map = session()
        for key in "/a1" { _ = map.handle(.character(key), scene: scene, events: events) }
        _ = map.handle(.enter, scene: scene, events: events)
        #expect(map.selected == "A1" && map.message.contains("match 1 of 1"))
        // "b" matches "Bus 1" (A1) and "B2": n goes to the next and wraps round.
        for key in "/b" { _ = map.handle(.character(key), scene: scene, events: events) }
        _ = map.handle(.enter, scene: scene, events: events)
        #expect(map.selected == "A1")
        _ = map.handle(.character("n"), scene: scene, events: events)
        #expect(map.selected == "B2" && map.message.contains("match 2 of 2"))
        _ = map.handle(.character("n"), scene: scene, events: events)
        #expect(map.selected == "A1")
        _ = map.handle(.character("t"), scene: scene, events: events)
        _ = map.handle(.character("c"), scene: scene, events: events)
        #expect(!map.labels && map.ascii)
        let screen = MapScreen.compose(
            session: map, scene: scene, events: [], status: "", columns: 40, rows: 20)
        #expect(!screen.contains("Tram 2") && !screen.contains("⠀"), "no labels, no Braille")
    }

    @Test func escapeSequencesWithParametersAndCutOffOnesAreNotMisread() {
        // Ctrl-Right, Delete, Home (SS3), then a sequence cut off at the end of a read.
        #expect(Key.parse(Array("\u{1B}[1;5C\u{1B}[3~\u{1B}OHx\u{1B}[1;".utf8)) == [.right, .character("x")])
        #expect(Key.parse([0x03]) == [.interrupt])
        var map = session()
        _ = map.handle(.character("/"), scene: scene, events: events)
        #expect(map.handle(.interrupt, scene: scene, events: events) == .quit, "Ctrl-C quits even while typing")
    }

    @Test func keysFromATerminalAreParsed() {
        #expect(
            Key.parse(Array("\u{1B}[A\u{1B}[D\tq+\r\u{1B}".utf8)) == [
                .up, .left, .tab, .character("q"), .character("+"), .enter, .escape,
            ])
    }

    @Test func panZoomSelectFollowAndQuit() {
        var map = session()
        _ = map.handle(.character("l"), scene: scene, events: events)
        #expect(map.viewport.center.x > 0)
        _ = map.handle(.character("+"), scene: scene, events: events)
        #expect(map.viewport.metresPerDot < 10)
        _ = map.handle(.tab, scene: scene, events: events)
        #expect(map.selected == "A1" && map.viewport.center == PlanarPoint(x: -500, y: 0))
        _ = map.handle(.tab, scene: scene, events: events)
        #expect(map.selected == "B2")
        _ = map.handle(.character("f"), scene: scene, events: events)
        var moved = scene
        moved.vehicles[0].point = PlanarPoint(x: 900, y: 50)
        map.track(moved)
        #expect(map.follow && map.viewport.center == PlanarPoint(x: 900, y: 50))
        _ = map.handle(.left, scene: scene, events: events)
        #expect(!map.follow, "panning ends follow")
        #expect(map.handle(.character("q"), scene: scene, events: events) == .quit)
    }

    @Test func searchGoToAndTheEventPanel() {
        var map = session()
        let search = [Key.character("/")] + "tram".map(Key.character) + [.enter]
        for key in search {
            _ = map.handle(key, scene: scene, events: events)
        }
        #expect(map.selected == "B2")
        var command: MapSession.Command?
        let goTo = [Key.character("g")] + "55.75,37.62".map(Key.character) + [.enter]
        for key in goTo {
            command = map.handle(key, scene: scene, events: events)
        }
        #expect(command == .goTo(Coordinate(latitude: 55.75, longitude: 37.62)))
        _ = map.handle(.character("e"), scene: scene, events: events)
        _ = map.handle(.enter, scene: scene, events: events)
        #expect(map.viewport.center == PlanarPoint(x: 100, y: 100))
        #expect(map.handle(.character("a"), scene: scene, events: events) == nil, "read-only")
        #expect(map.message.contains("read-only"))
        var writable = session(canAcknowledge: true)
        _ = writable.handle(.character("e"), scene: scene, events: events)
        #expect(writable.handle(.character("a"), scene: scene, events: events) == .acknowledge(7))
    }

    /// Five fixes 10 s apart driving east 100 m each, the third one stopped.
    static let fixes = (0..<5).map { step in
        ReplayFix(
            time: UTCInstant(microsecondsSinceEpoch: 1_700_000_000_000_000 + Int64(step) * 10_000_000),
            point: PlanarPoint(x: Double(step) * 100, y: 0), courseDegrees: 90,
            speedMetersPerSecond: step == 2 ? 0 : 10)
    }

    @Test func replayStepsPlaysAtItsSpeedAndEnds() throws {
        var map = session()
        _ = map.handle(.character("r"), scene: scene, events: events)
        #expect(map.message.contains("select a vehicle"), "r needs a selection")
        _ = map.handle(.tab, scene: scene, events: events)
        #expect(map.handle(.character("r"), scene: scene, events: events) == .replay("A1"))
        map.startReplay(nil)
        #expect(map.replay == nil && map.message.contains("no stored track"))
        map.startReplay(MapReplay(vehicleID: "A1", fixes: Self.fixes))
        #expect(map.viewport.center == PlanarPoint(x: 0, y: 0))

        _ = map.handle(.right, scene: scene, events: events)
        _ = map.handle(.right, scene: scene, events: events)
        #expect(map.replay?.index == 2 && map.viewport.center.x == 200, "→ steps and the view follows")
        _ = map.handle(.left, scene: scene, events: events)
        #expect(map.replay?.index == 1)
        _ = map.handle(.character("+"), scene: scene, events: events)
        #expect(map.viewport.metresPerDot < 10, "zoom still works in replay")

        // Playing at 8×: 10 s between fixes pass in 1.25 s of wall time.
        _ = map.handle(.character(" "), scene: scene, events: events)
        #expect(map.replay?.playing == true)
        map.tick(seconds: 1)
        #expect(map.replay?.index == 1)
        map.tick(seconds: 0.3)
        #expect(map.replay?.index == 2)
        _ = map.handle(.character("]"), scene: scene, events: events)
        #expect(map.replay?.speed == 16)
        _ = map.handle(.character("["), scene: scene, events: events)
        _ = map.handle(.character("["), scene: scene, events: events)
        #expect(map.replay?.speed == 4)
        map.tick(seconds: 100)
        #expect(map.replay?.index == 4 && map.replay?.playing == false, "stops at the end")

        let replay = try #require(map.replay)
        let shown = replay.scene(over: scene, label: "Bus 1")
        #expect(shown.vehicles.first { $0.id == "B2" }?.state == .stale, "the others are dimmed")
        #expect(shown.vehicles.first { $0.id == "A1" }?.point == PlanarPoint(x: 400, y: 0))
        // The trail so far, in runs of one speed band: 36 km/h green, the stop grey, then green again.
        let trail = shown.overlays.suffix(3)
        #expect(trail.map(\.colour) == [46, 244, 46] && trail.map(\.points.count) == [2, 2, 3])
        #expect(
            trail.first?.points.first == PlanarPoint(x: 0, y: 0) && trail.last?.points.last == PlanarPoint(x: 400, y: 0)
        )
        #expect(replay.progressBar(width: 8) == "[========]" && replay.status.contains("fix 5/5"))
        #expect(replay.status.contains("REPLAY A1") && replay.status.contains("fix 5/5"), "\(replay.status)")

        _ = map.handle(.escape, scene: scene, events: events)
        #expect(map.replay == nil && map.message == "replay ended")
    }

    /// p asks for the selected vehicle's report; in the panel, Enter on a trip asks for its replay and on a stop
    /// jumps there; p goes back to the map.
    @Test func theReportPanelReplaysATripAndJumpsToAStop() {
        var map = session()
        #expect(map.handle(.character("p"), scene: scene, events: events) == nil)
        #expect(map.message.contains("select a vehicle first"))
        _ = map.handle(.tab, scene: scene, events: events)
        let selected = map.selected ?? ""
        #expect(map.handle(.character("p"), scene: scene, events: events) == .report(selected))
        let from = UTCInstant(microsecondsSinceEpoch: 1_717_228_800_000_000)
        let to = from.adding(seconds: 1_200)
        map.showReport(
            vehicleID: selected, title: "2024-06-01",
            rows: [
                MapReportRow(text: "08:00 parking 30 min", kind: .halt(PlanarPoint(x: 700, y: -300))),
                MapReportRow(text: "08:30–08:50 trip 12.0 km", kind: .trip(from: from, to: to)),
            ])
        #expect(map.focus == .report)
        let panel = MapScreen.panelText(session: map, scene: scene, events: events, width: 40, rows: 20)
        #expect(panel.first?.0.hasPrefix("REPORT") == true)
        #expect(panel.contains { $0.0.hasPrefix(">") && $0.0.contains("parking") }, "the chosen row marked")
        #expect(map.handle(.enter, scene: scene, events: events) == nil)
        #expect(map.viewport.center == PlanarPoint(x: 700, y: -300), "Enter on a stop jumps there")
        _ = map.handle(.down, scene: scene, events: events)
        #expect(map.handle(.enter, scene: scene, events: events) == .replayTrip(selected, from: from, to: to))
        _ = map.handle(.character("p"), scene: scene, events: events)
        #expect(map.focus == .map && map.report == nil)
        // An empty day says so.
        map.showReport(vehicleID: selected, title: "2024-06-02", rows: [])
        #expect(map.message.contains("no trips or stops"))
    }
}
