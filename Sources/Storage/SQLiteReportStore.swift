import GRDB
import GRDBSQLite
public import OrbitaModel

/// Report rows in SQLite (`report_trips`, `report_halts`, `report_mileage`; schema v7).
extension SQLiteTrackStore: ReportStore {
    /// Applies every change in one transaction.
    public func replaceReportRows(_ changes: [ReportRowsChange]) throws(StoreError) {
        guard !changes.isEmpty else { return }
        var keys = vehicleKeys
        defer { vehicleKeys = keys }
        do throws(StoreError) {
            try write { db in try Self.replaceReportRows(changes, keys: &keys, db) }
        } catch {
            keys = [:]  // keys of vehicles registered in the transaction rolled back
            throw error
        }
    }

    /// Runs every few seconds for every vehicle that drives (its open rows): statements bound with SQLite's C API, as
    /// fixes are, and vehicle keys remembered, so that a vehicle's rows cost their rows' statements and little else.
    private static func replaceReportRows(
        _ changes: [ReportRowsChange], keys: inout [String: Int64], _ db: Database
    ) throws {
        func binder(_ sql: String) throws -> RowBinder { RowBinder(try db.cachedStatement(sql: sql).sqliteStatement) }
        func run(_ row: RowBinder) throws {
            let code = row.step()
            row.reset()
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage)
            }
        }
        let deleteTrips = try binder("DELETE FROM report_trips WHERE vehicle_key = ? AND start_us >= ?")
        let deleteHalts = try binder("DELETE FROM report_halts WHERE vehicle_key = ? AND start_us >= ?")
        let deleteMileage = try binder(
            "DELETE FROM report_mileage WHERE vehicle_key = ? AND quarter >= ? AND trip_start_us >= ?")
        let insertTrip = try binder(
            """
            INSERT OR REPLACE INTO report_trips (vehicle_key, start_us, end_us, start_lat, start_lon, end_lat,
                end_lon, distance_m, max_speed_mps, stopped_s, open) VALUES (?,?,?,?,?,?,?,?,?,?,?)
            """)
        let insertHalt = try binder(
            """
            INSERT OR REPLACE INTO report_halts (vehicle_key, start_us, end_us, kind, lat, lon, open,
                restart_after_us, restart_state) VALUES (?,?,?,?,?,?,?,?,?)
            """)
        let insertMileage = try binder(
            """
            INSERT INTO report_mileage (vehicle_key, quarter, trip_start_us, meters) VALUES (?,?,?,?)
            ON CONFLICT DO UPDATE SET meters = excluded.meters
            """)
        for change in changes {
            let key: Int64
            if let known = keys[change.vehicleID] {
                key = known
            } else {
                // As for fixes: a vehicle not registered yet is registered (kind `other`), as PostgreSQL does.
                try registerVehicle(change.vehicleID, db)
                guard let found = try vehicleKey(change.vehicleID, db) else {
                    throw StoreError.constraint("report rows for an unknown vehicle \(change.vehicleID)")
                }
                keys[change.vehicleID] = found
                key = found
            }
            let from = change.from?.microsecondsSinceEpoch ?? Int64.min
            deleteTrips.bind(1, key)
            deleteTrips.bind(2, from)
            try run(deleteTrips)
            deleteHalts.bind(1, key)
            deleteHalts.bind(2, from)
            try run(deleteHalts)
            deleteMileage.bind(1, key)
            deleteMileage.bind(2, change.from.map { MileageSlice.quarterHour(of: $0) } ?? Int64.min)
            deleteMileage.bind(3, from)
            try run(deleteMileage)
            for trip in change.trips {
                let start = trip.start.time.microsecondsSinceEpoch
                insertTrip.bind(1, key)
                insertTrip.bind(2, start)
                insertTrip.bind(3, trip.end.time.microsecondsSinceEpoch)
                insertTrip.bind(4, trip.start.coordinate.latitude)
                insertTrip.bind(5, trip.start.coordinate.longitude)
                insertTrip.bind(6, trip.end.coordinate.latitude)
                insertTrip.bind(7, trip.end.coordinate.longitude)
                insertTrip.bind(8, max(0, trip.distanceMeters))
                insertTrip.bind(9, trip.maxSpeedMetersPerSecond)
                insertTrip.bind(10, trip.stoppedSeconds)
                insertTrip.bind(11, Int64(trip.open ? 1 : 0))
                try run(insertTrip)
                for slice in trip.mileage {
                    insertMileage.bind(1, key)
                    insertMileage.bind(2, slice.quarterHour)
                    insertMileage.bind(3, start)
                    insertMileage.bind(4, slice.meters)
                    try run(insertMileage)
                }
            }
            for halt in change.halts {
                insertHalt.bind(1, key)
                insertHalt.bind(2, halt.start.microsecondsSinceEpoch)
                insertHalt.bind(3, halt.end.microsecondsSinceEpoch)
                insertHalt.bind(4, Int64(halt.kind == .parking ? 1 : 0))
                insertHalt.bind(5, halt.coordinate.latitude)
                insertHalt.bind(6, halt.coordinate.longitude)
                insertHalt.bind(7, Int64(halt.open ? 1 : 0))
                insertHalt.bind(8, halt.restart?.after.microsecondsSinceEpoch)
                if let state = halt.restart?.state {
                    insertHalt.bind(9, state)
                } else {
                    insertHalt.bind(9, nil as Int64?)
                }
                try run(insertHalt)
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
