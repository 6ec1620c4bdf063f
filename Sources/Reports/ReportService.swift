public import Foundation
import Geodesy
import Geofencing
public import OrbitaModel
import Tracking

/// A report's window: from, to, and the time zone its days are counted in.
public struct ReportWindow: Sendable, Equatable {
    /// Where it begins.
    public var from: UTCInstant
    /// Where it ends.
    public var to: UTCInstant
    /// The zone of its calendar days (mileage per day; a bare date given for `from` or `to`).
    public var timeZone: TimeZone

    /// Creates one.
    public init(from: UTCInstant, to: UTCInstant, timeZone: TimeZone) {
        self.from = from
        self.to = to
        self.timeZone = timeZone
    }
}

/// Why a report cannot be made. Never an empty answer that looks valid.
public enum ReportError: Error, Equatable, CustomStringConvertible {
    /// No such vehicle is registered.
    case unknownVehicle(String)
    /// The window ends before it begins.
    case reversedWindow(from: UTCInstant, to: UTCInstant)
    /// The time zone is not one the system knows.
    case unknownTimeZone(String)
    /// A time or date that cannot be read.
    case badTime(String)
    /// The store failed.
    case store(StoreError)

    /// One line for the CLI and the API.
    public var description: String {
        switch self {
        case .unknownVehicle(let id): "no vehicle \"\(id)\" is registered"
        case .reversedWindow(let from, let to): "the window ends (\(to.iso8601)) before it begins (\(from.iso8601))"
        case .unknownTimeZone(let name):
            "unknown time zone \"\(name)\" (an IANA name such as Europe/Moscow, or UTC)"
        case .badTime(let text): "cannot read \"\(text)\" as a time (ISO 8601, e.g. 2024-06-01T08:00:00Z, or a date)"
        case .store(let error): error.description
        }
    }
}

/// The reports operators read: trips, stops and parkings, geofence visits, mileage per day, a summary — read from the
/// maintained report rows (never by cutting tracks per request), with the same answer for any window length. What
/// the command line and the API both call.
public final class ReportService {
    private let store: any DispatchRepository
    /// How far before a window fence events are read to pair the enters of visits under way at its start.
    public static let visitLookbackSeconds = 31.0 * 86_400

    /// A service over `store`.
    public init(store: any DispatchRepository) {
        self.store = store
    }

    /// A window from optional texts: each an ISO 8601 instant or a bare date (that day's start in `zone`: `to` as a
    /// date means the end of that day); defaults today in the zone; the zone defaults to UTC.
    public static func window(from: String?, to: String?, timeZone zone: String?, now: UTCInstant = .now)
        throws(ReportError) -> ReportWindow
    {
        let timeZone: TimeZone
        if let zone {
            guard let known = TimeZone(identifier: zone) else { throw .unknownTimeZone(zone) }
            timeZone = known
        } else {
            timeZone = .gmt
        }
        let today = DailyMileage.daySpan(of: now, in: timeZone)
        let start = try from.map { text throws(ReportError) in try instant(text, in: timeZone, endOfDay: false) }
        let end = try to.map { text throws(ReportError) in try instant(text, in: timeZone, endOfDay: true) }
        let window = ReportWindow(
            from: start ?? today.start,
            to: end ?? UTCInstant(microsecondsSinceEpoch: today.end.microsecondsSinceEpoch - 1), timeZone: timeZone)
        guard window.from <= window.to else { throw .reversedWindow(from: window.from, to: window.to) }
        return window
    }

    /// An instant, or a date's start (its last microsecond with `endOfDay`) in `timeZone`.
    static func instant(_ text: String, in timeZone: TimeZone, endOfDay: Bool) throws(ReportError) -> UTCInstant {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if text.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]),
            let day = Int(parts[2])
        {
            // A calendar date: its span in the zone.
            guard CivilDate(year: year, month: month, day: day) != nil else { throw .badTime(text) }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12)) else {
                throw .badTime(text)
            }
            let span = DailyMileage.daySpan(
                of: UTCInstant(microsecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1e6).rounded())),
                in: timeZone)
            return endOfDay ? UTCInstant(microsecondsSinceEpoch: span.end.microsecondsSinceEpoch - 1) : span.start
        }
        guard let instant = ISO8601.parse(text) else { throw .badTime(text) }
        return instant
    }

    /// The vehicles asked for, each checked (empty: every registered vehicle, nil to the store).
    private func vehicles(_ ids: [String]) throws(ReportError) -> [String]? {
        guard !ids.isEmpty else { return nil }
        for id in ids {
            let known: Vehicle?
            do throws(StoreError) { known = try store.vehicle(id: id) } catch { throw .store(error) }
            guard known != nil else { throw .unknownVehicle(id) }
        }
        return ids
    }

    private func run<T>(_ body: () throws(StoreError) -> T) throws(ReportError) -> T {
        do throws(StoreError) { return try body() } catch { throw .store(error) }
    }

    /// Trips overlapping the window (whole: a trip across its edge is reported with its real start and end), by
    /// vehicle and start.
    public func trips(vehicles ids: [String], window: ReportWindow) throws(ReportError) -> [Trip] {
        let vehicles = try vehicles(ids)
        return try run { () throws(StoreError) in
            try store.reportTrips(vehicleIDs: vehicles, from: window.from, to: window.to)
        }
    }

    /// Each trip's driven line: its stored fixes from start to end.
    public func lines(of trips: [Trip]) throws(ReportError) -> [[Coordinate]] {
        try run { () throws(StoreError) in
            try trips.map { trip throws(StoreError) in
                try store.track(vehicleID: trip.vehicleID, from: trip.start.time, to: trip.end.time).map(\.coordinate)
            }
        }
    }

    /// Stops and parkings overlapping the window (of `kind`, or both), with the geofences they lie in.
    public func stops(vehicles ids: [String], kind: Halt.Kind?, window: ReportWindow) throws(ReportError)
        -> [HaltReport]
    {
        let vehicles = try vehicles(ids)
        let halts = try run { () throws(StoreError) in
            try store.reportHalts(vehicleIDs: vehicles, from: window.from, to: window.to)
        }.filter { kind == nil || $0.kind == kind }
        let fences = try run { () throws(StoreError) in try store.geofences() }
        var locator = FenceLocator(fences)
        return halts.map { HaltReport(halt: $0, geofences: locator.names(around: $0.coordinate)) }
    }

    /// Geofence visits overlapping the window: enter → exit, clipped to it, those open at either edge flagged.
    public func visits(vehicles ids: [String], window: ReportWindow) throws(ReportError) -> [GeofenceVisit] {
        let vehicles = try vehicles(ids)
        let events = try fenceEvents(vehicles, window: window)
        return GeofenceVisits.visits(events, from: window.from, to: window.to)
    }

    /// Mileage per vehicle and calendar day of the window's zone, for the days the window touches.
    public func mileage(vehicles ids: [String], window: ReportWindow) throws(ReportError) -> [DayMileage] {
        let vehicles = try vehicles(ids)
        let first = DailyMileage.daySpan(of: window.from, in: window.timeZone).start
        let last = DailyMileage.daySpan(of: window.to, in: window.timeZone).end
        let slices = try run { () throws(StoreError) in
            try store.reportMileage(vehicleIDs: vehicles, from: first, to: last)
        }
        var days = DailyMileage(timeZone: window.timeZone)
        var rows: [DayMileage] = []
        var index: [String: Int] = [:]
        for slice in slices {
            let day = days.day(of: MileageSlice.start(of: slice.slice.quarterHour))
            let key = "\(slice.vehicleID)\u{0}\(day.daysSinceEpoch)"
            if let at = index[key] {
                rows[at].meters += slice.slice.meters
            } else {
                index[key] = rows.count
                rows.append(DayMileage(vehicleID: slice.vehicleID, day: day, meters: slice.slice.meters))
            }
        }
        return rows
    }

    /// Trips judged against assigned routes: each trip overlapping the window, within each of its vehicle's route
    /// assignments it overlaps, clipped to the assignment; with the route events raised in it — deviations (and the
    /// metres driven off the route until each return, from the stored track), checkpoints reached and missed,
    /// wrong-direction events. A trip wholly inside its assignment keeps its distance; one cut by the assignment's
    /// edge is measured from its fixes inside it.
    public func routeTrips(vehicles ids: [String], window: ReportWindow) throws(ReportError) -> [RouteTripReport] {
        let vehicles = try vehicles(ids)
        let wanted = vehicles.map(Set.init)
        let assignments = try run { () throws(StoreError) in try store.assignments() }
            .filter { wanted?.contains($0.vehicleID) ?? true }
        guard !assignments.isEmpty else { return [] }
        let byVehicle = Dictionary(grouping: assignments, by: \.vehicleID)
        let trips = try run { () throws(StoreError) in
            try store.reportTrips(vehicleIDs: byVehicle.keys.sorted(), from: window.from, to: window.to)
        }
        let kinds: [EventKind] = [.routeDeviation, .routeReturn, .checkpointArrive, .checkpointMissed, .wrongDirection]
        var reports: [RouteTripReport] = []
        for (vehicleID, vehicleTrips) in Dictionary(grouping: trips, by: \.vehicleID).sorted(by: { $0.key < $1.key }) {
            guard let first = vehicleTrips.first?.start.time, let last = vehicleTrips.map(\.end.time).max() else {
                continue
            }
            let events = try run { () throws(StoreError) in
                try store.storedEvents(
                    EventQuery(vehicleID: vehicleID, kinds: kinds, since: first, until: last), order: .oldestFirst,
                    afterID: nil
                ).map(\.event)
            }
            for trip in vehicleTrips {
                for assignment in byVehicle[vehicleID] ?? [] {
                    let start = max(trip.start.time, assignment.from ?? trip.start.time)
                    let end = min(trip.end.time, assignment.to ?? trip.end.time)
                    guard start < end else { continue }
                    reports.append(
                        try judge(
                            trip, route: assignment.route, from: start, to: end,
                            events: events.filter { $0.route == assignment.route && $0.time >= start && $0.time <= end }
                        ))
                }
            }
        }
        return reports
    }

    private func judge(_ trip: Trip, route: String, from start: UTCInstant, to end: UTCInstant, events: [VehicleEvent])
        throws(ReportError) -> RouteTripReport
    {
        var report = RouteTripReport(
            vehicleID: trip.vehicleID, route: route, start: start, end: end, distanceMeters: trip.distanceMeters)
        if start > trip.start.time || end < trip.end.time {
            report.distanceMeters = try driven(trip.vehicleID, from: start, to: end)
        }
        var leftAt: UTCInstant?
        func back(at time: UTCInstant) throws(ReportError) {
            guard let left = leftAt else { return }
            let meters = try driven(trip.vehicleID, from: left, to: time)
            report.offRouteMeters += meters
            report.longestDeviationMeters = max(report.longestDeviationMeters, meters)
            leftAt = nil
        }
        for event in events {
            switch event.kind {
            case .routeDeviation:
                report.deviations += 1
                report.maxOffsetMeters = max(report.maxOffsetMeters, event.distanceMeters ?? 0)
                if leftAt == nil { leftAt = event.time }
            case .routeReturn:
                try back(at: event.time)
            case .checkpointArrive:
                report.checkpointsArrived.append(.init(name: event.checkpoint ?? "", time: event.time))
            case .checkpointMissed:
                report.checkpointsMissed.append(.init(name: event.checkpoint ?? "", time: event.time))
            case .wrongDirection:
                report.wrongDirection += 1
            default:
                break
            }
        }
        try back(at: end)
        report.offRouteMeters = min(report.offRouteMeters, report.distanceMeters)
        return report
    }

    /// Metres between a vehicle's stored fixes from `from` to `to`, read as trips read them: through the stored-track
    /// filter (a late outlier left out, drift held at the parked position), fixes ahead of the clock left out.
    private func driven(_ vehicleID: String, from: UTCInstant, to: UTCInstant) throws(ReportError) -> Double {
        let track = try run { () throws(StoreError) in try store.track(vehicleID: vehicleID, from: from, to: to) }
        guard let first = track.first, let frame = try? LocalFrame.utm(around: first.coordinate) else { return 0 }
        var filter = StoredTrackFilter(frame: frame)
        var meters = 0.0
        var previous: Coordinate?
        for point in track where !point.flags.contains(.ahead) {
            guard let (coordinate, _, _) = filter.filter(point) else { continue }
            if let previous { meters += Geodesic.wgs84.distance(from: previous, to: coordinate) }
            previous = coordinate
        }
        return meters
    }

    /// Per vehicle with rows in the window, and for the fleet: distance (the quarter hours that begin in the
    /// window), driving, stopped and parked time (clipped to it), trips begun in it, the highest and the average
    /// moving speed, geofence visits and route deviations.
    public func summary(vehicles ids: [String], window: ReportWindow) throws(ReportError)
        -> (vehicles: [ReportSummary], fleet: ReportSummary)
    {
        let vehicles = try vehicles(ids)
        let totals = try run { () throws(StoreError) in
            try store.reportTotals(vehicleIDs: vehicles, from: window.from, to: window.to)
        }
        let visits = Dictionary(grouping: try visits(vehicles: ids, window: window), by: \.vehicleID)
        let deviations = try run { () throws(StoreError) in
            try store.storedEvents(
                EventQuery(kinds: [.routeDeviation], since: window.from, until: window.to), order: .oldestFirst,
                afterID: nil)
        }
        let wanted = vehicles.map(Set.init)
        let deviationCounts = Dictionary(
            grouping: deviations.filter { wanted?.contains($0.event.vehicleID) ?? true }, by: \.event.vehicleID
        ).mapValues(\.count)
        var rows: [ReportSummary] = []
        var seen = Set<String>()
        for total in totals {
            seen.insert(total.vehicleID)
            rows.append(
                ReportSummary(
                    vehicleID: total.vehicleID, totals: total, visits: visits[total.vehicleID]?.count ?? 0,
                    deviations: deviationCounts[total.vehicleID] ?? 0))
        }
        // Vehicles with visits or deviations but no trips, stops or mileage in the window still count.
        for id in Set(visits.keys).union(deviationCounts.keys).subtracting(seen).sorted() {
            rows.append(
                ReportSummary(
                    vehicleID: id, totals: VehicleReportTotals(vehicleID: id), visits: visits[id]?.count ?? 0,
                    deviations: deviationCounts[id] ?? 0))
        }
        rows.sort { ($0.vehicleID ?? "") < ($1.vehicleID ?? "") }
        var fleet = VehicleReportTotals(vehicleID: "")
        for row in rows {
            fleet.distanceMeters += row.totals.distanceMeters
            fleet.tripSeconds += row.totals.tripSeconds
            fleet.stoppedSeconds += row.totals.stoppedSeconds
            fleet.parkedSeconds += row.totals.parkedSeconds
            fleet.trips += row.totals.trips
            fleet.maxSpeedMetersPerSecond = max(fleet.maxSpeedMetersPerSecond, row.totals.maxSpeedMetersPerSecond)
        }
        return (
            rows,
            ReportSummary(
                vehicleID: nil, totals: fleet, visits: rows.reduce(0) { $0 + $1.visits },
                deviations: rows.reduce(0) { $0 + $1.deviations })
        )
    }

    /// Fence enters and exits of the vehicles (nil: all) from a lookback before the window to its end.
    private func fenceEvents(_ vehicles: [String]?, window: ReportWindow) throws(ReportError) -> [VehicleEvent] {
        let since = window.from.adding(seconds: -Self.visitLookbackSeconds)
        let kinds: [EventKind] = [.geofenceEnter, .geofenceExit]
        return try run { () throws(StoreError) in
            if let vehicles {
                var events: [VehicleEvent] = []
                for id in vehicles {
                    events += try store.storedEvents(
                        EventQuery(vehicleID: id, kinds: kinds, since: since, until: window.to), order: .oldestFirst,
                        afterID: nil
                    ).map(\.event)
                }
                return events
            }
            return try store.storedEvents(
                EventQuery(kinds: kinds, since: since, until: window.to), order: .oldestFirst, afterID: nil
            ).map(\.event)
        }
    }
}

/// Which geofences contain a place: each fence compiled once per UTM zone met.
struct FenceLocator {
    private let fences: [Geofence]
    private var compiled: [String: (frame: LocalFrame, shapes: [(name: String, shape: PlanarShape)])] = [:]

    init(_ fences: [Geofence]) { self.fences = fences }

    mutating func names(around coordinate: Coordinate) -> [String] {
        guard !fences.isEmpty else { return [] }
        let crs = LocalFrame.utmCRS(for: coordinate)
        if compiled[crs] == nil, let frame = try? LocalFrame(crs: crs) {
            compiled[crs] = (
                frame,
                fences.compactMap { fence in
                    (try? ZoneSet.compile(fence.shape, frame: frame)).map { (fence.name, $0) }
                }
            )
        }
        guard let zone = compiled[crs], let point = try? zone.frame.project(coordinate) else { return [] }
        return zone.shapes.filter { $0.shape.contains(point) }.map(\.name).sorted()
    }
}
