import Foundation
import GeoJSON
public import OrbitaModel
import OrbitaWire
import PostgresNIO

/// Geofences, routes, assignments, exemptions and events, stored as in SQLite (geometry as GeoJSON text).
extension PostgresTrackStore: ZoneStore {
    /// Adds or replaces a geofence by name.
    public func save(_ geofence: Geofence) throws(StoreError) { try save([geofence]) }

    /// Adds or replaces geofences by name, in one transaction.
    public func save(_ geofences: [Geofence]) throws(StoreError) {
        guard !geofences.isEmpty else { return }
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(geofences.map(\.name))
        bindings.append(geofences.map { GeoJSON.text(GeoJSON.feature($0.shape)) })
        bindings.append(geofences.map { GeoJSON.text($0.vehicleIDs) })
        bindings.append(geofences.map { GeoJSON.text($0.kinds.map(\.rawValue)) })
        bindings.append(PostgresColumn(geofences.map(\.speedLimitKmh)))
        bindings.append(PostgresColumn(geofences.map(\.dwellSeconds)))
        try session.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO geofences (name, geometry, vehicles, kinds, speed_limit_kmh, dwell_s)
                    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[])
                    ON CONFLICT (name) DO UPDATE SET geometry = excluded.geometry, vehicles = excluded.vehicles,
                        kinds = excluded.kinds, speed_limit_kmh = excluded.speed_limit_kmh, dwell_s = excluded.dwell_s
                    """, binds: bindings))
    }

    /// Removes a geofence; false when there was none.
    public func removeGeofence(named name: String) throws(StoreError) -> Bool {
        try session.query("DELETE FROM geofences WHERE name = \(name)").metadata.rows ?? 0 > 0
    }

    /// A number that changes whenever the zones change (triggers).
    public func zoneRevision() throws(StoreError) -> Int64 {
        (try session.query("SELECT value FROM zone_revision").first.flatMap { try? $0.decode(Int64.self) }) ?? 0
    }

    /// Every geofence, by name.
    public func geofences() throws(StoreError) -> [Geofence] {
        var fences: [Geofence] = []
        for row in try session.query(
            "SELECT name, geometry, vehicles, kinds, speed_limit_kmh, dwell_s FROM geofences ORDER BY name")
        {
            guard
                let (name, geometry, vehicles, kinds, limit, dwell) = try? row.decode(
                    (String, String, String, String, Double?, Double?).self)
            else { throw .corrupt("\(session.endpoint): a geofence row that does not decode") }
            let shape: GeoShape
            do {
                shape = try GeoJSON.shape(in: Data(geometry.utf8))
            } catch {
                throw .corrupt("geofence \(name): \(error)")
            }
            fences.append(
                Geofence(
                    name: name, shape: shape, vehicleIDs: Self.strings(vehicles),
                    kinds: Self.strings(kinds).compactMap(VehicleKind.init(rawValue:)), speedLimitKmh: limit,
                    dwellSeconds: dwell))
        }
        return fences
    }

    /// Adds or replaces a route by name (its assignments stay).
    public func save(_ route: Route) throws(StoreError) {
        let line =
            #"{"type":"LineString","coordinates":["#
            + route.line.map { "[\($0.longitude),\($0.latitude)]" }.joined(separator: ",") + "]}"
        let checkpoints = GeoJSON.text([
            "type": "FeatureCollection",
            "features": route.checkpoints.map { checkpoint in
                [
                    "type": "Feature",
                    "geometry": [
                        "type": "Point",
                        "coordinates": [checkpoint.coordinate.longitude, checkpoint.coordinate.latitude],
                    ],
                    "properties": ["name": checkpoint.name, "radius_m": checkpoint.radiusMeters],
                ] as [String: Any]
            },
        ])
        try session.query(
            """
            INSERT INTO routes (name, geometry, corridor_m, checkpoints)
            VALUES (\(route.name), \(line), \(route.corridorMeters), \(checkpoints))
            ON CONFLICT (name) DO UPDATE SET geometry = excluded.geometry, corridor_m = excluded.corridor_m,
                checkpoints = excluded.checkpoints
            """)
    }

    /// Removes a route and its assignments; false when there was none.
    public func removeRoute(named name: String) throws(StoreError) -> Bool {
        try session.query("DELETE FROM routes WHERE name = \(name)").metadata.rows ?? 0 > 0
    }

    /// Every route, by name.
    public func routes() throws(StoreError) -> [Route] {
        var routes: [Route] = []
        for row in try session.query("SELECT name, geometry, corridor_m, checkpoints FROM routes ORDER BY name") {
            guard let (name, geometry, corridor, checkpoints) = try? row.decode((String, String, Double, String).self)
            else { throw .corrupt("\(session.endpoint): a route row that does not decode") }
            do {
                routes.append(
                    Route(
                        name: name, line: try GeoJSON.routeLine(in: Data(geometry.utf8)), corridorMeters: corridor,
                        checkpoints: checkpoints == "[]" ? [] : try GeoJSON.checkpoints(in: Data(checkpoints.utf8))))
            } catch {
                throw .corrupt("route \(name): \(error)")
            }
        }
        return routes
    }

    /// Adds an assignment; the vehicle is registered if new. Throws `.constraint` for an unknown route.
    public func assign(_ assignment: RouteAssignment) throws(StoreError) {
        try session.transaction { () throws(StoreError) in
            let keys = try vehicleKeys(for: [assignment.vehicleID])
            let routeKey = try session.query("SELECT key FROM routes WHERE name = \(assignment.route)").first
                .flatMap { try? $0.decode(Int64.self) }
            guard let routeKey else { throw StoreError.constraint("no route named \(assignment.route)") }
            try session.query(
                """
                INSERT INTO route_assignments (vehicle_key, route_key, from_us, to_us)
                VALUES (\(keys[assignment.vehicleID] ?? 0), \(routeKey), \(assignment.from?.microsecondsSinceEpoch),
                    \(assignment.to?.microsecondsSinceEpoch))
                """)
        }
    }

    /// Every assignment, by vehicle and start.
    public func assignments() throws(StoreError) -> [RouteAssignment] {
        try session.query(
            """
            SELECT v.id, r.name, a.from_us, a.to_us FROM route_assignments a
            JOIN vehicles v ON v.key = a.vehicle_key JOIN routes r ON r.key = a.route_key
            ORDER BY v.id, a.from_us NULLS FIRST
            """
        ).compactMap { row in
            guard let (vehicle, route, from, to) = try? row.decode((String, String, Int64?, Int64?).self) else {
                return nil
            }
            return RouteAssignment(
                vehicleID: vehicle, route: route, from: from.map { UTCInstant(microsecondsSinceEpoch: $0) },
                to: to.map { UTCInstant(microsecondsSinceEpoch: $0) })
        }
    }

    /// Adds an exemption from route judgement; the vehicle is registered if new.
    public func exempt(_ exemption: RouteExemption) throws(StoreError) {
        try session.transaction { () throws(StoreError) in
            let keys = try vehicleKeys(for: [exemption.vehicleID])
            try session.query(
                """
                INSERT INTO route_exemptions (vehicle_key, from_us, to_us, reason)
                VALUES (\(keys[exemption.vehicleID] ?? 0), \(exemption.from.microsecondsSinceEpoch),
                    \(exemption.to.microsecondsSinceEpoch), \(exemption.reason))
                """)
        }
    }

    /// Every exemption.
    public func exemptions() throws(StoreError) -> [RouteExemption] {
        try session.query(
            """
            SELECT v.id, e.from_us, e.to_us, e.reason FROM route_exemptions e
            JOIN vehicles v ON v.key = e.vehicle_key ORDER BY v.id, e.from_us
            """
        ).compactMap { row in
            guard let (vehicle, from, to, reason) = try? row.decode((String, Int64, Int64, String).self) else {
                return nil
            }
            return RouteExemption(
                vehicleID: vehicle, from: UTCInstant(microsecondsSinceEpoch: from),
                to: UTCInstant(microsecondsSinceEpoch: to), reason: reason)
        }
    }

    /// Stores events in one transaction; events already stored are skipped. Returns how many were new.
    public func insert(_ events: [VehicleEvent]) throws(StoreError) -> Int {
        try insert([], events: events).eventsInserted
    }

    /// Events matching a query, oldest first.
    public func events(_ query: EventQuery) throws(StoreError) -> [VehicleEvent] {
        try eventRows(query, orderBy: "e.time_us, e.id").map(\.event)
    }

    /// The events matching `query` with their numbers, numbered after `afterID` and before `beforeID` when given.
    func eventRows(
        _ query: EventQuery, orderBy: String, afterID: Int64? = nil, beforeID: Int64? = nil,
        unacknowledgedOnly: Bool = false
    ) throws(StoreError) -> [StoredEvent] {
        var bindings = PostgresBindings()
        bindings.append(query.since?.microsecondsSinceEpoch ?? Int64.min)
        bindings.append(query.until?.microsecondsSinceEpoch ?? Int64.max)
        bindings.append(afterID ?? Int64.min)
        bindings.append(beforeID ?? Int64.max)
        var conditions = ["e.time_us BETWEEN $1 AND $2", "e.id > $3", "e.id < $4"]
        if let vehicle = query.vehicleID {
            bindings.append(vehicle)
            conditions.append("v.id = $\(bindings.count)")
        }
        if !query.kinds.isEmpty {
            bindings.append(query.kinds.map(\.rawValue))
            conditions.append("e.kind = ANY($\(bindings.count))")
        }
        if unacknowledgedOnly { conditions.append("e.acknowledged_us IS NULL") }
        let limit = query.limit.map { " LIMIT \(max(0, $0))" } ?? ""
        return try session.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT e.id, e.kind, v.id, e.time_us, e.lat, e.lon, e.fix_time_us, e.details::text,
                        e.acknowledged_us
                    FROM events e JOIN vehicles v ON v.key = e.vehicle_key
                    WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(orderBy)\(limit)
                    """, binds: bindings)
        ).compactMap(Self.storedEvent)
    }

    static func storedEvent(_ row: PostgresRow) -> StoredEvent? {
        guard
            let (id, kind, vehicle, time, lat, lon, fixTime, details, acknowledged) = try? row.decode(
                (Int64, String, String, Int64, Double, Double, Int64, String, Int64?).self)
        else { return nil }
        var event = VehicleEvent(
            kind: EventKind(rawValue: kind) ?? .geofenceEnter, vehicleID: vehicle,
            time: UTCInstant(microsecondsSinceEpoch: time), coordinate: Coordinate(latitude: lat, longitude: lon),
            fixTime: UTCInstant(microsecondsSinceEpoch: fixTime))
        StoredEventDetails(text: details).apply(to: &event)
        event.acknowledgedAt = acknowledged.map { UTCInstant(microsecondsSinceEpoch: $0) }
        return StoredEvent(id: id, event: event)
    }

    static func strings(_ text: String) -> [String] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String] ?? []
    }
}
