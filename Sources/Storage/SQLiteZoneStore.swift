import Foundation
import GRDB
import GeoJSON
public import OrbitaModel
import OrbitaWire

extension SQLiteTrackStore: ZoneStore {
    /// Adds or replaces a geofence by name.
    public func save(_ geofence: Geofence) throws(StoreError) { try save([geofence]) }

    /// Adds or replaces geofences by name, in one transaction (bulk loads of thousands of zones).
    public func save(_ geofences: [Geofence]) throws(StoreError) {
        try write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO geofences (name, geometry, vehicles, kinds, speed_limit_kmh, dwell_s)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET geometry = excluded.geometry, vehicles = excluded.vehicles,
                        kinds = excluded.kinds, speed_limit_kmh = excluded.speed_limit_kmh, dwell_s = excluded.dwell_s
                    """)
            for geofence in geofences {
                try statement.execute(arguments: [
                    geofence.name, GeoJSON.text(GeoJSON.feature(geofence.shape)), GeoJSON.text(geofence.vehicleIDs),
                    GeoJSON.text(geofence.kinds.map(\.rawValue)), geofence.speedLimitKmh, geofence.dwellSeconds,
                ])
            }
        }
    }

    /// Removes a geofence; false when there was none.
    public func removeGeofence(named name: String) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM geofences WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    /// A number that changes whenever the zones change (triggers of migration v4).
    public func zoneRevision() throws(StoreError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT value FROM zone_revision") ?? 0 }
    }

    /// Every geofence, by name.
    public func geofences() throws(StoreError) -> [Geofence] {
        let rows = try read { db in try Row.fetchAll(db, sql: "SELECT * FROM geofences ORDER BY name") }
        var fences: [Geofence] = []
        for row in rows {
            let name: String = row["name"]
            let geometry: String = row["geometry"]
            let shape: GeoShape
            do {
                shape = try GeoJSON.shape(in: Data(geometry.utf8))
            } catch {
                throw .corrupt("geofence \(name): \(error)")
            }
            fences.append(
                Geofence(
                    name: name, shape: shape, vehicleIDs: Self.strings(row["vehicles"]),
                    kinds: Self.strings(row["kinds"]).compactMap(VehicleKind.init(rawValue:)),
                    speedLimitKmh: row["speed_limit_kmh"], dwellSeconds: row["dwell_s"]))
        }
        return fences
    }

    /// Adds or replaces a route by name (its assignments stay).
    public func save(_ route: Route) throws(StoreError) {
        let checkpoints = route.checkpoints.map { checkpoint -> [String: Any] in
            [
                "type": "Feature",
                "geometry": [
                    "type": "Point", "coordinates": [checkpoint.coordinate.longitude, checkpoint.coordinate.latitude],
                ],
                "properties": ["name": checkpoint.name, "radius_m": checkpoint.radiusMeters],
            ]
        }
        let line: [String: Any] = [
            "type": "LineString", "coordinates": route.line.map { [$0.longitude, $0.latitude] },
        ]
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO routes (name, geometry, corridor_m, checkpoints) VALUES (?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET geometry = excluded.geometry, corridor_m = excluded.corridor_m,
                        checkpoints = excluded.checkpoints
                    """,
                arguments: [
                    route.name, GeoJSON.text(line), route.corridorMeters,
                    GeoJSON.text(["type": "FeatureCollection", "features": checkpoints]),
                ])
        }
    }

    /// Removes a route and its assignments; false when there was none.
    public func removeRoute(named name: String) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM routes WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    /// Every route, by name.
    public func routes() throws(StoreError) -> [Route] {
        let rows = try read { db in try Row.fetchAll(db, sql: "SELECT * FROM routes ORDER BY name") }
        var routes: [Route] = []
        for row in rows {
            let name: String = row["name"]
            let geometry: String = row["geometry"]
            let checkpoints: String = row["checkpoints"]
            do {
                routes.append(
                    Route(
                        name: name, line: try GeoJSON.routeLine(in: Data(geometry.utf8)),
                        corridorMeters: row["corridor_m"],
                        checkpoints: checkpoints == "[]" ? [] : try GeoJSON.checkpoints(in: Data(checkpoints.utf8))))
            } catch {
                throw .corrupt("route \(name): \(error)")
            }
        }
        return routes
    }

    /// Adds an assignment; the vehicle is registered if new. Throws `.constraint` for an unknown route.
    public func assign(_ assignment: RouteAssignment) throws(StoreError) {
        try write { db in
            try Self.registerVehicle(assignment.vehicleID, db)
            guard
                let route = try Int64.fetchOne(
                    db, sql: "SELECT key FROM routes WHERE name = ?", arguments: [assignment.route])
            else {
                throw StoreError.constraint("no route named \(assignment.route)")
            }
            try db.execute(
                sql: """
                    INSERT INTO route_assignments (vehicle_key, route_key, from_us, to_us)
                    SELECT key, ?, ?, ? FROM vehicles WHERE id = ?
                    """,
                arguments: [
                    route, assignment.from?.microsecondsSinceEpoch, assignment.to?.microsecondsSinceEpoch,
                    assignment.vehicleID,
                ])
        }
    }

    /// Every assignment, by vehicle and start.
    public func assignments() throws(StoreError) -> [RouteAssignment] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT v.id AS vehicle, r.name AS route, a.from_us, a.to_us FROM route_assignments a
                    JOIN vehicles v ON v.key = a.vehicle_key JOIN routes r ON r.key = a.route_key
                    ORDER BY v.id, a.from_us
                    """
            ).map { row in
                RouteAssignment(
                    vehicleID: row["vehicle"], route: row["route"],
                    from: (row["from_us"] as Int64?).map(UTCInstant.init(microsecondsSinceEpoch:)),
                    to: (row["to_us"] as Int64?).map(UTCInstant.init(microsecondsSinceEpoch:)))
            }
        }
    }

    /// Adds an exemption from route judgement; the vehicle is registered if new.
    public func exempt(_ exemption: RouteExemption) throws(StoreError) {
        try write { db in
            try Self.registerVehicle(exemption.vehicleID, db)
            try db.execute(
                sql: """
                    INSERT INTO route_exemptions (vehicle_key, from_us, to_us, reason)
                    SELECT key, ?, ?, ? FROM vehicles WHERE id = ?
                    """,
                arguments: [
                    exemption.from.microsecondsSinceEpoch, exemption.to.microsecondsSinceEpoch, exemption.reason,
                    exemption.vehicleID,
                ])
        }
    }

    /// Every exemption.
    public func exemptions() throws(StoreError) -> [RouteExemption] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT v.id AS vehicle, e.from_us, e.to_us, e.reason FROM route_exemptions e
                    JOIN vehicles v ON v.key = e.vehicle_key ORDER BY v.id, e.from_us
                    """
            ).map { row in
                RouteExemption(
                    vehicleID: row["vehicle"], from: UTCInstant(microsecondsSinceEpoch: row["from_us"]),
                    to: UTCInstant(microsecondsSinceEpoch: row["to_us"]), reason: row["reason"])
            }
        }
    }

    /// Stores events in one transaction; events already stored are skipped. Returns how many were new.
    public func insert(_ events: [VehicleEvent]) throws(StoreError) -> Int {
        try insert([], events: events).eventsInserted
    }

    /// Events matching a query, oldest first.
    public func events(_ query: EventQuery) throws(StoreError) -> [VehicleEvent] {
        try eventRows(query, orderBy: "e.time_us, e.id").map(Self.event)
    }

    /// The rows (with the vehicle's ID as `vehicle`) of the events matching `query`, numbered after `afterID` and
    /// before `beforeID` when given.
    func eventRows(
        _ query: EventQuery, orderBy: String, afterID: Int64? = nil, beforeID: Int64? = nil,
        unacknowledgedOnly: Bool = false
    ) throws(StoreError) -> [Row] {
        var conditions = ["e.time_us BETWEEN ? AND ?", "e.id > ?", "e.id < ?"]
        var arguments: StatementArguments = [
            query.since?.microsecondsSinceEpoch ?? Int64.min, query.until?.microsecondsSinceEpoch ?? Int64.max,
            afterID ?? Int64.min, beforeID ?? Int64.max,
        ]
        if let vehicle = query.vehicleID {
            conditions.append("v.id = ?")
            _ = arguments.append(contentsOf: [vehicle])
        }
        if !query.kinds.isEmpty {
            conditions.append("e.kind IN (\(query.kinds.map { _ in "?" }.joined(separator: ",")))")
            _ = arguments.append(contentsOf: StatementArguments(query.kinds.map(\.rawValue)))
        }
        if unacknowledgedOnly { conditions.append("e.acknowledged_us IS NULL") }
        let limit = query.limit.map { " LIMIT \(max(0, $0))" } ?? ""
        let sql = """
            SELECT e.*, v.id AS vehicle FROM events e JOIN vehicles v ON v.key = e.vehicle_key
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(orderBy)\(limit)
            """
        return try read { db in try Row.fetchAll(db, sql: sql, arguments: arguments) }
    }

    // MARK: - Rows

    /// Inserts one event; false when it was already stored.
    static func insert(_ event: VehicleEvent, vehicleKey: Int64, _ db: Database) throws -> Bool {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO events (vehicle_key, kind, time_us, lat, lon, fix_time_us, subject, details)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (vehicle_key, kind, subject, time_us) DO NOTHING
                """)
        try statement.execute(arguments: [
            vehicleKey, event.kind.rawValue, event.time.microsecondsSinceEpoch, event.coordinate.latitude,
            event.coordinate.longitude, event.fixTime.microsecondsSinceEpoch, event.subject,
            StoredEventDetails(event).text,
        ])
        return db.changesCount == 1
    }

    static func event(_ row: Row) -> VehicleEvent {
        var event = VehicleEvent(
            kind: EventKind(rawValue: row["kind"]) ?? .geofenceEnter, vehicleID: row["vehicle"],
            time: UTCInstant(microsecondsSinceEpoch: row["time_us"]),
            coordinate: Coordinate(latitude: row["lat"], longitude: row["lon"]),
            fixTime: UTCInstant(microsecondsSinceEpoch: row["fix_time_us"]))
        StoredEventDetails(text: row["details"]).apply(to: &event)
        event.acknowledgedAt = (row["acknowledged_us"] as Int64?).map(UTCInstant.init(microsecondsSinceEpoch:))
        return event
    }

    private static func strings(_ text: String) -> [String] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String] ?? []
    }
}
