import OrbitaModel
import Reports
import Testing

/// Visits from fence events, clipped to the window: open at its start or end counted and flagged, never dropped.
@Suite("reports: geofence visits")
struct GeofenceVisitsTests {
    static func at(_ second: Int64) -> UTCInstant {
        UTCInstant(microsecondsSinceEpoch: 1_717_228_800_000_000 + second * 1_000_000)
    }

    static func event(_ kind: EventKind, _ vehicle: String, _ fence: String, _ second: Int64) -> VehicleEvent {
        VehicleEvent(
            kind: kind, vehicleID: vehicle, time: at(second), coordinate: Coordinate(latitude: 55.75, longitude: 37.6),
            fixTime: at(second), geofence: fence)
    }

    @Test func visitsArePairedAndClippedToTheWindow() {
        let events = [
            Self.event(.geofenceEnter, "B1", "depot", -50), Self.event(.geofenceExit, "B1", "depot", -10),  // before
            Self.event(.geofenceEnter, "B1", "depot", 10), Self.event(.geofenceExit, "B1", "depot", 50),
            // B2 is inside when the window opens.
            Self.event(.geofenceEnter, "B2", "depot", -20), Self.event(.geofenceExit, "B2", "depot", 30),
            Self.event(.geofenceDwell, "B2", "depot", 25),  // ignored
            Self.event(.geofenceEnter, "B1", "yard", 80),  // open at end
            Self.event(.geofenceExit, "B3", "yard", 40),  // inside before its first event
            Self.event(.geofenceEnter, "B3", "yard", 150),  // after the window
        ]
        let visits = GeofenceVisits.visits(events, from: Self.at(0), to: Self.at(100))
        let rows = visits.map {
            "\($0.vehicleID) \($0.geofence) \(Int($0.start.seconds(since: Self.at(0))))–"
                + "\(Int($0.end.seconds(since: Self.at(0)))) \($0.openAtStart ? "S" : "-")\($0.openAtEnd ? "E" : "-")"
        }
        #expect(rows == ["B1 depot 10–50 --", "B1 yard 80–100 -E", "B2 depot 0–30 S-", "B3 yard 0–40 S-"])
        #expect(visits.first?.durationSeconds == 40)
    }

    /// However the window is cut, the pieces add up to the whole: no visit lost at an edge.
    @Test func splittingTheWindowKeepsEverySecondInside() {
        var events: [VehicleEvent] = []
        var second: Int64 = 0
        for index in 0..<40 {
            events.append(Self.event(.geofenceEnter, "B\(index % 3)", "F\(index % 2)", second))
            events.append(Self.event(.geofenceExit, "B\(index % 3)", "F\(index % 2)", second + 37 + Int64(index)))
            second += 100
        }
        func inside(_ from: Int64, _ to: Int64) -> Double {
            GeofenceVisits.visits(events, from: Self.at(from), to: Self.at(to)).map(\.durationSeconds).reduce(0, +)
        }
        let whole = inside(0, 4_000)
        #expect(whole == Double((0..<40).map { 37 + $0 }.reduce(0, +)))
        for cut: Int64 in [1, 50, 137, 1_999, 2_020, 3_950] {
            #expect(inside(0, cut) + inside(cut, 4_000) == whole, "cut at \(cut)")
        }
    }
}
