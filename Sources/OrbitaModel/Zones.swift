/// A geofence's shape in WGS 84 (longitude/latitude degrees), as dispatchers draw it.
public enum GeoShape: Sendable, Hashable {
    /// One or more polygons (a GeoJSON Polygon or MultiPolygon): each polygon is its outer ring followed by its holes;
    /// rings are closed or not, either orientation.
    case polygons([[[Coordinate]]])
    /// Everything within `radiusMeters` of a centre.
    case circle(center: Coordinate, radiusMeters: Double)
    /// Everything within `halfWidthMeters` of a polyline.
    case corridor(line: [Coordinate], halfWidthMeters: Double)

    /// Every vertex (the centre of a circle), for choosing a metric frame.
    public var coordinates: [Coordinate] {
        switch self {
        case .polygons(let polygons): polygons.flatMap { $0.flatMap(\.self) }
        case .circle(let center, _): [center]
        case .corridor(let line, _): line
        }
    }
}

/// A named zone and the rules attached to it.
public struct Geofence: Sendable, Hashable {
    /// A name, unique in a database.
    public var name: String
    /// Where it is.
    public var shape: GeoShape
    /// The vehicles it applies to (empty with empty `kinds`: every vehicle).
    public var vehicleIDs: [String]
    /// The kinds of vehicle it applies to (in addition to `vehicleIDs`).
    public var kinds: [VehicleKind]
    /// Speed limit inside, km/h: an `overspeed` event when exceeded.
    public var speedLimitKmh: Double?
    /// A `geofenceDwell` event once a vehicle has been inside this long, seconds.
    public var dwellSeconds: Double?

    /// Creates a geofence.
    public init(
        name: String, shape: GeoShape, vehicleIDs: [String] = [], kinds: [VehicleKind] = [],
        speedLimitKmh: Double? = nil, dwellSeconds: Double? = nil
    ) {
        self.name = name
        self.shape = shape
        self.vehicleIDs = vehicleIDs
        self.kinds = kinds
        self.speedLimitKmh = speedLimitKmh
        self.dwellSeconds = dwellSeconds
    }

    /// Whether the fence applies to a vehicle.
    public func applies(to vehicleID: String, kind: VehicleKind?) -> Bool {
        if vehicleIDs.isEmpty && kinds.isEmpty { return true }
        if vehicleIDs.contains(vehicleID) { return true }
        if let kind, kinds.contains(kind) { return true }
        return false
    }
}

/// A stop or control point along a route, in the order the route passes it.
public struct Checkpoint: Sendable, Hashable {
    /// A name (a stop name or code).
    public var name: String
    /// Where it is.
    public var coordinate: Coordinate
    /// How close counts as arriving, metres.
    public var radiusMeters: Double

    /// Creates a checkpoint (default radius 30 m).
    public init(name: String, coordinate: Coordinate, radiusMeters: Double = 30) {
        self.name = name
        self.coordinate = coordinate
        self.radiusMeters = radiusMeters
    }
}

/// A planned path: a polyline driven from its first to its last point, with a corridor and checkpoints.
public struct Route: Sendable, Hashable {
    /// A name, unique in a database.
    public var name: String
    /// The path, from the start terminal to the end terminal.
    public var line: [Coordinate]
    /// Half-width of the corridor, metres (default 50).
    public var corridorMeters: Double
    /// Ordered checkpoints.
    public var checkpoints: [Checkpoint]

    /// Creates a route.
    public init(name: String, line: [Coordinate], corridorMeters: Double = 50, checkpoints: [Checkpoint] = []) {
        self.name = name
        self.line = line
        self.corridorMeters = corridorMeters
        self.checkpoints = checkpoints
    }
}

/// A vehicle is to drive a route during a period (open ends: always).
public struct RouteAssignment: Sendable, Hashable {
    /// The vehicle.
    public var vehicleID: String
    /// The route's name.
    public var route: String
    /// From this instant (inclusive).
    public var from: UTCInstant?
    /// Until this instant (inclusive).
    public var to: UTCInstant?

    /// Creates an assignment.
    public init(vehicleID: String, route: String, from: UTCInstant? = nil, to: UTCInstant? = nil) {
        self.vehicleID = vehicleID
        self.route = route
        self.from = from
        self.to = to
    }

    /// Whether the assignment holds at an instant.
    public func covers(_ time: UTCInstant) -> Bool {
        (from.map { time >= $0 } ?? true) && (to.map { time <= $0 } ?? true)
    }
}

/// A period in which a vehicle's route deviations are not judged: a detour the dispatcher approved, or a silenced
/// vehicle.
public struct RouteExemption: Sendable, Hashable {
    /// The vehicle.
    public var vehicleID: String
    /// From (inclusive).
    public var from: UTCInstant
    /// Until (inclusive).
    public var to: UTCInstant
    /// Why (shown to dispatchers).
    public var reason: String

    /// Creates an exemption.
    public init(vehicleID: String, from: UTCInstant, to: UTCInstant, reason: String = "approved detour") {
        self.vehicleID = vehicleID
        self.from = from
        self.to = to
        self.reason = reason
    }
}
