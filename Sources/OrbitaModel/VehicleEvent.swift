/// What happened, in the names dispatchers and the API use.
public enum EventKind: String, CaseIterable, Sendable, Hashable, Codable {
    /// Entered a geofence.
    case geofenceEnter
    /// Left a geofence.
    case geofenceExit
    /// Passed through a geofence between two fixes, neither of them inside.
    case geofenceCross
    /// Inside a geofence for longer than its dwell time.
    case geofenceDwell
    /// Faster than the speed limit of a geofence it is in.
    case overspeed
    /// Left its assigned route.
    case routeDeviation
    /// Back on its route after a deviation.
    case routeReturn
    /// Driving its route against the route's direction.
    case wrongDirection
    /// Reached a checkpoint.
    case checkpointArrive
    /// Passed a checkpoint without coming within its radius.
    case checkpointMissed
}

/// An event raised by the event engine, stored exactly once per (vehicle, kind, subject, time).
public struct VehicleEvent: Sendable, Hashable {
    /// What happened.
    public var kind: EventKind
    /// The vehicle.
    public var vehicleID: String
    /// When it happened (for a crossing: interpolated between the two fixes).
    public var time: UTCInstant
    /// Where it happened.
    public var coordinate: Coordinate
    /// The time of the fix that raised it (fixes are keyed by vehicle and time).
    public var fixTime: UTCInstant
    /// The geofence's name, for geofence events and overspeed.
    public var geofence: String?
    /// The route's name, for route and checkpoint events.
    public var route: String?
    /// The checkpoint's name.
    public var checkpoint: String?
    /// Distance from the route (deviation: at the fix that confirmed it), metres.
    public var distanceMeters: Double?
    /// Progress along the route where it happened, metres from the start.
    public var progressMeters: Double?
    /// Route length skipped between leaving and rejoining, metres.
    public var skippedMeters: Double?
    /// How long the deviation or stay lasted, seconds.
    public var durationSeconds: Double?
    /// Speed, km/h (overspeed).
    public var speedKmh: Double?
    /// The limit exceeded, km/h (overspeed).
    public var limitKmh: Double?
    /// When a dispatcher acknowledged it.
    public var acknowledgedAt: UTCInstant?

    /// Creates an event.
    public init(
        kind: EventKind, vehicleID: String, time: UTCInstant, coordinate: Coordinate, fixTime: UTCInstant,
        geofence: String? = nil, route: String? = nil, checkpoint: String? = nil
    ) {
        self.kind = kind
        self.vehicleID = vehicleID
        self.time = time
        self.coordinate = coordinate
        self.fixTime = fixTime
        self.geofence = geofence
        self.route = route
        self.checkpoint = checkpoint
    }

    /// What the event is about (geofence, route, or route/checkpoint): part of its identity.
    public var subject: String {
        if let checkpoint { return "\(route ?? "")/\(checkpoint)" }
        return geofence ?? route ?? ""
    }
}

/// Which events to read.
public struct EventQuery: Sendable, Hashable {
    /// One vehicle, or all.
    public var vehicleID: String?
    /// One kind, or all.
    public var kinds: [EventKind]
    /// From (inclusive).
    public var since: UTCInstant?
    /// Until (inclusive).
    public var until: UTCInstant?
    /// At most this many, oldest first.
    public var limit: Int?

    /// Creates a query (default: everything).
    public init(
        vehicleID: String? = nil, kinds: [EventKind] = [], since: UTCInstant? = nil, until: UTCInstant? = nil,
        limit: Int? = nil
    ) {
        self.vehicleID = vehicleID
        self.kinds = kinds
        self.since = since
        self.until = until
        self.limit = limit
    }
}

/// Geofences, routes and events, kept beside the tracks (the SQLite store implements it; a PostgreSQL one will).
///
/// Its contract is checked by `Tests/StoreContractTests`; synchronous and throwing for the reasons given on
/// `TrackStore`.
public protocol ZoneStore: AnyObject {
    /// Adds or replaces a geofence by name.
    func save(_ geofence: Geofence) throws(StoreError)
    /// Adds or replaces geofences by name, in one transaction.
    func save(_ geofences: [Geofence]) throws(StoreError)
    /// Removes a geofence; false when there was none.
    func removeGeofence(named name: String) throws(StoreError) -> Bool
    /// Every geofence, by name.
    func geofences() throws(StoreError) -> [Geofence]
    /// Adds or replaces a route by name.
    func save(_ route: Route) throws(StoreError)
    /// Removes a route and its assignments; false when there was none.
    func removeRoute(named name: String) throws(StoreError) -> Bool
    /// Every route, by name.
    func routes() throws(StoreError) -> [Route]
    /// Adds an assignment (the vehicle is registered if new).
    func assign(_ assignment: RouteAssignment) throws(StoreError)
    /// Every assignment, by vehicle and start.
    func assignments() throws(StoreError) -> [RouteAssignment]
    /// Adds an exemption from route judgement.
    func exempt(_ exemption: RouteExemption) throws(StoreError)
    /// Every exemption.
    func exemptions() throws(StoreError) -> [RouteExemption]
    /// Stores events in one transaction; events already stored are skipped. Returns how many were new.
    func insert(_ events: [VehicleEvent]) throws(StoreError) -> Int
    /// Events matching a query, oldest first.
    func events(_ query: EventQuery) throws(StoreError) -> [VehicleEvent]
    /// A number that changes whenever geofences, routes, assignments or exemptions change (by any writer).
    func zoneRevision() throws(StoreError) -> Int64
}
