public import Foundation
import Geodesy
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

/// A place and a moment on a track.
public struct TrackMoment: Sendable, Equatable {
    /// When.
    public var time: UTCInstant
    /// Where.
    public var coordinate: Coordinate

    /// Creates one.
    public init(time: UTCInstant, coordinate: Coordinate) {
        self.time = time
        self.coordinate = coordinate
    }

    init(_ point: TrackPoint) { self.init(time: point.time, coordinate: point.coordinate) }
}

/// A drive from one parking to the next.
public struct Trip: Sendable, Equatable {
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

    /// Seconds from start to end.
    public var durationSeconds: Double { end.time.seconds(since: start.time) }
}

/// A halt: a stop inside a trip, or a parking between trips.
public struct Halt: Sendable, Equatable {
    /// Which.
    public enum Kind: String, Sendable {
        /// Shorter than `TripSettings.parkingSeconds`: the trip goes on.
        case stop
        /// At least `TripSettings.parkingSeconds` (or the track's start, or a gap): the trip ends.
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
    /// The last halted fix's time (for a parking: the fix before the vehicle left).
    public var end: UTCInstant
    /// Whether the track ended while it was going on.
    public var open: Bool

    /// Seconds from start to end.
    public var durationSeconds: Double { end.seconds(since: start) }
}

/// Cuts one vehicle's stored track into trips, stops and parkings, a fix at a time in time order. The same fixes
/// give the same rows however they are fed (it keeps no clock of its own), so the rows can be maintained as fixes
/// arrive and re-derived for any span.
public struct TripDetector: Sendable {
    /// The thresholds.
    public let settings: TripSettings
    /// The vehicle.
    public let vehicleID: String
    /// Trips ended so far, in order.
    public private(set) var trips: [Trip] = []
    /// Stops and parkings ended so far, in order.
    public private(set) var halts: [Halt] = []
    /// What the trips drove, per calendar day (the time zone given at creation): a trip's distance, credited as it is
    /// driven (what a halt turns out to be is known later: its drift is credited only if it was a slowdown).
    public private(set) var mileage: DailyMileage

    private enum Phase {
        /// Before the first fix.
        case empty
        /// Parked where `anchor` stands: `stood` is its last halted fix within the halt radius (where the parking
        /// ends and a trip would begin), `last` the last fix of all, `away` the segments since it stood (outside the
        /// radius, not yet far enough for a trip) and `fastest` their highest speed.
        case parked(Parking)
        /// Driving.
        case driving(Drive)
    }

    /// A parking under way.
    private struct Parking {
        var anchor: TrackPoint
        var stood: TrackPoint
        var last: TrackPoint
        var away = 0.0
        var fastest = 0.0

        init(at anchor: TrackPoint, last: TrackPoint? = nil) {
            self.anchor = anchor
            stood = last ?? anchor
            self.last = last ?? anchor
        }
    }

    /// A trip under way, and the halt it may be in.
    private struct Drive {
        var trip: Trip
        var last: TrackPoint
        /// A halt under way: its first and last halted fixes.
        var halt: (first: TrackPoint, last: TrackPoint)?
        /// The segments within the halt: drift, unless the halt proves too short to be a stop.
        var haltDistance = 0.0
    }

    private var phase = Phase.empty
    private let geodesic = Geodesic.wgs84

    /// A detector for `vehicleID`.
    public init(
        vehicleID: String, settings: TripSettings = TripSettings(), timeZone: TimeZone = .gmt
    ) {
        self.vehicleID = vehicleID
        self.settings = settings
        mileage = DailyMileage(timeZone: timeZone)
    }

    /// Takes the next fix (later than the previous one).
    public mutating func add(_ point: TrackPoint) {
        switch phase {
        case .empty:
            // A track that starts halted starts parked (the first trip begins when the vehicle moves away); one that
            // starts moving starts with a trip.
            if isHalted(point) {
                phase = .parked(Parking(at: point))
            } else {
                let trip = Trip(
                    vehicleID: vehicleID, start: TrackMoment(point), end: TrackMoment(point), distanceMeters: 0,
                    maxSpeedMetersPerSecond: point.speedMetersPerSecond ?? 0, stoppedSeconds: 0, open: true)
                phase = .driving(Drive(trip: trip, last: point))
            }
        case .parked(var parking):
            if point.time.seconds(since: parking.last.time) > settings.gapSeconds {
                // The tracker was off. Still where it parked: the parking goes on; elsewhere: the parking ended at
                // its last fix, and a new one begins here (the drive in between is unknown, not a trip).
                if distance(parking.anchor, point) > settings.tripStartMeters {
                    appendHalt(.parking, from: parking.anchor, to: parking.stood)
                    phase = .parked(Parking(at: point))
                } else {
                    parking.stood = point
                    parking.last = point
                    parking.away = 0
                    parking.fastest = 0
                    phase = .parked(parking)
                }
                return
            }
            let fromAnchor = distance(parking.anchor, point)
            let step = point.segmentMeters ?? distance(parking.last, point)
            parking.last = point
            if fromAnchor <= settings.haltRadiusMeters {
                if isHalted(point) {
                    parking.stood = point
                    parking.away = 0
                    parking.fastest = 0
                } else {
                    parking.away += step
                    parking.fastest = max(parking.fastest, point.speedMetersPerSecond ?? 0)
                }
                phase = .parked(parking)
            } else if fromAnchor < settings.tripStartMeters {
                // Outside the radius, not yet a trip (manoeuvring in a yard, a drift outlier).
                parking.away += step
                parking.fastest = max(parking.fastest, point.speedMetersPerSecond ?? 0)
                phase = .parked(parking)
            } else {
                // Far enough: the parking ended, and the trip began, at its last halted fix.
                appendHalt(.parking, from: parking.anchor, to: parking.stood)
                let trip = Trip(
                    vehicleID: vehicleID, start: TrackMoment(parking.stood), end: TrackMoment(point),
                    distanceMeters: parking.away + step,
                    maxSpeedMetersPerSecond: max(parking.fastest, point.speedMetersPerSecond ?? 0),
                    stoppedSeconds: 0, open: true)
                mileage.add(parking.away + step, at: point.time)
                var drive = Drive(trip: trip, last: point)
                if isHalted(point) { drive.halt = (point, point) }
                phase = .driving(drive)
            }
        case .driving(var drive):
            if point.time.seconds(since: drive.last.time) > settings.gapSeconds {
                // A gap ends the trip at its last fix (where a halt began, if it was halted); a parking starts there.
                let parkedAt = drive.halt?.first ?? drive.last
                endTrip(drive.trip, at: parkedAt)
                if distance(parkedAt, point) > settings.tripStartMeters {
                    // It moved while the tracker was off: where it stood before is a parking only if it stood.
                    if drive.last.time > parkedAt.time { appendHalt(.parking, from: parkedAt, to: drive.last) }
                    phase = .parked(Parking(at: point))
                } else {
                    phase = .parked(Parking(at: parkedAt, last: point))
                }
                return
            }
            let step = point.segmentMeters ?? distance(drive.last, point)
            if let halt = drive.halt {
                if isHalted(point) && distance(halt.first, point) <= settings.haltRadiusMeters {
                    drive.halt = (halt.first, point)
                    drive.haltDistance += step
                    drive.last = point
                    if point.time.seconds(since: halt.first.time) >= settings.parkingSeconds {
                        // Long enough to be a parking: the trip ended where the halt began.
                        endTrip(drive.trip, at: halt.first)
                        phase = .parked(Parking(at: halt.first, last: point))
                    } else {
                        phase = .driving(drive)
                    }
                    return
                }
                // Moving again: a stop if it lasted, its drift not mileage; else a slowdown, driven distance.
                let seconds = halt.last.time.seconds(since: halt.first.time)
                if seconds >= settings.minimumStopSeconds {
                    appendHalt(.stop, from: halt.first, to: halt.last)
                    drive.trip.stoppedSeconds += seconds
                } else {
                    drive.trip.distanceMeters += drive.haltDistance
                    mileage.add(drive.haltDistance, at: halt.last.time)
                }
                drive.halt = nil
                drive.haltDistance = 0
            }
            drive.trip.distanceMeters += step
            mileage.add(step, at: point.time)
            drive.trip.maxSpeedMetersPerSecond = max(
                drive.trip.maxSpeedMetersPerSecond, point.speedMetersPerSecond ?? 0)
            drive.trip.end = TrackMoment(point)
            if isHalted(point) { drive.halt = (point, point) }
            drive.last = point
            phase = .driving(drive)
        }
    }

    /// The rows so far, with what is still going on — a trip (and the stop it may be in), a parking — as open rows
    /// ending at the last fix.
    public func rows() -> (trips: [Trip], halts: [Halt]) {
        var trips = trips
        var halts = halts
        switch phase {
        case .empty:
            break
        case .parked(let parking):
            halts.append(halt(.parking, from: parking.anchor, to: parking.stood, open: true))
        case .driving(let drive):
            var trip = drive.trip
            if let halt = drive.halt, halt.last.time.seconds(since: halt.first.time) >= settings.minimumStopSeconds {
                trip.end = TrackMoment(halt.first)
                halts.append(self.halt(.stop, from: halt.first, to: halt.last, open: true))
            } else {
                trip.distanceMeters += drive.haltDistance
            }
            trips.append(trip)
        }
        return (trips, halts)
    }

    private func distance(_ a: TrackPoint, _ b: TrackPoint) -> Double {
        geodesic.inverse(from: a.coordinate, to: b.coordinate).distanceMeters
    }

    private func isHalted(_ point: TrackPoint) -> Bool {
        (point.speedMetersPerSecond ?? 0) < settings.haltSpeedMetersPerSecond
    }

    private func halt(_ kind: Halt.Kind, from first: TrackPoint, to last: TrackPoint, open: Bool) -> Halt {
        Halt(
            vehicleID: vehicleID, kind: kind, coordinate: first.coordinate, start: first.time, end: last.time,
            open: open)
    }

    private mutating func appendHalt(_ kind: Halt.Kind, from first: TrackPoint, to last: TrackPoint) {
        halts.append(halt(kind, from: first, to: last, open: false))
    }

    private mutating func endTrip(_ trip: Trip, at end: TrackPoint) {
        var trip = trip
        trip.end = TrackMoment(end)
        trip.open = false
        trips.append(trip)
    }
}
