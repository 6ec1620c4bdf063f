import GRDB
import OrbitaModel

/// One table of fixes covering a span of fix time `[start, end)`: the fix history split by time.
///
/// A fleet's fixes arrive interleaved, so every commit touches the (vehicle, time) key once per vehicle; while the
/// pages being written fit the page cache inserts are fast, and once they do not every commit reads pages back (the
/// single table fell from 61 k to 15–22 k rows/s after 5 M rows, `orbita bench history`). Partitions keep what is
/// written small: a partition never spans two UTC days and is closed at `SQLiteTrackStore.partitionRowLimit` rows,
/// the next fixes opening a new one; older partitions are only read, and retention drops whole partitions (no
/// row-by-row delete). Each partition is a WITHOUT ROWID table keyed by (vehicle, time), so that a vehicle's fixes
/// lie together: a day's track reads a few pages instead of one page a fix (measured: 5 ms instead of ≈ 60 ms for
/// 3,000 fixes, for 30 % slower inserts). Fix numbers come from one sequence across partitions (the live feed's
/// cursor), indexed per partition.
struct FixPartition: Sendable, Equatable {
    /// Key in `fix_partitions`.
    var id: Int64
    /// The table's name: `fixes_YYYYMMDD_ID` (the UTC day of its start).
    var name: String
    /// First instant covered, microseconds since the epoch.
    var start: Int64
    /// First instant no longer covered.
    var end: Int64
    /// Rows it holds.
    var rows: Int64
    /// The highest fix number it holds (0 when empty).
    var maxID: Int64
    /// The latest fix time it holds.
    var lastTime: Int64?

    /// Whether a fix time falls in it.
    func covers(_ time: Int64) -> Bool { start <= time && time < end }

    /// Whether it reaches the end of its UTC day (the partition the day's new fixes go to).
    var isLastOfItsDay: Bool {
        end == FixPartitions.floorDiv(start, FixPartitions.day) * FixPartitions.day + FixPartitions.day
    }
}

/// The catalogue of fix partitions and the queries over it; `SQLiteTrackStore` writes and reads fixes through it.
enum FixPartitions {
    /// Microseconds in a UTC day: no partition spans two.
    static let day: Int64 = 86_400_000_000

    /// The columns of a fix row, as every partition has them.
    static let columnsSQL = """
        id INTEGER NOT NULL,
        vehicle_key INTEGER NOT NULL REFERENCES vehicles(key) ON DELETE CASCADE,
        time_us INTEGER NOT NULL,
        lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
        lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
        altitude_m REAL CHECK (altitude_m IS NULL OR altitude_m BETWEEN -1000 AND 100000),
        speed_mps REAL CHECK (speed_mps IS NULL OR speed_mps >= 0),
        course_deg REAL CHECK (course_deg IS NULL OR (course_deg >= 0 AND course_deg <= 360)),
        mode INTEGER NOT NULL CHECK (mode BETWEEN 1 AND 3),
        quality INTEGER NOT NULL CHECK (quality BETWEEN 0 AND 8),
        hdop REAL CHECK (hdop IS NULL OR hdop >= 0),
        sats_used INTEGER CHECK (sats_used IS NULL OR sats_used >= 0),
        view_gps INTEGER NOT NULL DEFAULT 0,
        view_glonass INTEGER NOT NULL DEFAULT 0,
        view_galileo INTEGER NOT NULL DEFAULT 0,
        view_beidou INTEGER NOT NULL DEFAULT 0,
        view_qzss INTEGER NOT NULL DEFAULT 0,
        view_navic INTEGER NOT NULL DEFAULT 0,
        view_sbas INTEGER NOT NULL DEFAULT 0,
        datum INTEGER NOT NULL DEFAULT 0 CHECK (datum BETWEEN 0 AND 5),
        flags INTEGER NOT NULL DEFAULT 0,
        source_key INTEGER NOT NULL REFERENCES sources(key),
        segment_m REAL CHECK (segment_m IS NULL OR segment_m >= 0),
        PRIMARY KEY (vehicle_key, time_us)
        """

    /// Every partition, oldest first.
    static func all(_ db: Database) throws -> [FixPartition] {
        try Row.fetchAll(db, sql: "SELECT * FROM fix_partitions ORDER BY start_us").map(partition)
    }

    /// The partitions that hold fixes of `vehicleKey` in `[from, to]`, oldest first (`newestFirst`: newest first).
    static func holding(
        vehicleKey: Int64, from: Int64, to: Int64, newestFirst: Bool = false, _ db: Database
    ) throws -> [FixPartition] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT p.* FROM fix_partitions p JOIN partition_vehicles pv
                    ON pv.partition_id = p.id AND pv.vehicle_key = ?
                WHERE p.end_us > ? AND p.start_us <= ? AND pv.last_us >= ? AND pv.first_us <= ?
                ORDER BY p.start_us \(newestFirst ? "DESC" : "")
                """, arguments: [vehicleKey, from, to, from, to]
        ).map(partition)
    }

    /// The partitions holding fixes numbered above `id`, oldest first.
    static func holding(numbersAbove id: Int64, _ db: Database) throws -> [FixPartition] {
        try Row.fetchAll(db, sql: "SELECT * FROM fix_partitions WHERE max_id > ? ORDER BY start_us", arguments: [id])
            .map(partition)
    }

    /// The number the next fix gets.
    static func nextID(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT next_id FROM fix_sequence WHERE id = 1") ?? 1
    }

    /// Creates the partition for a fix at `time`: the rest of its UTC day not covered by a neighbour.
    /// - Parameter partitions: every partition, oldest first (the new one is inserted in order).
    static func create(covering time: Int64, in partitions: inout [FixPartition], _ db: Database) throws -> Int {
        let dayStart = floorDiv(time, day) * day
        var start = dayStart
        var end = dayStart + day
        var index = partitions.count
        for (position, partition) in partitions.enumerated() {
            if partition.end <= time { start = max(start, partition.end) }
            if partition.start > time {
                end = min(end, partition.start)
                index = position
                break
            }
        }
        return try insert(start: start, end: end, at: index, in: &partitions, db)
    }

    /// Closes the newest partition at `time` (its last fix is earlier) and opens the next one from `time` to its end.
    static func split(_ index: Int, at time: Int64, in partitions: inout [FixPartition], _ db: Database) throws -> Int {
        let end = partitions[index].end
        partitions[index].end = time
        try db.execute(
            sql: "UPDATE fix_partitions SET end_us = ? WHERE id = ?", arguments: [time, partitions[index].id])
        return try insert(start: time, end: end, at: index + 1, in: &partitions, db)
    }

    private static func insert(
        start: Int64, end: Int64, at index: Int, in partitions: inout [FixPartition], _ db: Database
    ) throws -> Int {
        let id = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) + 1 FROM fix_partitions")) ?? 1
        let name = "fixes_\(dayName(start))_\(id)"
        try db.execute(sql: "CREATE TABLE \(name) (\(columnsSQL)) STRICT, WITHOUT ROWID")
        try db.execute(sql: "CREATE UNIQUE INDEX \(name)_by_number ON \(name) (id)")
        try db.execute(
            sql: "INSERT INTO fix_partitions (id, name, start_us, end_us) VALUES (?, ?, ?, ?)",
            arguments: [id, name, start, end])
        partitions.insert(
            FixPartition(id: id, name: name, start: start, end: end, rows: 0, maxID: 0, lastTime: nil), at: index)
        return index
    }

    /// `YYYYMMDD` of the UTC day of an instant.
    static func dayName(_ time: Int64) -> String {
        let date = CivilDate(daysSinceEpoch: Int(floorDiv(time, day)))
        return String(date.year * 10_000 + date.month * 100 + date.day)
    }

    static func partition(_ row: Row) -> FixPartition {
        FixPartition(
            id: row["id"], name: row["name"], start: row["start_us"], end: row["end_us"], rows: row["rows"],
            maxID: row["max_id"], lastTime: row["last_us"])
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
