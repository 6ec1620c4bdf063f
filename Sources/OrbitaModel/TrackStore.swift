/// What a vehicle is, for dispatchers and per-kind rules.
public enum VehicleKind: String, CaseIterable, Sendable, Hashable, Codable {
    /// City or intercity bus.
    case bus
    /// Tram.
    case tram
    /// Trolleybus.
    case trolleybus
    /// Ambulance.
    case ambulance
    /// Municipal service vehicle (street cleaning, refuse…).
    case municipal
    /// Freight truck.
    case freight
    /// Anything else.
    case other
}

/// A tracked vehicle.
public struct Vehicle: Sendable, Hashable {
    /// The device identity its tracker sends (IMEI or other ID).
    public var id: String
    /// A name for people.
    public var name: String
    /// What kind of vehicle it is.
    public var kind: VehicleKind
    /// The registration plate, when known.
    public var registration: String?

    /// Creates a vehicle; the name defaults to the ID.
    public init(id: String, name: String? = nil, kind: VehicleKind = .other, registration: String? = nil) {
        self.id = id
        self.name = name ?? id
        self.kind = kind
        self.registration = registration
    }
}

/// Flags stored with a fix.
public struct FixFlags: OptionSet, Sendable, Hashable {
    /// The bits.
    public let rawValue: Int
    /// Creates flags from bits.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The fix arrived after a later fix of the same vehicle (blackbox upload, old log): stored, but it did not
    /// move the live state.
    public static let late = FixFlags(rawValue: 1 << 0)
    /// The position was held at the parked position (drift at a stop).
    public static let held = FixFlags(rawValue: 1 << 1)
    /// The position was converted from another datum (DTM) to WGS 84.
    public static let datumConverted = FixFlags(rawValue: 1 << 2)
    /// Dated ahead of the server's clock by more than the skew tolerance (a tracker clock ahead, or a forged
    /// datagram): stored, but it did not move the live state and is not the vehicle's last position.
    public static let ahead = FixFlags(rawValue: 1 << 3)
}

/// A fix as stored: a vehicle's accepted position at a time, in WGS 84.
public struct TrackPoint: Sendable, Hashable {
    /// The vehicle.
    public var vehicleID: String
    /// When.
    public var time: UTCInstant
    /// Where, WGS 84.
    public var coordinate: Coordinate
    /// Altitude above mean sea level, metres.
    public var altitudeMSL: Double?
    /// Speed over ground, m/s.
    public var speedMetersPerSecond: Double?
    /// Course over ground, degrees true.
    public var courseDegrees: Double?
    /// Fix mode.
    public var mode: FixMode
    /// Fix quality.
    public var quality: FixQuality
    /// Horizontal dilution of precision.
    public var hdop: Double?
    /// Satellites used.
    public var satellitesUsed: Int?
    /// Satellites in view per constellation.
    public var satellitesInView: SatelliteCounts
    /// The datum the receiver reported (coordinates are converted to WGS 84).
    public var datum: Datum
    /// Flags.
    public var flags: FixFlags
    /// Where the fix came from (`import:FILE`, `udp`, …).
    public var source: String
    /// Distance from the vehicle's previous stored fix along its track, metres (0 for the first; nil for late fixes).
    public var segmentMeters: Double?

    /// Creates a track point.
    public init(
        vehicleID: String, time: UTCInstant, coordinate: Coordinate, altitudeMSL: Double? = nil,
        speedMetersPerSecond: Double? = nil, courseDegrees: Double? = nil, mode: FixMode = .twoDimensional,
        quality: FixQuality = .autonomous, hdop: Double? = nil, satellitesUsed: Int? = nil,
        satellitesInView: SatelliteCounts = SatelliteCounts(), datum: Datum = .wgs84, flags: FixFlags = [],
        source: String = "", segmentMeters: Double? = nil
    ) {
        self.vehicleID = vehicleID
        self.time = time
        self.coordinate = coordinate
        self.altitudeMSL = altitudeMSL
        self.speedMetersPerSecond = speedMetersPerSecond
        self.courseDegrees = courseDegrees
        self.mode = mode
        self.quality = quality
        self.hdop = hdop
        self.satellitesUsed = satellitesUsed
        self.satellitesInView = satellitesInView
        self.datum = datum
        self.flags = flags
        self.source = source
        self.segmentMeters = segmentMeters
    }
}

/// A vehicle with the extent of its stored track.
public struct VehicleSummary: Sendable, Hashable {
    /// The vehicle.
    public var vehicle: Vehicle
    /// Stored fixes.
    public var fixCount: Int
    /// Time of the first stored fix.
    public var firstTime: UTCInstant?
    /// Time of the last stored fix.
    public var lastTime: UTCInstant?
    /// Track length, metres (sum of the stored segments).
    public var distanceMeters: Double

    /// Creates a summary.
    public init(
        vehicle: Vehicle, fixCount: Int, firstTime: UTCInstant?, lastTime: UTCInstant?, distanceMeters: Double
    ) {
        self.vehicle = vehicle
        self.fixCount = fixCount
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.distanceMeters = distanceMeters
    }
}

extension TrackStore {
    /// Inserts fixes in one transaction; existing (vehicle, time) pairs are skipped and counted.
    public func insert(_ points: [TrackPoint]) throws(StoreError) -> InsertOutcome {
        try insert(points, events: [])
    }
}

/// What one batch insert did.
public struct InsertOutcome: Sendable, Hashable {
    /// Rows added.
    public var inserted: Int
    /// Rows skipped because the vehicle already had a fix at that time (re-imports add nothing).
    public var duplicates: Int
    /// The positions in the batch of the skipped rows, ascending.
    public var skippedIndices: [Int]
    /// Events added (events already stored are not counted).
    public var eventsInserted: Int
    /// Of the skipped rows, those left out because this node no longer holds their vehicle (a cluster node that
    /// lost its lease; see `WriteFence`): not stored, not duplicates, and the events of those vehicles not stored
    /// either. Positions in the batch, ascending; always empty for a single server.
    public var fencedIndices: [Int] = []
    /// The numbers the database gave the added fixes, in batch order (skipped ones have none): the live feed's
    /// cursor. Not part of equality (they depend on what the database held before).
    public var fixIDs: [Int64] = []
    /// The number the database gave each event of the batch, in batch order (nil: already stored).
    public var eventIDs: [Int64?] = []

    /// Equal when the same was decided: counts and skipped positions.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.inserted == rhs.inserted && lhs.duplicates == rhs.duplicates && lhs.skippedIndices == rhs.skippedIndices
            && lhs.eventsInserted == rhs.eventsInserted
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(inserted)
        hasher.combine(duplicates)
        hasher.combine(skippedIndices)
        hasher.combine(eventsInserted)
    }

    /// Creates an outcome.
    public init(inserted: Int = 0, duplicates: Int = 0, skippedIndices: [Int] = [], eventsInserted: Int = 0) {
        self.inserted = inserted
        self.duplicates = duplicates
        self.skippedIndices = skippedIndices
        self.eventsInserted = eventsInserted
    }
}

/// Follows the commits other processes make to the same database (PostgreSQL's `LISTEN`/`NOTIFY`): the live feed of
/// one cluster node learns of what the others stored without reading the database in a loop.
public protocol CommitListener: Sendable {
    /// Stops following.
    func stop()
}

/// What a `CommitListener` hears.
public enum CommitNotice: Sendable, Equatable {
    /// A commit stored fixes and events up to these numbers.
    case committed(fix: Int64, event: Int64)
    /// The listening connection was lost and is back: commits may have gone unheard meanwhile.
    case mayHaveMissed
}

/// Why storage failed, whatever the backend.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The database file is damaged or is not a database.
    case corrupt(String)
    /// Another process holds the database and did not let go in time.
    case locked(String)
    /// The disk (or quota) is full; nothing of the failed batch was committed.
    case diskFull(String)
    /// A row broke a constraint (a bug in the caller: the pipeline validates first).
    case constraint(String)
    /// The database cannot be opened, read or written.
    case io(String)

    /// One line for the CLI and logs.
    public var description: String {
        switch self {
        case .corrupt(let detail): "the database is corrupt or not an Orbita database (\(detail))"
        case .locked(let detail): "the database is locked by another process (\(detail))"
        case .diskFull(let detail): "the disk is full; nothing of the last batch was written (\(detail))"
        case .constraint(let detail): "a row was refused by the schema (\(detail))"
        case .io(let detail): "the database cannot be read or written (\(detail))"
        }
    }
}

/// Where tracks live. The pipeline, import, server and API use only this protocol, so that SQLite (the embedded
/// default) and PostgreSQL (for fleets that outgrow one machine) are interchangeable.
///
/// Contract (checked by `Tests/StoreContractTests`, which every backend runs): a fix is unique per (vehicle, time) and
/// a second insert of it is counted as a duplicate, not an error; a batch is committed entirely or not at all; tracks
/// come back in time order; inserting a fix for an unknown vehicle registers it with kind `other`.
///
/// Synchronous and throwing on purpose: every caller already runs off the event loops and the cooperative pool (the
/// batch writer and the live processor on threads of their own, the dispatch API on NIO's blocking thread pool, the
/// CLI on its own thread), and one call is one transaction. An asynchronous client such as postgres-nio is wrapped by
/// waiting for its futures on those threads, never on an event loop or in a task. An instance is used by one thread
/// at a time; opening a backend (which may be async) is not part of the protocol.
public protocol TrackStore: AnyObject {
    /// Adds or updates a vehicle.
    func save(_ vehicle: Vehicle) throws(StoreError)
    /// One vehicle.
    func vehicle(id: String) throws(StoreError) -> Vehicle?
    /// Every registered vehicle, by ID.
    func vehicles() throws(StoreError) -> [Vehicle]
    /// Inserts fixes and the events they raised in one transaction; existing (vehicle, time) fixes and existing
    /// events (same vehicle, kind, subject and time) are skipped and counted.
    func insert(_ points: [TrackPoint], events: [VehicleEvent]) throws(StoreError) -> InsertOutcome
    /// A vehicle's track between two instants (inclusive), in time order.
    func track(vehicleID: String, from: UTCInstant?, to: UTCInstant?) throws(StoreError) -> [TrackPoint]
    /// The last stored fix of every vehicle that has one.
    func lastPositions() throws(StoreError) -> [TrackPoint]
    /// The last stored fix of one vehicle at or before an instant (nil: the very last).
    func lastPoint(vehicleID: String, atOrBefore: UTCInstant?) throws(StoreError) -> TrackPoint?
    /// Every vehicle with its track summary, by ID.
    func summaries() throws(StoreError) -> [VehicleSummary]
    /// What resuming several vehicles needs, in one go: for each registered one of `vehicleIDs`, its kind, its
    /// stored fixes from `from` on and the last one before them (a cluster node resuming the vehicles of the shards it
    /// claimed: thousands at once). The default asks per vehicle.
    func recentTracks(vehicleIDs: [String], from: UTCInstant) throws(StoreError) -> [String: RecentTrack]
    /// Removes the vehicle's unacknowledged events of `kinds` at or after `from` that `keeping` does not hold (the
    /// same kind, subject and time): what a replay of its track after a late fix no longer raises.
    /// - Returns: how many were removed.
    func retractEvents(vehicleID: String, kinds: Set<EventKind>, from: UTCInstant, keeping: [VehicleEvent])
        throws(StoreError) -> Int
}

extension VehicleEvent {
    /// What makes an event the same event in the store: vehicle, kind, subject (fence or route) and time.
    public var storedIdentity: String { "\(kind.rawValue)|\(subject)|\(time.microsecondsSinceEpoch)" }
}

/// A vehicle's recent stored track, as `TrackStore.recentTracks` reads it.
public struct RecentTrack: Sendable, Equatable {
    /// The vehicle's kind.
    public var kind: VehicleKind
    /// The last fix before the window, if any.
    public var before: TrackPoint?
    /// The fixes in the window, in time order.
    public var track: [TrackPoint]

    /// Creates one.
    public init(kind: VehicleKind, before: TrackPoint?, track: [TrackPoint]) {
        self.kind = kind
        self.before = before
        self.track = track
    }
}

extension TrackStore {
    /// Per vehicle: three queries each (fine for SQLite, in the process; PostgreSQL reads them all at once).
    public func recentTracks(vehicleIDs: [String], from: UTCInstant) throws(StoreError) -> [String: RecentTrack] {
        var recent: [String: RecentTrack] = [:]
        let justBefore = UTCInstant(microsecondsSinceEpoch: from.microsecondsSinceEpoch - 1)
        for id in Set(vehicleIDs) {
            guard let vehicle = try vehicle(id: id) else { continue }
            recent[id] = RecentTrack(
                kind: vehicle.kind, before: try lastPoint(vehicleID: id, atOrBefore: justBefore),
                track: try track(vehicleID: id, from: from, to: nil))
        }
        return recent
    }
}

/// A store of tracks, of the zones their events refer to and of the report rows derived from them: what fleet tracking
/// (import and the live server) needs.
public typealias FleetStore = TrackStore & ZoneStore & ReportStore
