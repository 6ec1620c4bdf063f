public import Geodesy
public import OrbitaModel

/// How a vehicle's track is cut into trips, stops and parkings. NMEA trackers send no ignition, so movement comes
/// from positions and speed. Defaults, against the field (README: Reports): Traccar starts a trip 200 m from where the
/// vehicle stood and stops it after 180 s within 200 m, and ends a trip at a data gap of 3,600 s; Wialon calls a halt
/// shorter than its minimum stay a stop (the trip goes on) and a longer one a parking (the trip ends).
public struct TripSettings: Sendable, Equatable, Codable {
    /// Below this speed a fix is halted, m/s (1 m/s = 3.6 km/h: above GNSS speed noise at a standstill, below a
    /// vehicle crawling in a queue).
    public var haltSpeedMetersPerSecond: Double
    /// Fixes within this distance of where a halt began belong to it, metres (parked GNSS drift stays well inside).
    public var haltRadiusMeters: Double
    /// A halt shorter than this is not reported (a slowdown), seconds.
    public var minimumStopSeconds: Double
    /// A halt this long or longer is a parking and ends the trip, seconds (shorter: a stop inside the trip).
    public var parkingSeconds: Double
    /// After a parking, a trip starts once the vehicle is this far from where it parked, metres (drift while parked
    /// never starts one).
    public var tripStartMeters: Double
    /// A gap between fixes longer than this ends the trip at the last fix before it, seconds (a tunnel does not; a
    /// tracker off overnight does).
    public var gapSeconds: Double

    /// Creates settings (defaults: halt below 1 m/s within 30 m; stops from 15 s; parking from 5 min; trips start
    /// 100 m from the parking; gaps over 10 min end trips).
    public init(
        haltSpeedMetersPerSecond: Double = 1, haltRadiusMeters: Double = 30, minimumStopSeconds: Double = 15,
        parkingSeconds: Double = 300, tripStartMeters: Double = 100, gapSeconds: Double = 600
    ) {
        self.haltSpeedMetersPerSecond = haltSpeedMetersPerSecond
        self.haltRadiusMeters = haltRadiusMeters
        self.minimumStopSeconds = minimumStopSeconds
        self.parkingSeconds = parkingSeconds
        self.tripStartMeters = tripStartMeters
        self.gapSeconds = gapSeconds
    }
}

/// A fix as the detector sees it: time, place (with its planar point in the fleet's frame) and speed.
public struct TrackSample: Sendable, Hashable {
    /// When.
    public var time: UTCInstant
    /// Where, WGS 84.
    public var coordinate: Coordinate
    /// Where, in the frame the detector measures in.
    public var planar: PlanarPoint
    /// Speed over ground, m/s (nil: not reported; counted as halted).
    public var speedMetersPerSecond: Double?

    /// Creates one.
    public init(time: UTCInstant, coordinate: Coordinate, planar: PlanarPoint, speedMetersPerSecond: Double?) {
        self.time = time
        self.coordinate = coordinate
        self.planar = planar
        self.speedMetersPerSecond = speedMetersPerSecond
    }

    var moment: TrackMoment { TrackMoment(time: time, coordinate: coordinate) }
}

/// Cuts one vehicle's track into trips, stops and parkings, a fix at a time in time order. It keeps no clock of its
/// own, so the same fixes give the same rows however they are fed; and a detector started at a parking it reported
/// (`init(vehicleID:settings:frame:parkedAt:confirmedAt:restart:)`) goes on exactly as the one that reported it, so
/// rows can be derived again from there.
public struct TripDetector {
    /// The thresholds.
    public let settings: TripSettings
    /// The vehicle.
    public let vehicleID: String
    /// Trips ended so far, in order (see `drainEnded`).
    public private(set) var trips: [Trip] = []
    /// Stops and parkings ended so far, in order (see `drainEnded`).
    public private(set) var halts: [Halt] = []

    // The phase: parked (`parking` set), driving (`drive` set) or, before the first fix, neither. Two optionals
    // rather than an enum with payloads, so that a fix updates them in place: taking a payload out of an enum copies
    // it (the trip's vehicle and mileage retained and released at every fix).
    /// Parked where `anchor` stands: `stood` is its last halted fix within the halt radius (where the parking ends and
    /// a trip would begin), `last` the last fix of all, `away` the segments since it stood (outside the radius, not
    /// yet far enough for a trip) and `fastest` their highest speed.
    private var parking: Parking?
    /// Driving.
    private var drive: Drive?

    /// A parking under way.
    private struct Parking {
        var anchor: TrackSample
        var stood: TrackSample
        var last: TrackSample
        var away = 0.0
        var fastest = 0.0
        var restart: ReportRestart?

        init(at anchor: TrackSample, last: TrackSample? = nil) {
            self.anchor = anchor
            stood = last ?? anchor
            self.last = last ?? anchor
        }
    }

    /// A trip under way, and the halt it may be in.
    private struct Drive {
        var trip: Trip
        var last: TrackSample
        /// A halt under way: its first and last halted fixes.
        var halt: (first: TrackSample, last: TrackSample)?
        /// The segments within the halt: drift, unless the halt proves too short to be a stop.
        var haltDistance = 0.0
    }

    private let frame: LocalFrame

    /// A detector for `vehicleID` that measures distances in `frame` (the fleet's metric frame).
    public init(vehicleID: String, settings: TripSettings = TripSettings(), frame: LocalFrame) {
        self.vehicleID = vehicleID
        self.settings = settings
        self.frame = frame
    }

    /// A detector that goes on from a parking it reported: parked at `parkedAt` (the parking's first fix), having
    /// just taken `confirmedAt` (the fix that made the parking certain), with the parking's `restart`.
    public init(
        vehicleID: String, settings: TripSettings = TripSettings(), frame: LocalFrame, parkedAt: TrackSample,
        confirmedAt: TrackSample, restart: ReportRestart?
    ) {
        self.init(vehicleID: vehicleID, settings: settings, frame: frame)
        parking = Parking(at: parkedAt, last: confirmedAt)
        parking?.restart = restart
    }

    /// Whether rows ended since `drainEnded` was last called.
    public var hasEnded: Bool { !trips.isEmpty || !halts.isEmpty }

    /// Whether it is parked (a parking is under way).
    public var isParked: Bool { parking != nil }

    /// Gives the parking under way the restart to report with it.
    public mutating func attachRestart(_ restart: ReportRestart) {
        parking?.restart = restart
    }

    /// Takes the next fix (later than the previous one).
    /// - Parameter step: the distance from the previous fix taken, when the caller measured it already (the same
    ///   `LocalFrame.distanceMeters` between the same points); nil: measured here.
    /// - Returns: whether a parking began, or became certain, at this fix (its restart point).
    @discardableResult
    public mutating func add(_ point: TrackSample, step: Double? = nil) -> Bool {
        if parking != nil { return addParked(point, step: step) }
        if drive != nil { return addDriving(point, step: step) }
        // A track that starts halted starts parked (the first trip begins when the vehicle moves away); one that
        // starts moving starts with a trip.
        return resume(at: point)
    }

    private mutating func addParked(_ point: TrackSample, step knownStep: Double?) -> Bool {
        guard let anchor = parking?.anchor, let last = parking?.last else { return false }
        if point.time.seconds(since: last.time) > settings.gapSeconds {
            // The tracker was off. Still where it parked: the parking goes on. Elsewhere: the parking lasted until the
            // tracker came back, and what comes next begins there (the drive in between is unknown).
            if distance(anchor, point) > settings.tripStartMeters {
                halts.append(
                    halt(.parking, from: anchor, toTime: point.time, open: false, restart: parking?.restart))
                parking = nil
                return resume(at: point)
            }
            parking?.stood = point
            parking?.last = point
            parking?.away = 0
            parking?.fastest = 0
            return false
        }
        let fromAnchor = distance(anchor, point)
        let step = knownStep ?? distance(last, point)
        parking?.last = point
        if fromAnchor <= settings.haltRadiusMeters {
            if isHalted(point) {
                parking?.stood = point
                parking?.away = 0
                parking?.fastest = 0
            } else {
                parking?.away += step
                let fastest = max(parking?.fastest ?? 0, point.speedMetersPerSecond ?? 0)
                parking?.fastest = fastest
            }
        } else if fromAnchor < settings.tripStartMeters {
            // Outside the radius, not yet a trip (manoeuvring in a yard, a drift outlier).
            parking?.away += step
            let fastest = max(parking?.fastest ?? 0, point.speedMetersPerSecond ?? 0)
            parking?.fastest = fastest
        } else if let ended = parking {
            // Far enough: the parking ended, and the trip began, at its last halted fix.
            parking = nil
            appendHalt(.parking, from: ended.anchor, to: ended.stood, restart: ended.restart)
            startTrip(
                at: ended.stood, distance: ended.away + step,
                fastest: max(ended.fastest, point.speedMetersPerSecond ?? 0), now: point)
        }
        return false
    }

    private mutating func addDriving(_ point: TrackSample, step knownStep: Double?) -> Bool {
        guard let last = drive?.last else { return false }
        if point.time.seconds(since: last.time) > settings.gapSeconds, let ended = drive {
            // A gap ends the trip at its last fix (where a halt began, if it was halted): the vehicle parked there
            // with its tracker off. Back where it parked: the parking goes on; elsewhere: it lasted until the
            // tracker came back, and what comes next begins there.
            drive = nil
            let parkedAt = ended.halt?.first ?? ended.last
            // A trip of one fix (the first back after an earlier gap, moving, then off again) is no trip.
            if ended.trip.start.time < parkedAt.time { endTrip(ended.trip, at: parkedAt) }
            if distance(parkedAt, point) > settings.tripStartMeters {
                halts.append(halt(.parking, from: parkedAt, toTime: point.time, open: false, restart: nil))
                return resume(at: point)
            }
            parking = Parking(at: parkedAt, last: point)
            return true
        }
        let step = knownStep ?? distance(last, point)
        if let halt = drive?.halt {
            if isHalted(point) && distance(halt.first, point) <= settings.haltRadiusMeters {
                drive?.halt = (halt.first, point)
                drive?.haltDistance += step
                drive?.last = point
                if point.time.seconds(since: halt.first.time) >= settings.parkingSeconds, let ended = drive {
                    // Long enough to be a parking: the trip ended where the halt began.
                    drive = nil
                    endTrip(ended.trip, at: halt.first)
                    parking = Parking(at: halt.first, last: point)
                    return true
                }
                return false
            }
            // Moving again: a stop if it lasted, its drift not mileage; else a slowdown, driven distance.
            let seconds = halt.last.time.seconds(since: halt.first.time)
            if seconds >= settings.minimumStopSeconds {
                appendHalt(.stop, from: halt.first, to: halt.last, restart: nil)
                drive?.trip.stoppedSeconds += seconds
            } else {
                let drift = drive?.haltDistance ?? 0
                drive?.trip.credit(drift, at: halt.last.time)
            }
            drive?.halt = nil
            drive?.haltDistance = 0
        }
        drive?.trip.credit(step, at: point.time)
        let fastest = max(drive?.trip.maxSpeedMetersPerSecond ?? 0, point.speedMetersPerSecond ?? 0)
        drive?.trip.maxSpeedMetersPerSecond = fastest
        drive?.trip.end = point.moment
        if isHalted(point) { drive?.halt = (point, point) }
        drive?.last = point
        return false
    }

    /// The rows so far, with what is still going on — a trip (and the stop it may be in), a parking — as open rows
    /// ending at the last fix.
    public func rows() -> (trips: [Trip], halts: [Halt]) {
        var trips = trips
        var halts = halts
        if let open = openRows() {
            trips += open.trips
            halts += open.halts
        }
        return (trips, halts)
    }

    /// What is still going on, as open rows ending at the last fix (nil before the first fix).
    public func openRows() -> (trips: [Trip], halts: [Halt])? {
        if let parking {
            return ([], [halt(.parking, from: parking.anchor, to: parking.stood, open: true, restart: parking.restart)])
        }
        if let drive {
            var trip = drive.trip
            if let halt = drive.halt, halt.last.time.seconds(since: halt.first.time) >= settings.minimumStopSeconds {
                trip.end = halt.first.moment
                return ([trip], [self.halt(.stop, from: halt.first, to: halt.last, open: true, restart: nil)])
            }
            if let halt = drive.halt { trip.credit(drive.haltDistance, at: halt.last.time) }
            return ([trip], [])
        }
        return nil
    }

    /// The rows ended since the last call (they will not change as later fixes come), handed over and forgotten.
    public mutating func drainEnded() -> (trips: [Trip], halts: [Halt]) {
        defer {
            trips = []
            halts = []
        }
        return (trips, halts)
    }

    private func distance(_ a: TrackSample, _ b: TrackSample) -> Double {
        frame.distanceMeters(from: a.coordinate, a.planar, to: b.coordinate, b.planar)
    }

    private func isHalted(_ point: TrackSample) -> Bool {
        (point.speedMetersPerSecond ?? 0) < settings.haltSpeedMetersPerSecond
    }

    private mutating func startTrip(at start: TrackSample, distance: Double, fastest: Double, now point: TrackSample) {
        var trip = Trip(
            vehicleID: vehicleID, start: start.moment, end: point.moment, distanceMeters: 0,
            maxSpeedMetersPerSecond: fastest, stoppedSeconds: 0, open: true)
        trip.credit(distance, at: point.time)
        var drive = Drive(trip: trip, last: point)
        if isHalted(point) { drive.halt = (point, point) }
        parking = nil
        self.drive = drive
    }

    private func halt(
        _ kind: Halt.Kind, from first: TrackSample, to last: TrackSample, open: Bool, restart: ReportRestart?
    ) -> Halt {
        halt(kind, from: first, toTime: last.time, open: open, restart: restart)
    }

    private func halt(
        _ kind: Halt.Kind, from first: TrackSample, toTime end: UTCInstant, open: Bool, restart: ReportRestart?
    ) -> Halt {
        Halt(
            vehicleID: vehicleID, kind: kind, coordinate: first.coordinate, start: first.time, end: end, open: open,
            restart: restart)
    }

    /// After a gap that ended elsewhere: parked again if the first fix back is halted (a restart point), else
    /// driving from it.
    private mutating func resume(at point: TrackSample) -> Bool {
        if isHalted(point) {
            drive = nil
            parking = Parking(at: point)
            return true
        }
        startTrip(at: point, distance: 0, fastest: point.speedMetersPerSecond ?? 0, now: point)
        return false
    }

    private mutating func appendHalt(
        _ kind: Halt.Kind, from first: TrackSample, to last: TrackSample, restart: ReportRestart?
    ) {
        halts.append(halt(kind, from: first, to: last, open: false, restart: restart))
    }

    private mutating func endTrip(_ trip: Trip, at end: TrackSample) {
        var trip = trip
        trip.end = end.moment
        trip.open = false
        trips.append(trip)
    }
}
