public import DispatchClient
public import Foundation
import GeoJSON
public import OrbitaModel
public import OrbitaWire
import Reports
import Synchronization

/// What the map shows, from the database or from a server: vehicles, their last fixes, zones, recent events.
public struct MapData: Sendable {
    /// A vehicle's fix as the map needs it.
    public struct Fix: Sendable {
        /// When.
        public var time: UTCInstant
        /// Where.
        public var coordinate: Coordinate
        /// Speed over ground, m/s.
        public var speedMetersPerSecond: Double?
        /// Course, degrees true.
        public var courseDegrees: Double?
    }

    /// An event as the panel lists it.
    public struct Event: Sendable {
        /// Its number (to acknowledge it).
        public var id: Int64
        /// When.
        public var time: UTCInstant
        /// Vehicle, kind and subject.
        public var line: String
        /// Where.
        public var coordinate: Coordinate
        /// Whether a dispatcher acknowledged it.
        public var acknowledged: Bool
        /// What happened.
        var kind: EventKind
        /// The vehicle.
        var vehicle: String

        init(_ event: Wire.Event) {
            id = event.id
            time = event.time
            kind = event.kind
            vehicle = event.vehicle
            let subject = event.geofence ?? event.route ?? event.checkpoint ?? ""
            line = "\(event.vehicle) \(event.kind.rawValue) \(subject)"
            coordinate = Coordinate(latitude: event.lat, longitude: event.lon)
            acknowledged = event.acknowledged != nil
        }
    }

    /// Where a replay starts: 24 hours before the vehicle's last fix.
    static func replayStart(lastFix: UTCInstant) -> UTCInstant {
        lastFix.adding(seconds: -86_400)
    }

    /// Vehicle ID → display name.
    public var names: [String: String] = [:]
    /// Vehicle ID → its newest fix.
    public var last: [String: Fix] = [:]
    /// Geofence shapes.
    public var fences: [GeoShape] = []
    /// Route lines.
    public var routes: [[Coordinate]] = []
    /// Vehicles whose latest route event is a deviation.
    public var offRoute: Set<String> = []
    /// The newest events first (at most `eventLimit`).
    public var events: [Event] = []
    /// The connection's state for the status line ("" for a local database).
    public var connection = ""
    /// The server's live-feed cursor as of the vehicle list (server mode).
    var cursor: Wire.Cursor?

    /// Events the panel keeps.
    static let eventLimit = 200

    /// No data.
    public init() {}

    /// Adds a fix unless an older one arrives late.
    mutating func update(_ vehicleID: String, _ fix: Fix) {
        if let known = last[vehicleID], known.time > fix.time { return }
        last[vehicleID] = fix
        if names[vehicleID] == nil { names[vehicleID] = vehicleID }
    }

    /// Adds an event at the top; route deviation and return set the vehicle's off-route state.
    mutating func add(_ event: Event) {
        guard !events.contains(where: { $0.id == event.id }) else { return }
        events.insert(event, at: 0)
        if events.count > Self.eventLimit { events.removeLast(events.count - Self.eventLimit) }
        if event.kind == .routeDeviation { offRoute.insert(event.vehicle) }
        if event.kind == .routeReturn { offRoute.remove(event.vehicle) }
    }
}

/// Where the map's data comes from.
public protocol MapFeed: AnyObject {
    /// How often `data()` is worth calling, seconds.
    var refreshInterval: Double { get }
    /// Whether acknowledging may be tried (the server still checks the role).
    var canAcknowledge: Bool { get }
    /// The current data.
    func data() throws -> MapData
    /// Acknowledges an event: a message for the status line.
    func acknowledge(_ id: Int64) -> String
    /// A vehicle's track for replay: the 24 hours up to its last fix, oldest first, at most 50,000 fixes.
    func track(_ vehicleID: String) throws -> [MapData.Fix]
    /// A vehicle's track from `from` to `to` (a trip to replay), oldest first, at most 50,000 fixes.
    func track(_ vehicleID: String, from: UTCInstant, to: UTCInstant) throws -> [MapData.Fix]
    /// A vehicle's trips and stops of its day: the calendar day (in `timeZone`) of its last fix.
    func report(_ vehicleID: String, timeZone: TimeZone) throws -> MapReport
}

/// A vehicle's trips and stops for the map's report panel.
public struct MapReport: Sendable {
    /// The window, for the panel's title.
    public var from: UTCInstant
    /// Where it ends.
    public var to: UTCInstant
    /// Its trips.
    public var trips: [Wire.TripRow]
    /// Its stops and parkings.
    public var stops: [Wire.StopRow]

    /// The day of a vehicle's last fix in `timeZone`, up to that fix.
    static func window(lastFix: UTCInstant, timeZone: TimeZone) -> (from: UTCInstant, to: UTCInstant) {
        (DailyMileage.daySpan(of: lastFix, in: timeZone).start, lastFix)
    }
}

extension MapData.Fix {
    init(_ point: TrackPoint) {
        self.init(
            time: point.time, coordinate: point.coordinate, speedMetersPerSecond: point.speedMetersPerSecond,
            courseDegrees: point.courseDegrees)
    }

    init(_ position: Wire.Position) {
        self.init(
            time: position.time, coordinate: Coordinate(latitude: position.lat, longitude: position.lon),
            speedMetersPerSecond: position.speedMPS, courseDegrees: position.courseDeg)
    }
}

/// The map on a local database, read every second (read-only unless `writable`).
public final class DatabaseFeed: MapFeed {
    private let store: any DispatchRepository
    /// Whether acknowledging may be tried.
    public let canAcknowledge: Bool
    /// How often `data()` is worth calling, seconds.
    public let refreshInterval = 1.0

    /// A feed reading `store`.
    public init(store: any DispatchRepository, writable: Bool) {
        self.store = store
        canAcknowledge = writable
    }

    /// The current data.
    public func data() throws -> MapData {
        var data = MapData()
        for vehicle in try store.vehicles() { data.names[vehicle.id] = vehicle.name }
        for point in try store.lastPositions() { data.update(point.vehicleID, MapData.Fix(point)) }
        data.fences = try store.geofences().map(\.shape)
        data.routes = try store.routes().map(\.line)
        data.offRoute = try store.offRouteVehicles()
        data.events = try store.storedEvents(EventQuery(limit: MapData.eventLimit), order: .newestFirst).map {
            MapData.Event(Wire.Event($0))
        }
        return data
    }

    /// Acknowledges an event: a message for the status line.
    public func acknowledge(_ id: Int64) -> String {
        do {
            return try store.acknowledgeEvent(id: id, at: .now) == nil ? "no event \(id)" : "event \(id) acknowledged"
        } catch {
            return "acknowledging failed: \(error)"
        }
    }

    /// A vehicle's track for replay (the 24 hours up to its last fix).
    public func track(_ vehicleID: String) throws -> [MapData.Fix] {
        guard let last = try store.lastPoint(vehicleID: vehicleID, atOrBefore: nil) else { return [] }
        let start = MapData.replayStart(lastFix: last.time)
        return try store.track(vehicleID: vehicleID, from: start, to: nil).suffix(50_000).map(MapData.Fix.init)
    }

    /// A vehicle's track from `from` to `to`.
    public func track(_ vehicleID: String, from: UTCInstant, to: UTCInstant) throws -> [MapData.Fix] {
        try store.track(vehicleID: vehicleID, from: from, to: to).prefix(50_000).map(MapData.Fix.init)
    }

    /// A vehicle's trips and stops of its day, from the report rows.
    public func report(_ vehicleID: String, timeZone: TimeZone) throws -> MapReport {
        guard let last = try store.lastPoint(vehicleID: vehicleID, atOrBefore: nil) else {
            return MapReport(from: .now, to: .now, trips: [], stops: [])
        }
        let (from, to) = MapReport.window(lastFix: last.time, timeZone: timeZone)
        let service = ReportService(store: store)
        let window = ReportWindow(from: from, to: to, timeZone: timeZone)
        return MapReport(
            from: from, to: to, trips: try service.trips(vehicles: [vehicleID], window: window).map(Wire.TripRow.init),
            stops: try service.stops(vehicles: [vehicleID], kind: nil, window: window).map(Wire.StopRow.init))
    }
}

/// Runs an async call to completion from synchronous code (the map's loop is a plain thread).
public func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    guard let result = box.result else { throw CancellationError() }
    return try result.get()
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    // @unchecked: written once before the semaphore is signalled, read after it.
    var result: Result<T, any Error>?
}

/// The map on a server's dispatch API: the vehicles, zones and events over REST at the start and every 10 s, fixes
/// and events pushed over `/api/live` in between (resumed by cursor after a drop). Measures how late fixes arrive.
public final class ServerFeed: MapFeed, Sendable {
    /// What the live feed changes: the data and the lag window.
    private struct Live {
        var state = MapData()
        var lag = LagWindow()
    }

    private let client: DispatchClient
    private let live: Mutex<Live>
    private let task = Mutex<Task<Void, Never>?>(nil)
    /// Whether acknowledging may be tried.
    public let canAcknowledge = true
    /// How often `data()` is worth calling, seconds.
    public let refreshInterval = 0.2

    /// Loads the server's state (throws when it cannot) and starts following the live feed.
    public init(client: DispatchClient) throws {
        self.client = client
        var first = try blocking { try await Self.load(client) }
        first.connection = "connecting"
        live = Mutex(Live(state: first))
        task.withLock { $0 = Task { [weak self] in await self?.follow() } }
    }

    deinit { task.withLock { $0?.cancel() } }

    /// The current data.
    public func data() throws -> MapData { live.withLock { $0.state } }

    /// The lag of fixes (arrival − fix time) since the last call, and resets it.
    public func takeLag() -> LagWindow {
        live.withLock { live in
            defer { live.lag = LagWindow() }
            return live.lag
        }
    }

    /// Acknowledges an event: a message for the status line.
    public func acknowledge(_ id: Int64) -> String {
        let client = client
        do {
            _ = try blocking { try await client.acknowledge(event: id) }
            live.withLock {
                if let index = $0.state.events.firstIndex(where: { $0.id == id }) {
                    $0.state.events[index].acknowledged = true
                }
            }
            return "event \(id) acknowledged"
        } catch {
            return "acknowledging failed: \(error)"
        }
    }

    /// A vehicle's track for replay (the 24 hours up to its last fix).
    public func track(_ vehicleID: String) throws -> [MapData.Fix] {
        guard let last = live.withLock({ $0.state.last[vehicleID] }) else { return [] }
        return try fetch(vehicleID, from: MapData.replayStart(lastFix: last.time), to: nil)
    }

    /// A vehicle's track from `from` to `to` (the API's newest fixes of the span, at most 50,000).
    public func track(_ vehicleID: String, from: UTCInstant, to: UTCInstant) throws -> [MapData.Fix] {
        try fetch(vehicleID, from: from, to: to)
    }

    /// The API's newest 50,000 fixes of a vehicle from `from` (to `to`, when given).
    private func fetch(_ vehicleID: String, from: UTCInstant, to: UTCInstant?) throws -> [MapData.Fix] {
        let client = client
        let track = try blocking { try await client.track(vehicle: vehicleID, from: from, to: to, limit: 50_000) }
        return track.fixes.map {
            MapData.Fix(
                time: $0.time, coordinate: $0.coordinate, speedMetersPerSecond: $0.speedMPS, courseDegrees: $0.courseDeg
            )
        }
    }

    /// A vehicle's trips and stops of its day, from `/api/reports`.
    public func report(_ vehicleID: String, timeZone: TimeZone) throws -> MapReport {
        guard let last = live.withLock({ $0.state.last[vehicleID] }) else {
            return MapReport(from: .now, to: .now, trips: [], stops: [])
        }
        let (from, to) = MapReport.window(lastFix: last.time, timeZone: timeZone)
        let client = client
        let trips = try blocking { try await client.reportTrips(vehicle: vehicleID, from: from, to: to) }
        let stops = try blocking { try await client.reportStops(vehicle: vehicleID, from: from, to: to) }
        return MapReport(from: from, to: to, trips: trips.rows, stops: stops.rows)
    }

    /// Follows the live feed and refreshes over REST every 10 s, until cancelled.
    private func follow() async {
        let client = client
        // From the first snapshot's cursor: nothing committed between the REST load and the feed is missed.
        let cursor = live.withLock { $0.state.cursor }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await client.live(
                    after: cursor,
                    connected: { up, text in self.live.withLock { $0.state.connection = up ? "live" : text } },
                    receive: { message in self.apply(message) })
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(10))
                    guard let fresh = try? await Self.load(client) else { continue }
                    self.merge(fresh)
                }
            }
        }
    }

    /// A live message into the state.
    private func apply(_ message: Wire.LiveMessage) {
        let arrived = UTCInstant.now
        switch message {
        case .position(let vehicle, let position, _):
            let fix = MapData.Fix(position)
            live.withLock {
                $0.state.update(vehicle, fix)
                $0.lag.add(arrived.seconds(since: fix.time))
            }
        case .event(let event, _):
            live.withLock { $0.state.add(MapData.Event(event)) }
        case .hello: break
        }
    }

    /// A REST refresh: names, zones, events and acknowledgements from the server; fixes only where newer; events
    /// pushed since the snapshot kept.
    private func merge(_ fresh: MapData) {
        live.withLock { live in
            let state = live.state
            let connection = state.connection
            var merged = fresh
            for (vehicle, fix) in state.last { merged.update(vehicle, fix) }
            // Events pushed after the snapshot was taken stay (the snapshot's own carry the latest acknowledgements).
            let newest = fresh.events.first?.id ?? 0
            let pushed = state.events.filter { $0.id > newest }
            merged.events = Array((pushed + fresh.events).prefix(MapData.eventLimit))
            merged.connection = connection
            live.state = merged
        }
    }

    private static func load(_ client: DispatchClient) async throws -> MapData {
        var data = MapData()
        let list = try await client.vehicles()
        data.cursor = list.cursor
        for vehicle in list.vehicles {
            data.names[vehicle.id] = vehicle.name
            if vehicle.offRoute == true { data.offRoute.insert(vehicle.id) }
            if let last = vehicle.last { data.update(vehicle.id, MapData.Fix(last)) }
        }
        for feature in try GeoJSON.features(in: try await client.get("/api/geofences")) {
            if let shape = try? GeoJSON.shape(of: [feature]) { data.fences.append(shape) }
        }
        for feature in try GeoJSON.features(in: try await client.get("/api/routes")) {
            if let line = try? GeoJSON.routeLine(of: [feature]) { data.routes.append(line) }
        }
        for event in try await client.events(limit: MapData.eventLimit).events.reversed() {
            data.add(MapData.Event(event))
        }
        return data
    }
}

/// Lag of live fixes over a window: arrival on the map − fix time, seconds.
public struct LagWindow: Sendable {
    /// Fixes in the window.
    public private(set) var count = 0
    /// The sum of their lags.
    public private(set) var total = 0.0
    /// The largest lag.
    public private(set) var maximum = 0.0

    mutating func add(_ seconds: Double) {
        count += 1
        total += seconds
        maximum = max(maximum, seconds)
    }

    /// The mean lag (0 for none).
    public var mean: Double { count == 0 ? 0 : total / Double(count) }
}
