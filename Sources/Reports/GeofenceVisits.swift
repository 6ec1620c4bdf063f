public import OrbitaModel

/// Geofence visits from fence events: each enter paired with the next exit of the same vehicle and fence. A visit open
/// at the window's start counts from the start and one still open at its end counts to the end, both flagged — not
/// dropped, as Traccar's geofence report drops them.
public enum GeofenceVisits {
    /// The visits overlapping `from`…`to`, by vehicle, fence and start. `events` must hold the fence events up to `to`
    /// including those before `from` (an enter before the window opens a visit in it); other kinds are ignored. An
    /// exit with no enter before it means the vehicle was inside from before its first event: the visit counts from
    /// the window's start.
    public static func visits(_ events: [VehicleEvent], from: UTCInstant, to: UTCInstant) -> [GeofenceVisit] {
        struct Key: Hashable {
            let vehicle: String
            let fence: String
        }
        var open: [Key: UTCInstant?] = [:]  // the enter's time; nil: inside since before the first event
        var visits: [GeofenceVisit] = []
        func add(_ key: Key, enteredAt entered: UTCInstant?, leftAt left: UTCInstant?) {
            let start = entered.map { max($0, from) } ?? from
            let end = left.map { min($0, to) } ?? to
            guard end >= start, left.map({ $0 >= from }) ?? true, entered.map({ $0 <= to }) ?? true else { return }
            visits.append(
                GeofenceVisit(
                    vehicleID: key.vehicle, geofence: key.fence, start: start, end: end,
                    openAtStart: entered.map { $0 < from } ?? true, openAtEnd: left.map { $0 > to } ?? true))
        }
        let fenceEvents = events.filter { $0.geofence != nil && $0.time <= to }
            .sorted { ($0.time, $0.kind == .geofenceExit ? 0 : 1) < ($1.time, $1.kind == .geofenceExit ? 0 : 1) }
        for event in fenceEvents {
            let key = Key(vehicle: event.vehicleID, fence: event.geofence ?? "")
            switch event.kind {
            case .geofenceEnter:
                if open[key] == nil { open[key] = .some(event.time) }
            case .geofenceExit:
                if let entered = open.removeValue(forKey: key) {
                    add(key, enteredAt: entered, leftAt: event.time)
                } else {
                    add(key, enteredAt: nil, leftAt: event.time)
                }
            default:
                continue
            }
        }
        for (key, entered) in open { add(key, enteredAt: entered, leftAt: nil) }
        return visits.sorted { ($0.vehicleID, $0.geofence, $0.start) < ($1.vehicleID, $1.geofence, $1.start) }
    }
}
