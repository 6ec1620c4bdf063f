import OrbitaModel

/// `second` seconds after a fixed instant (2023-11-14T22:13:20Z).
func at(_ second: Int64) -> UTCInstant {
    UTCInstant(microsecondsSinceEpoch: 1_700_000_000_000_000 + second * 1_000_000)
}

/// A fix of `vehicle` at `at(second)`, a little further north each second.
func fix(_ vehicle: String, _ second: Int64, segment: Double? = 10, flags: FixFlags = []) -> TrackPoint {
    TrackPoint(
        vehicleID: vehicle, time: at(second),
        coordinate: Coordinate(latitude: 55.75 + Double(second) * 1e-4, longitude: 37.61), mode: .threeDimensional,
        flags: flags, source: "contract", segmentMeters: segment)
}

/// An event of `vehicle` at `at(second)` about a geofence (or, given `route`, a route).
func event(
    _ kind: EventKind, _ vehicle: String, _ second: Int64, geofence: String? = "depot", route: String? = nil
) -> VehicleEvent {
    VehicleEvent(
        kind: kind, vehicleID: vehicle, time: at(second), coordinate: Coordinate(latitude: 55.7558, longitude: 37.6173),
        fixTime: at(second), geofence: route == nil ? geofence : nil, route: route)
}

extension StoreError {
    /// The case without its detail (details differ between backends).
    var category: String {
        switch self {
        case .corrupt: "corrupt"
        case .locked: "locked"
        case .diskFull: "diskFull"
        case .constraint: "constraint"
        case .io: "io"
        }
    }
}
