/// A place and a moment on a track.
public struct TrackMoment: Sendable, Hashable {
    /// When.
    public var time: UTCInstant
    /// Where.
    public var coordinate: Coordinate

    /// Creates one.
    public init(time: UTCInstant, coordinate: Coordinate) {
        self.time = time
        self.coordinate = coordinate
    }
}

/// Metres driven in one UTC quarter hour: the grain of mileage. Every time zone's offset is a multiple of 15 minutes,
/// so a quarter hour lies within one calendar day in any zone and per-day mileage in any zone sums whole slices.
public struct MileageSlice: Sendable, Hashable {
    /// Quarter hours since the Unix epoch (UTC).
    public var quarterHour: Int64
    /// Metres driven in it.
    public var meters: Double

    /// Creates one.
    public init(quarterHour: Int64, meters: Double) {
        self.quarterHour = quarterHour
        self.meters = meters
    }

    /// Microseconds in a quarter hour.
    public static let microseconds: Int64 = 900_000_000

    /// The quarter hour an instant falls in.
    public static func quarterHour(of time: UTCInstant) -> Int64 {
        let micros = time.microsecondsSinceEpoch
        let quotient = micros / microseconds
        return micros % microseconds < 0 ? quotient - 1 : quotient
    }

    /// The first quarter hour that begins at or after an instant.
    public static func firstQuarterHour(from time: UTCInstant) -> Int64 {
        quarterHour(of: UTCInstant(microsecondsSinceEpoch: time.microsecondsSinceEpoch + microseconds - 1))
    }

    /// When a quarter hour begins.
    public static func start(of quarterHour: Int64) -> UTCInstant {
        UTCInstant(microsecondsSinceEpoch: quarterHour * microseconds)
    }
}

/// A drive from one parking to the next.
public struct Trip: Sendable, Hashable {
    /// The vehicle.
    public var vehicleID: String
    /// Where and when it began (the last fix of the parking before it, or the first fix).
    public var start: TrackMoment
    /// Where and when it ended (the first fix of the parking after it, or the last fix before a gap).
    public var end: TrackMoment
    /// Distance driven, metres: the fixes' segments while moving (not while halted: drift is not mileage).
    public var distanceMeters: Double
    /// The highest speed of its fixes, m/s.
    public var maxSpeedMetersPerSecond: Double
    /// Seconds spent in its stops.
    public var stoppedSeconds: Double
    /// Whether the track ended while it was going on (its end is the last fix so far).
    public var open: Bool
    /// Its distance by the quarter hour it was driven in, in time order (they add up to `distanceMeters`).
    public var mileage: [MileageSlice]

    /// Creates one.
    public init(
        vehicleID: String, start: TrackMoment, end: TrackMoment, distanceMeters: Double,
        maxSpeedMetersPerSecond: Double, stoppedSeconds: Double, open: Bool, mileage: [MileageSlice] = []
    ) {
        self.vehicleID = vehicleID
        self.start = start
        self.end = end
        self.distanceMeters = distanceMeters
        self.maxSpeedMetersPerSecond = maxSpeedMetersPerSecond
        self.stoppedSeconds = stoppedSeconds
        self.open = open
        self.mileage = mileage
    }

    /// Seconds from start to end.
    public var durationSeconds: Double { end.time.seconds(since: start.time) }

    /// Credits `meters` driven at `time` to its quarter hour.
    public mutating func credit(_ meters: Double, at time: UTCInstant) {
        guard meters != 0 else { return }
        distanceMeters += meters
        let quarter = MileageSlice.quarterHour(of: time)
        if let last = mileage.indices.last, mileage[last].quarterHour == quarter {
            mileage[last].meters += meters
        } else {
            mileage.append(MileageSlice(quarterHour: quarter, meters: meters))
        }
    }
}

/// A halt: a stop inside a trip, or a parking between trips.
public struct Halt: Sendable, Hashable {
    /// Which.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Shorter than the parking threshold: the trip goes on.
        case stop
        /// At least the parking threshold (or the track's start, or a gap): the trip ends.
        case parking
    }

    /// The vehicle.
    public var vehicleID: String
    /// Stop or parking.
    public var kind: Kind
    /// Where the vehicle stood (its first halted fix).
    public var coordinate: Coordinate
    /// The first halted fix's time.
    public var start: UTCInstant
    /// The last halted fix's time (for a parking: the fix before the vehicle left; when its tracker was off and came
    /// back elsewhere, the first fix back).
    public var end: UTCInstant
    /// Whether the track ended while it was going on.
    public var open: Bool
    /// For a parking: where report rows can be derived again from (see `ReportRestart`).
    public var restart: ReportRestart?

    /// Creates one.
    public init(
        vehicleID: String, kind: Kind, coordinate: Coordinate, start: UTCInstant, end: UTCInstant, open: Bool,
        restart: ReportRestart? = nil
    ) {
        self.vehicleID = vehicleID
        self.kind = kind
        self.coordinate = coordinate
        self.start = start
        self.end = end
        self.open = open
        self.restart = restart
    }

    /// Seconds from start to end.
    public var durationSeconds: Double { end.seconds(since: start) }
}

/// A point a vehicle's report rows can be derived again from without reading its track before it: the state of the
/// derivation right after the fix that made a parking certain. Rows from the parking's start on follow from it and
/// the fixes after `after`; the store keeps it opaque.
public struct ReportRestart: Sendable, Hashable {
    /// The fix it was taken at: fixes after it are fed on.
    public var after: UTCInstant
    /// The derivation's state, encoded by the code that derives rows.
    public var state: String

    /// Creates one.
    public init(after: UTCInstant, state: String) {
        self.after = after
        self.state = state
    }
}

/// A vehicle's stay inside a geofence: from its enter to its exit, clipped to a report's window.
public struct GeofenceVisit: Sendable, Equatable {
    /// The vehicle.
    public var vehicleID: String
    /// The geofence.
    public var geofence: String
    /// When it entered, or the window's start when it was already inside then (`openAtStart`).
    public var start: UTCInstant
    /// When it left, or the window's end when it was still inside then (`openAtEnd`).
    public var end: UTCInstant
    /// It was inside when the window began (the enter lies before it, or is not known).
    public var openAtStart: Bool
    /// It was still inside when the window ended.
    public var openAtEnd: Bool

    /// Creates one.
    public init(
        vehicleID: String, geofence: String, start: UTCInstant, end: UTCInstant, openAtStart: Bool, openAtEnd: Bool
    ) {
        self.vehicleID = vehicleID
        self.geofence = geofence
        self.start = start
        self.end = end
        self.openAtStart = openAtStart
        self.openAtEnd = openAtEnd
    }

    /// Seconds inside, within the window.
    public var durationSeconds: Double { end.seconds(since: start) }
}

/// A vehicle's mileage in one quarter hour, summed over its trips.
public struct VehicleMileageSlice: Sendable, Hashable {
    /// The vehicle.
    public var vehicleID: String
    /// The quarter hour and its metres.
    public var slice: MileageSlice

    /// Creates one.
    public init(vehicleID: String, slice: MileageSlice) {
        self.vehicleID = vehicleID
        self.slice = slice
    }
}

/// A vehicle's report rows from an instant on: the trips and halts that start at or after `from` (nil: all of
/// them), with their mileage, are replaced by `trips` and `halts`.
public struct ReportRowsChange: Sendable, Hashable {
    /// The vehicle.
    public var vehicleID: String
    /// Where the replaced rows begin (nil: all of the vehicle's rows).
    public var from: UTCInstant?
    /// The new trips (starting at or after `from`).
    public var trips: [Trip]
    /// The new stops and parkings (starting at or after `from`).
    public var halts: [Halt]

    /// Creates one.
    public init(vehicleID: String, from: UTCInstant?, trips: [Trip], halts: [Halt]) {
        self.vehicleID = vehicleID
        self.from = from
        self.trips = trips
        self.halts = halts
    }
}

/// Sums of a vehicle's report rows over a window, computed where they are stored (a month of a fleet's rows is not
/// read row by row): durations clipped to the window.
public struct VehicleReportTotals: Sendable, Hashable {
    /// The vehicle.
    public var vehicleID: String
    /// Metres driven in the window's quarter hours.
    public var distanceMeters: Double = 0
    /// Seconds of trips within the window (their stops included).
    public var tripSeconds: Double = 0
    /// Seconds of stops within the window.
    public var stoppedSeconds: Double = 0
    /// Seconds of parkings within the window.
    public var parkedSeconds: Double = 0
    /// Trips that began in the window.
    public var trips = 0
    /// The highest speed of the trips overlapping the window, m/s.
    public var maxSpeedMetersPerSecond: Double = 0

    /// Creates one (zeros).
    public init(vehicleID: String) { self.vehicleID = vehicleID }
}

/// A stop or parking with the geofences it lies in.
public struct HaltReport: Sendable, Equatable {
    /// The row.
    public var halt: Halt
    /// The geofences around where the vehicle stood, by name.
    public var geofences: [String]

    /// Creates one.
    public init(halt: Halt, geofences: [String]) {
        self.halt = halt
        self.geofences = geofences
    }
}

/// A vehicle's distance on one calendar day of the report's zone.
public struct DayMileage: Sendable, Equatable {
    /// The vehicle.
    public var vehicleID: String
    /// The day.
    public var day: CivilDate
    /// Metres driven on it.
    public var meters: Double

    /// Creates one.
    public init(vehicleID: String, day: CivilDate, meters: Double) {
        self.vehicleID = vehicleID
        self.day = day
        self.meters = meters
    }
}

/// A vehicle's (or the fleet's) summary over a window.
public struct ReportSummary: Sendable, Equatable {
    /// The vehicle, or nil for the fleet.
    public var vehicleID: String?
    /// The sums from the report rows.
    public var totals: VehicleReportTotals
    /// Geofence visits overlapping the window.
    public var visits: Int
    /// Route deviations raised in the window.
    public var deviations: Int

    /// Creates one.
    public init(vehicleID: String?, totals: VehicleReportTotals, visits: Int, deviations: Int) {
        self.vehicleID = vehicleID
        self.totals = totals
        self.visits = visits
        self.deviations = deviations
    }

    /// Seconds driving: trips less their stops.
    public var drivingSeconds: Double { max(0, totals.tripSeconds - totals.stoppedSeconds) }
    /// Average speed while driving, m/s (0 without driving).
    public var averageMovingSpeed: Double { drivingSeconds > 0 ? totals.distanceMeters / drivingSeconds : 0 }
}

/// A trip judged against an assigned route: a vehicle's trip within one of its route assignments.
public struct RouteTripReport: Sendable, Equatable {
    /// A checkpoint reached or missed, and when.
    public struct Checkpoint: Sendable, Equatable {
        /// Its name.
        public var name: String
        /// When it was reached, or passed without being reached.
        public var time: UTCInstant

        /// Creates one.
        public init(name: String, time: UTCInstant) {
            self.name = name
            self.time = time
        }
    }

    /// The vehicle.
    public var vehicleID: String
    /// The route.
    public var route: String
    /// Where the judged part begins: the trip's start, or the assignment's when later.
    public var start: UTCInstant
    /// Where it ends: the trip's end, or the assignment's when earlier.
    public var end: UTCInstant
    /// Metres driven in it.
    public var distanceMeters: Double
    /// Metres driven off the route (between each deviation and its return, or the end).
    public var offRouteMeters: Double
    /// Route deviations that began in it.
    public var deviations: Int
    /// The most metres driven off the route in one deviation.
    public var longestDeviationMeters: Double
    /// The farthest from the route a deviation went, metres (as its event measured).
    public var maxOffsetMeters: Double
    /// Checkpoints reached, in order.
    public var checkpointsArrived: [Checkpoint]
    /// Checkpoints missed, in order.
    public var checkpointsMissed: [Checkpoint]
    /// Wrong-direction events in it (the engine raises one when a vehicle starts driving against the route).
    public var wrongDirection: Int

    /// Creates one.
    public init(
        vehicleID: String, route: String, start: UTCInstant, end: UTCInstant, distanceMeters: Double,
        offRouteMeters: Double = 0, deviations: Int = 0, longestDeviationMeters: Double = 0,
        maxOffsetMeters: Double = 0, checkpointsArrived: [Checkpoint] = [], checkpointsMissed: [Checkpoint] = [],
        wrongDirection: Int = 0
    ) {
        self.vehicleID = vehicleID
        self.route = route
        self.start = start
        self.end = end
        self.distanceMeters = distanceMeters
        self.offRouteMeters = offRouteMeters
        self.deviations = deviations
        self.longestDeviationMeters = longestDeviationMeters
        self.maxOffsetMeters = maxOffsetMeters
        self.checkpointsArrived = checkpointsArrived
        self.checkpointsMissed = checkpointsMissed
        self.wrongDirection = wrongDirection
    }

    /// The share of the judged distance driven on the route, 0–1 (1 without deviations).
    public var onRouteShare: Double {
        guard distanceMeters > 0 else { return offRouteMeters > 0 ? 0 : 1 }
        return min(1, max(0, 1 - offRouteMeters / distanceMeters))
    }
}

/// Where report rows live, beside the tracks they are derived from (each backend keeps them in its own tables and
/// runs the same contract suite). Rows are replaced from an instant on, never edited one by one: a derivation rewrites
/// everything from where it started.
public protocol ReportStore: AnyObject {
    /// Applies every change in one transaction.
    func replaceReportRows(_ changes: [ReportRowsChange]) throws(StoreError)
    /// The latest restart of the vehicle's parkings taken before `time`, with its parking.
    func reportRestart(vehicleID: String, before time: UTCInstant) throws(StoreError) -> Halt?
    /// Trips overlapping `from`…`to` (inclusive), of the given vehicles (nil: all), by vehicle and start.
    func reportTrips(vehicleIDs: [String]?, from: UTCInstant, to: UTCInstant) throws(StoreError) -> [Trip]
    /// Stops and parkings overlapping `from`…`to` (inclusive), of the given vehicles (nil: all), by vehicle and start.
    func reportHalts(vehicleIDs: [String]?, from: UTCInstant, to: UTCInstant) throws(StoreError) -> [Halt]
    /// Mileage per vehicle and quarter hour, for the quarter hours that begin in `from`..<`to`, of the given
    /// vehicles (nil: all), by vehicle and quarter hour.
    func reportMileage(vehicleIDs: [String]?, from: UTCInstant, to: UTCInstant) throws(StoreError)
        -> [VehicleMileageSlice]
    /// Per vehicle with rows in the window (of the given vehicles; nil: all), its totals over `from`…`to`; by ID.
    func reportTotals(vehicleIDs: [String]?, from: UTCInstant, to: UTCInstant) throws(StoreError)
        -> [VehicleReportTotals]
}
