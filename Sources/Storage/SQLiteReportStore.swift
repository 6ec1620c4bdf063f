import GRDB
public import OrbitaModel

/// Report rows in SQLite (`report_trips`, `report_halts`, `report_mileage`; schema v7).
extension SQLiteTrackStore: ReportStore {
    /// Applies every change in one transaction.
    public func replaceReportRows(_ changes: [ReportRowsChange]) throws(StoreError) {
        guard !changes.isEmpty else { return }
        try write { db in
            let deleteTrips = try db.cachedStatement(
                sql: "DELETE FROM report_trips WHERE vehicle_key = ? AND start_us >= ?")
            let deleteHalts = try db.cachedStatement(
                sql: "DELETE FROM report_halts WHERE vehicle_key = ? AND start_us >= ?")
            let deleteMileage = try db.cachedStatement(
                sql: "DELETE FROM report_mileage WHERE vehicle_key = ? AND quarter >= ? AND trip_start_us >= ?")
            let insertTrip = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO report_trips (vehicle_key, start_us, end_us, start_lat, start_lon, end_lat,
                        end_lon, distance_m, max_speed_mps, stopped_s, open) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                    """)
            let insertHalt = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO report_halts (vehicle_key, start_us, end_us, kind, lat, lon, open,
                        restart_after_us, restart_state) VALUES (?,?,?,?,?,?,?,?,?)
                    """)
            let insertMileage = try db.cachedStatement(
                sql: """
                    INSERT INTO report_mileage (vehicle_key, quarter, trip_start_us, meters) VALUES (?,?,?,?)
                    ON CONFLICT DO UPDATE SET meters = excluded.meters
                    """)
            for change in changes {
                // As for fixes: a vehicle not registered yet is registered (kind `other`), as PostgreSQL does.
                if try Self.vehicleKey(change.vehicleID, db) == nil { try Self.registerVehicle(change.vehicleID, db) }
                guard let key = try Self.vehicleKey(change.vehicleID, db) else {
                    throw StoreError.constraint("report rows for an unknown vehicle \(change.vehicleID)")
                }
                let from = change.from?.microsecondsSinceEpoch ?? Int64.min
                try deleteTrips.execute(arguments: [key, from])
                try deleteHalts.execute(arguments: [key, from])
                try deleteMileage.execute(
                    arguments: [key, change.from.map { MileageSlice.quarterHour(of: $0) } ?? Int64.min, from])
                for trip in change.trips {
                    let start = trip.start.time.microsecondsSinceEpoch
                    try insertTrip.execute(arguments: [
                        key, start, trip.end.time.microsecondsSinceEpoch, trip.start.coordinate.latitude,
                        trip.start.coordinate.longitude, trip.end.coordinate.latitude, trip.end.coordinate.longitude,
                        max(0, trip.distanceMeters), trip.maxSpeedMetersPerSecond, trip.stoppedSeconds,
                        trip.open ? 1 : 0,
                    ])
                    for slice in trip.mileage {
                        try insertMileage.execute(arguments: [key, slice.quarterHour, start, slice.meters])
                    }
                }
                for halt in change.halts {
                    try insertHalt.execute(arguments: [
                        key, halt.start.microsecondsSinceEpoch, halt.end.microsecondsSinceEpoch,
                        halt.kind == .parking ? 1 : 0, halt.coordinate.latitude, halt.coordinate.longitude,
                        halt.open ? 1 : 0, halt.restart?.after.microsecondsSinceEpoch, halt.restart?.state,
                    ])
                }
            }
        }
    }

    /// The latest restart of the vehicle's parkings taken before `time`, with its parking.
    public func reportRestart(vehicleID: String, before time: UTCInstant) throws(StoreError) -> Halt? {
        try read { db in
            guard let key = try Self.vehicleKey(vehicleID, db) else { return nil }
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT h.*, ? AS vehicle_id FROM report_halts h
                        WHERE vehicle_key = ? AND start_us < ? AND restart_after_us < ?
                        ORDER BY start_us DESC LIMIT 1
                        """),
                arguments: [vehicleID, key, time.microsecondsSinceEpoch, time.microsecondsSinceEpoch])
            return row.map(Self.halt)
        }
    }

    /// Trips overlapping `from`…`to`, by vehicle and start.
    public func reportTrips(vehicleIDs: [String]?, from: UTCInstant, to: UTCInstant) throws(StoreError) -> [Trip] {
        try read { db in
            var trips: [Trip] = []
            try forEachVehicle(vehicleIDs, db) { key, id in
                let rows = try Row.fetchCursor(
                    db.cachedStatement(
                        sql: """
                            SELECT * FROM report_trips WHERE vehicle_key = ? AND start_us <= ? AND end_us >= ?
                            ORDER BY start_us
                            """),
                    arguments: [key, to.microsecondsSinceEpoch, from.microsecondsSinceEpoch])
                var starts: [Int64: Int] = [:]
                while let row = try rows.next() {
                    starts[row["start_us"]] = trips.count
                    trips.append(Self.trip(row, vehicleID: id))
                }
                guard let first = starts.keys.min(), let last = starts.keys.max() else { return }
                let slices = try Row.fetchCursor(
                    db.cachedStatement(
                        sql: """
                            SELECT trip_start_us, quarter, meters FROM report_mileage
                            WHERE vehicle_key = ? AND quarter >= ? AND trip_start_us BETWEEN ? AND ?
                            ORDER BY trip_start_us, quarter
                            """),
                    arguments: [
                        key, MileageSlice.quarterHour(of: UTCInstant(microsecondsSinceEpoch: first)), first, last,
                    ])
                while let row = try slices.next() {
                    guard let index = starts[row[0]] else { continue }
                    trips[index].mileage.append(MileageSlice(quarterHour: row[1], meters: row[2]))
                }
            }
            return trips
        }
    }

    /// Stops and parkings overlapping `from`…`to`, by vehicle and start.
    public func reportHalts(vehicleIDs: [String]?, from: UTCInstant, to: UTCInstant) throws(StoreError) -> [Halt] {
        try read { db in
            var halts: [Halt] = []
            try forEachVehicle(vehicleIDs, db) { key, id in
                let rows = try Row.fetchCursor(
                    db.cachedStatement(
                        sql: """
                            SELECT *, ? AS vehicle_id FROM report_halts
                            WHERE vehicle_key = ? AND start_us <= ? AND end_us >= ? ORDER BY start_us
                            """),
                    arguments: [id, key, to.microsecondsSinceEpoch, from.microsecondsSinceEpoch])
                while let row = try rows.next() { halts.append(Self.halt(row)) }
            }
            return halts
        }
    }

    /// Mileage per vehicle and quarter hour in `from`..<`to`, by vehicle and quarter hour.
    public func reportMileage(vehicleIDs: [String]?, from: UTCInstant, to: UTCInstant) throws(StoreError)
        -> [VehicleMileageSlice]
    {
        let first = MileageSlice.firstQuarterHour(from: from)
        // Quarter hours that begin before `to`.
        let last = MileageSlice.quarterHour(of: UTCInstant(microsecondsSinceEpoch: to.microsecondsSinceEpoch - 1))
        return try read { db in
            var slices: [VehicleMileageSlice] = []
            try forEachVehicle(vehicleIDs, db) { key, id in
                let rows = try Row.fetchCursor(
                    db.cachedStatement(
                        sql: """
                            SELECT quarter, sum(meters) FROM report_mileage
                            WHERE vehicle_key = ? AND quarter BETWEEN ? AND ? GROUP BY quarter ORDER BY quarter
                            """),
                    arguments: [key, first, last])
                while let row = try rows.next() {
                    slices.append(
                        VehicleMileageSlice(vehicleID: id, slice: MileageSlice(quarterHour: row[0], meters: row[1])))
                }
            }
            return slices
        }
    }

    /// Per vehicle with rows in the window, its totals (one aggregate query per table, durations clipped to the
    /// window).
    public func reportTotals(vehicleIDs: [String]?, from: UTCInstant, to: UTCInstant) throws(StoreError)
        -> [VehicleReportTotals]
    {
        let low = from.microsecondsSinceEpoch
        let high = to.microsecondsSinceEpoch
        let first = MileageSlice.firstQuarterHour(from: from)
        let last = MileageSlice.quarterHour(of: UTCInstant(microsecondsSinceEpoch: high - 1))
        let wanted = vehicleIDs.map(Set.init)
        return try read { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT v.id, t.trips, t.trip_us, t.max_speed, h.stop_us, h.park_us, m.meters FROM vehicles v
                    LEFT JOIN (
                        SELECT vehicle_key, sum(start_us >= :low) AS trips,
                            sum(min(end_us, :high) - max(start_us, :low)) AS trip_us, max(max_speed_mps) AS max_speed
                        FROM report_trips WHERE start_us <= :high AND end_us >= :low GROUP BY vehicle_key
                    ) t ON t.vehicle_key = v.key
                    LEFT JOIN (
                        SELECT vehicle_key,
                            sum(CASE kind WHEN 0 THEN min(end_us, :high) - max(start_us, :low) ELSE 0 END) AS stop_us,
                            sum(CASE kind WHEN 1 THEN min(end_us, :high) - max(start_us, :low) ELSE 0 END) AS park_us
                        FROM report_halts WHERE start_us <= :high AND end_us >= :low GROUP BY vehicle_key
                    ) h ON h.vehicle_key = v.key
                    LEFT JOIN (
                        SELECT vehicle_key, sum(meters) AS meters FROM report_mileage
                        WHERE quarter BETWEEN :first AND :last GROUP BY vehicle_key
                    ) m ON m.vehicle_key = v.key
                    WHERE t.vehicle_key IS NOT NULL OR h.vehicle_key IS NOT NULL OR m.vehicle_key IS NOT NULL
                    ORDER BY v.id
                    """,
                arguments: ["low": low, "high": high, "first": first, "last": last])
            var totals: [VehicleReportTotals] = []
            while let row = try rows.next() {
                let id: String = row[0]
                if let wanted, !wanted.contains(id) { continue }
                var total = VehicleReportTotals(vehicleID: id)
                total.trips = (row[1] as Int?) ?? 0
                total.tripSeconds = Double((row[2] as Int64?) ?? 0) / 1e6
                total.maxSpeedMetersPerSecond = (row[3] as Double?) ?? 0
                total.stoppedSeconds = Double((row[4] as Int64?) ?? 0) / 1e6
                total.parkedSeconds = Double((row[5] as Int64?) ?? 0) / 1e6
                total.distanceMeters = (row[6] as Double?) ?? 0
                totals.append(total)
            }
            return totals
        }
    }

    /// Calls `body` with the key and ID of each of `vehicleIDs` that is registered (nil: every vehicle), by ID.
    private func forEachVehicle(
        _ vehicleIDs: [String]?, _ db: Database, _ body: (Int64, String) throws -> Void
    ) throws {
        let wanted = vehicleIDs.map(Set.init)
        for row in try Row.fetchAll(db, sql: "SELECT key, id FROM vehicles ORDER BY id") {
            let id: String = row[1]
            if let wanted, !wanted.contains(id) { continue }
            try body(row[0], id)
        }
    }

    private static func trip(_ row: Row, vehicleID: String) -> Trip {
        Trip(
            vehicleID: vehicleID,
            start: TrackMoment(
                time: UTCInstant(microsecondsSinceEpoch: row["start_us"]),
                coordinate: Coordinate(latitude: row["start_lat"], longitude: row["start_lon"])),
            end: TrackMoment(
                time: UTCInstant(microsecondsSinceEpoch: row["end_us"]),
                coordinate: Coordinate(latitude: row["end_lat"], longitude: row["end_lon"])),
            distanceMeters: row["distance_m"], maxSpeedMetersPerSecond: row["max_speed_mps"],
            stoppedSeconds: row["stopped_s"], open: row["open"] as Int64 != 0)
    }

    private static func halt(_ row: Row) -> Halt {
        var restart: ReportRestart?
        if let after: Int64 = row["restart_after_us"], let state: String = row["restart_state"] {
            restart = ReportRestart(after: UTCInstant(microsecondsSinceEpoch: after), state: state)
        }
        return Halt(
            vehicleID: row["vehicle_id"], kind: (row["kind"] as Int64) == 1 ? .parking : .stop,
            coordinate: Coordinate(latitude: row["lat"], longitude: row["lon"]),
            start: UTCInstant(microsecondsSinceEpoch: row["start_us"]),
            end: UTCInstant(microsecondsSinceEpoch: row["end_us"]), open: row["open"] as Int64 != 0,
            restart: restart)
    }
}
