import Foundation
public import OrbitaModel

extension GeoJSON {
    /// A geofence as a Feature: its shape, its name and the optional rules in the properties.
    public static func feature(of fence: Geofence) -> [String: Any] {
        var properties: [String: Any] = ["name": fence.name]
        if !fence.vehicleIDs.isEmpty { properties["vehicles"] = fence.vehicleIDs }
        if !fence.kinds.isEmpty { properties["kinds"] = fence.kinds.map(\.rawValue) }
        if let limit = fence.speedLimitKmh { properties["speed_limit_kmh"] = limit }
        if let dwell = fence.dwellSeconds { properties["dwell_s"] = dwell }
        return feature(fence.shape, properties: properties)
    }

    /// A route as a LineString Feature: name, corridor half-width, checkpoints and the assignments given.
    public static func feature(of route: Route, assignments: [RouteAssignment]) -> [String: Any] {
        [
            "type": "Feature",
            "geometry": ["type": "LineString", "coordinates": route.line.map { [$0.longitude, $0.latitude] }],
            "properties": [
                "name": route.name, "corridor_m": route.corridorMeters,
                "checkpoints": route.checkpoints.map { checkpoint -> [String: Any] in
                    [
                        "name": checkpoint.name, "radius_m": checkpoint.radiusMeters,
                        "coordinates": [checkpoint.coordinate.longitude, checkpoint.coordinate.latitude],
                    ]
                },
                "assignments": assignments.filter { $0.route == route.name }.map { assignment in
                    [
                        "vehicle": assignment.vehicleID, "from": assignment.from?.iso8601 ?? NSNull(),
                        "to": assignment.to?.iso8601 ?? NSNull(),
                    ] as [String: Any]
                },
            ] as [String: Any],
        ]
    }
}
