public import OrbitaModel
import PostgresNIO

/// Report rows in PostgreSQL (`report_trips`, `report_halts`, `report_mileage`; migration 4), as in SQLite. A batch
/// of changes is six statements whatever the number of vehicles: the deletions and insertions each take arrays.
extension PostgresTrackStore: ReportStore {
    /// Applies every change in one transaction.
    public func replaceReportRows(_ changes: [ReportRowsChange]) throws(StoreError) {
        guard !changes.isEmpty else { return }
        try session.transaction { () throws(StoreError) in
            let keys = try vehicleKeys(for: changes.map(\.vehicleID))
            var changeKeys: [Int64] = []
            var froms: [Int64] = []
            var quarters: [Int64] = []
            var trips = TripColumns()
            var halts = HaltColumns()
            var mileage = (keys: [Int64](), quarters: [Int64](), starts: [Int64](), meters: [Double]())
            for change in changes {
                guard let key = keys[change.vehicleID] else { continue }
                changeKeys.append(key)
                froms.append(change.from?.microsecondsSinceEpoch ?? Int64.min)
                quarters.append(change.from.map { MileageSlice.quarterHour(of: $0) } ?? Int64.min)
                for trip in change.trips {
                    trips.append(trip, key: key)
                    for slice in trip.mileage {
                        mileage.keys.append(key)
                        mileage.quarters.append(slice.quarterHour)
                        mileage.starts.append(trip.start.time.microsecondsSinceEpoch)
                        mileage.meters.append(slice.meters)
                    }
                }
                for halt in change.halts { halts.append(halt, key: key) }
            }
            for table in ["report_trips", "report_halts"] {
                try session.query(
                    PostgresQuery(
                        unsafeSQL: """
                            DELETE FROM \(table) t USING unnest($1::bigint[], $2::bigint[]) AS c(k, f)
                            WHERE t.vehicle_key = c.k AND t.start_us >= c.f
                            """, binds: Self.binds(changeKeys, froms)))
            }
            try session.query(
                PostgresQuery(
                    unsafeSQL: """
                        DELETE FROM report_mileage m USING unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS c(k, q, f)
                        WHERE m.vehicle_key = c.k AND m.quarter >= c.q AND m.trip_start_us >= c.f
                        """, binds: Self.binds(changeKeys, quarters, froms)))
            if !trips.keys.isEmpty {
                try session.query(
                    PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO report_trips (vehicle_key, start_us, end_us, start_lat, start_lon, end_lat,
                                end_lon, distance_m, max_speed_mps, stopped_s, open)
                            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::float8[],
                                $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::bool[])
                            ON CONFLICT (vehicle_key, start_us) DO UPDATE SET end_us = excluded.end_us,
                                start_lat = excluded.start_lat, start_lon = excluded.start_lon,
                                end_lat = excluded.end_lat, end_lon = excluded.end_lon,
                                distance_m = excluded.distance_m, max_speed_mps = excluded.max_speed_mps,
                                stopped_s = excluded.stopped_s, open = excluded.open
                            """,
                        binds: Self.binds(
                            trips.keys, trips.starts, trips.ends, trips.startLatitudes, trips.startLongitudes,
                            trips.endLatitudes, trips.endLongitudes, trips.distances, trips.speeds, trips.stopped,
                            trips.open)))
            }
            if !halts.keys.isEmpty {
                var bindings = Self.binds(
                    halts.keys, halts.starts, halts.ends, halts.kinds, halts.latitudes, halts.longitudes, halts.open)
                bindings.append(PostgresColumn(halts.restartAfter))
                bindings.append(PostgresColumn(halts.restartState))
                try session.query(
                    PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO report_halts (vehicle_key, start_us, end_us, kind, lat, lon, open,
                                restart_after_us, restart_state)
                            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::float8[],
                                $6::float8[], $7::bool[], $8::bigint[], $9::text[])
                            ON CONFLICT (vehicle_key, start_us) DO UPDATE SET end_us = excluded.end_us,
                                kind = excluded.kind, lat = excluded.lat, lon = excluded.lon, open = excluded.open,
                                restart_after_us = excluded.restart_after_us, restart_state = excluded.restart_state
                            """, binds: bindings))
            }
            if !mileage.keys.isEmpty {
                try session.query(
                    PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO report_mileage (vehicle_key, quarter, trip_start_us, meters)
                            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[])
                            ON CONFLICT (vehicle_key, quarter, trip_start_us) DO UPDATE SET meters = excluded.meters
                            """, binds: Self.binds(mileage.keys, mileage.quarters, mileage.starts, mileage.meters)))
            }
        }
    }

    /// The latest restart of the vehicle's parkings taken before `time`, with its parking.
    public func reportRestart(vehicleID: String, before time: UTCInstant) throws(StoreError) -> Halt? {
        let micros = time.microsecondsSinceEpoch
        return try session.query(
            """
            SELECT v.id, \(unescaped: Self.haltColumns) FROM report_halts h JOIN vehicles v ON v.key = h.vehicle_key
            WHERE v.id = \(vehicleID) AND h.start_us < \(micros) AND h.restart_after_us < \(micros)
            ORDER BY h.start_us DESC LIMIT 1
            """
        ).first.map(Self.halt)
    }

    /// Trips overlapping `from`…`to`, by vehicle and start.
    public func reportTrips(vehicleIDs: [String]?, from: UTCInstant, to: UTCInstant) throws(StoreError) -> [Trip] {
        let low = from.microsecondsSinceEpoch
        let high = to.microsecondsSinceEpoch
        var trips: [Trip] = []
        var index: [TripKey: Int] = [:]
        for row in try session.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT v.id, t.start_us, t.end_us, t.start_lat, t.start_lon, t.end_lat, t.end_lon, t.distance_m,
                        t.max_speed_mps, t.stopped_s, t.open
                    FROM report_trips t JOIN vehicles v ON v.key = t.vehicle_key
                    WHERE ($1::text[] IS NULL OR v.id = ANY($1)) AND t.start_us <= $2 AND t.end_us >= $3
                    ORDER BY v.id, t.start_us
                    """, binds: Self.vehicleFilter(vehicleIDs, high, low)))
        {
            guard
                let (
                    id, start, end, startLatitude, startLongitude, endLatitude, endLongitude, distance, speed, stopped,
                    open
                ) = try? row.decode(
                    (String, Int64, Int64, Double, Double, Double, Double, Double, Double, Double, Bool).self)
            else { continue }
            index[TripKey(vehicleID: id, start: start)] = trips.count
            trips.append(
                Trip(
                    vehicleID: id,
                    start: TrackMoment(
                        time: UTCInstant(microsecondsSinceEpoch: start),
                        coordinate: Coordinate(latitude: startLatitude, longitude: startLongitude)),
                    end: TrackMoment(
                        time: UTCInstant(microsecondsSinceEpoch: end),
                        coordinate: Coordinate(latitude: endLatitude, longitude: endLongitude)),
                    distanceMeters: distance, maxSpeedMetersPerSecond: speed, stoppedSeconds: stopped, open: open))
        }
        guard let first = trips.map(\.start.time).min() else { return trips }
        for row in try session.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT v.id, m.trip_start_us, m.quarter, m.meters
                    FROM report_trips t JOIN vehicles v ON v.key = t.vehicle_key
                    JOIN report_mileage m ON m.vehicle_key = t.vehicle_key AND m.trip_start_us = t.start_us
                        AND m.quarter >= $4
                    WHERE ($1::text[] IS NULL OR v.id = ANY($1)) AND t.start_us <= $2 AND t.end_us >= $3
                    ORDER BY v.id, m.trip_start_us, m.quarter
                    """,
                binds: Self.vehicleFilter(vehicleIDs, high, low, MileageSlice.quarterHour(of: first))))
        {
            guard let (id, start, quarter, meters) = try? row.decode((String, Int64, Int64, Double).self),
                let at = index[TripKey(vehicleID: id, start: start)]
            else { continue }
            trips[at].mileage.append(MileageSlice(quarterHour: quarter, meters: meters))
        }
        return trips
    }

    /// Stops and parkings overlapping `from`…`to`, by vehicle and start.
    public func reportHalts(vehicleIDs: [String]?, from: UTCInstant, to: UTCInstant) throws(StoreError) -> [Halt] {
        try session.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT v.id, \(Self.haltColumns) FROM report_halts h JOIN vehicles v ON v.key = h.vehicle_key
                    WHERE ($1::text[] IS NULL OR v.id = ANY($1)) AND h.start_us <= $2 AND h.end_us >= $3
                    ORDER BY v.id, h.start_us
                    """,
                binds: Self.vehicleFilter(vehicleIDs, to.microsecondsSinceEpoch, from.microsecondsSinceEpoch))
        ).map(Self.halt)
    }

    /// Mileage per vehicle and quarter hour in `from`..<`to`, by vehicle and quarter hour.
    public func reportMileage(vehicleIDs: [String]?, from: UTCInstant, to: UTCInstant) throws(StoreError)
        -> [VehicleMileageSlice]
    {
        let first = MileageSlice.firstQuarterHour(from: from)
        let last = MileageSlice.quarterHour(of: UTCInstant(microsecondsSinceEpoch: to.microsecondsSinceEpoch - 1))
        return try session.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT v.id, m.quarter, sum(m.meters) FROM report_mileage m JOIN vehicles v ON v.key = m.vehicle_key
                    WHERE ($1::text[] IS NULL OR v.id = ANY($1)) AND m.quarter BETWEEN $3 AND $2
                    GROUP BY v.id, m.quarter ORDER BY v.id, m.quarter
                    """, binds: Self.vehicleFilter(vehicleIDs, last, first))
        ).compactMap { row in
            guard let (id, quarter, meters) = try? row.decode((String, Int64, Double).self) else { return nil }
            return VehicleMileageSlice(vehicleID: id, slice: MileageSlice(quarterHour: quarter, meters: meters))
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
        return try session.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT v.id, t.trips, t.trip_us, t.max_speed, h.stop_us, h.park_us, m.meters FROM vehicles v
                    LEFT JOIN (
                        SELECT vehicle_key, count(*) FILTER (WHERE start_us >= $3)::bigint AS trips,
                            sum(least(end_us, $2) - greatest(start_us, $3))::bigint AS trip_us,
                            max(max_speed_mps) AS max_speed
                        FROM report_trips WHERE start_us <= $2 AND end_us >= $3 GROUP BY vehicle_key
                    ) t ON t.vehicle_key = v.key
                    LEFT JOIN (
                        SELECT vehicle_key,
                            sum(least(end_us, $2) - greatest(start_us, $3)) FILTER (WHERE kind = 'stop')::bigint
                                AS stop_us,
                            sum(least(end_us, $2) - greatest(start_us, $3)) FILTER (WHERE kind = 'parking')::bigint
                                AS park_us
                        FROM report_halts WHERE start_us <= $2 AND end_us >= $3 GROUP BY vehicle_key
                    ) h ON h.vehicle_key = v.key
                    LEFT JOIN (
                        SELECT vehicle_key, sum(meters) AS meters FROM report_mileage
                        WHERE quarter BETWEEN $4 AND $5 GROUP BY vehicle_key
                    ) m ON m.vehicle_key = v.key
                    WHERE ($1::text[] IS NULL OR v.id = ANY($1))
                        AND (t.vehicle_key IS NOT NULL OR h.vehicle_key IS NOT NULL OR m.vehicle_key IS NOT NULL)
                    ORDER BY v.id
                    """, binds: Self.vehicleFilter(vehicleIDs, high, low, first, last))
        ).compactMap { row in
            guard
                let (id, trips, tripMicros, maxSpeed, stopMicros, parkMicros, meters) = try? row.decode(
                    (String, Int64?, Int64?, Double?, Int64?, Int64?, Double?).self)
            else { return nil }
            var total = VehicleReportTotals(vehicleID: id)
            total.trips = Int(trips ?? 0)
            total.tripSeconds = Double(tripMicros ?? 0) / 1e6
            total.maxSpeedMetersPerSecond = maxSpeed ?? 0
            total.stoppedSeconds = Double(stopMicros ?? 0) / 1e6
            total.parkedSeconds = Double(parkMicros ?? 0) / 1e6
            total.distanceMeters = meters ?? 0
            return total
        }
    }

    private static let haltColumns =
        "h.start_us, h.end_us, h.kind, h.lat, h.lon, h.open, h.restart_after_us, h.restart_state"

    private static func halt(_ row: PostgresRow) -> Halt {
        let cells = row.makeRandomAccess()
        func value<T: PostgresDecodable>(_ index: Int, _ type: T.Type) -> T? { try? cells[index].decode(T.self) }
        var restart: ReportRestart?
        if let after = value(7, Int64?.self) ?? nil, let state = value(8, String?.self) ?? nil {
            restart = ReportRestart(after: UTCInstant(microsecondsSinceEpoch: after), state: state)
        }
        return Halt(
            vehicleID: value(0, String.self) ?? "", kind: Halt.Kind(rawValue: value(3, String.self) ?? "") ?? .stop,
            coordinate: Coordinate(latitude: value(4, Double.self) ?? 0, longitude: value(5, Double.self) ?? 0),
            start: UTCInstant(microsecondsSinceEpoch: value(1, Int64.self) ?? 0),
            end: UTCInstant(microsecondsSinceEpoch: value(2, Int64.self) ?? 0), open: value(6, Bool.self) ?? false,
            restart: restart)
    }

    /// `$1` the vehicle IDs (NULL: all), then `values`.
    private static func vehicleFilter(_ vehicleIDs: [String]?, _ values: Int64...) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count + 1)
        if let vehicleIDs {
            bindings.append(vehicleIDs)
        } else {
            bindings.appendNull()
        }
        for value in values { bindings.append(value) }
        return bindings
    }

    private struct TripKey: Hashable {
        var vehicleID: String
        var start: Int64
    }

    /// A batch's trips as columns.
    private struct TripColumns {
        var keys: [Int64] = []
        var starts: [Int64] = []
        var ends: [Int64] = []
        var startLatitudes: [Double] = []
        var startLongitudes: [Double] = []
        var endLatitudes: [Double] = []
        var endLongitudes: [Double] = []
        var distances: [Double] = []
        var speeds: [Double] = []
        var stopped: [Double] = []
        var open: [Bool] = []

        mutating func append(_ trip: Trip, key: Int64) {
            keys.append(key)
            starts.append(trip.start.time.microsecondsSinceEpoch)
            ends.append(trip.end.time.microsecondsSinceEpoch)
            startLatitudes.append(trip.start.coordinate.latitude)
            startLongitudes.append(trip.start.coordinate.longitude)
            endLatitudes.append(trip.end.coordinate.latitude)
            endLongitudes.append(trip.end.coordinate.longitude)
            distances.append(max(0, trip.distanceMeters))
            speeds.append(trip.maxSpeedMetersPerSecond)
            stopped.append(trip.stoppedSeconds)
            open.append(trip.open)
        }
    }

    /// A batch's stops and parkings as columns.
    private struct HaltColumns {
        var keys: [Int64] = []
        var starts: [Int64] = []
        var ends: [Int64] = []
        var kinds: [String] = []
        var latitudes: [Double] = []
        var longitudes: [Double] = []
        var open: [Bool] = []
        var restartAfter: [Int64?] = []
        var restartState: [String?] = []

        mutating func append(_ halt: Halt, key: Int64) {
            keys.append(key)
            starts.append(halt.start.microsecondsSinceEpoch)
            ends.append(halt.end.microsecondsSinceEpoch)
            kinds.append(halt.kind.rawValue)
            latitudes.append(halt.coordinate.latitude)
            longitudes.append(halt.coordinate.longitude)
            open.append(halt.open)
            restartAfter.append(halt.restart?.after.microsecondsSinceEpoch)
            restartState.append(halt.restart?.state)
        }
    }
}
