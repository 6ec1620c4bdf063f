import DispatchClient
import Foundation
import GPX
import GeoJSON
import OrbitaModel
import Storage

/// What the map shows, from the database or from a server: vehicles, their last fixes, zones, recent events.
struct MapData: Sendable {
    /// A vehicle's fix as the map needs it.
    struct Fix: Sendable {
        var time: UTCInstant
        var coordinate: Coordinate
        var speedMetersPerSecond: Double?
        var courseDegrees: Double?
    }

    /// An event as the panel lists it.
    struct Event: Sendable {
        var id: Int64
        var time: UTCInstant
        /// Vehicle, kind and subject.
        var line: String
        var coordinate: Coordinate
        var acknowledged: Bool

        init(
            id: Int64, time: UTCInstant, vehicle: String, kind: String, subject: String, coordinate: Coordinate,
            acknowledged: Bool
        ) {
            self.id = id
            self.time = time
            line = "\(vehicle) \(kind) \(subject)"
            self.coordinate = coordinate
            self.acknowledged = acknowledged
        }
    }

    /// Where a replay starts: 24 hours before the vehicle's last fix.
    static func replayStart(lastFix: UTCInstant) -> UTCInstant {
        UTCInstant(microsecondsSinceEpoch: lastFix.microsecondsSinceEpoch - 86_400_000_000)
    }

    /// Vehicle ID → display name.
    var names: [String: String] = [:]
    /// Vehicle ID → its newest fix.
    var last: [String: Fix] = [:]
    /// Geofence shapes.
    var fences: [GeoShape] = []
    /// Route lines.
    var routes: [[Coordinate]] = []
    /// Vehicles whose latest route event is a deviation.
    var offRoute: Set<String> = []
    /// The newest events first (at most `eventLimit`).
    var events: [Event] = []
    /// The connection's state for the status line ("" for a local database).
    var connection = ""
    /// The server's live-feed cursor as of the vehicle list (server mode).
    var cursor: String?

    /// Events the panel keeps.
    static let eventLimit = 200

    /// Adds a fix unless an older one arrives late.
    mutating func update(_ vehicleID: String, _ fix: Fix) {
        if let known = last[vehicleID], known.time > fix.time { return }
        last[vehicleID] = fix
        if names[vehicleID] == nil { names[vehicleID] = vehicleID }
    }

    /// Adds an event at the top; route deviation and return set the vehicle's off-route state.
    mutating func add(_ event: Event, vehicleID: String, kind: String) {
        guard !events.contains(where: { $0.id == event.id }) else { return }
        events.insert(event, at: 0)
        if events.count > Self.eventLimit { events.removeLast(events.count - Self.eventLimit) }
        if kind == EventKind.routeDeviation.rawValue { offRoute.insert(vehicleID) }
        if kind == EventKind.routeReturn.rawValue { offRoute.remove(vehicleID) }
    }
}

/// Where the map's data comes from.
protocol MapFeed: AnyObject {
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
}

extension MapData.Fix {
    init(_ point: TrackPoint) {
        self.init(
            time: point.time, coordinate: point.coordinate, speedMetersPerSecond: point.speedMetersPerSecond,
            courseDegrees: point.courseDegrees)
    }
}

/// The map on a local database, read every second (read-only unless `writable`).
final class DatabaseFeed: MapFeed {
    private let store: SQLiteTrackStore
    let canAcknowledge: Bool
    let refreshInterval = 1.0

    init(store: SQLiteTrackStore, writable: Bool) {
        self.store = store
        canAcknowledge = writable
    }

    func data() throws -> MapData {
        var data = MapData()
        for vehicle in try store.vehicles() { data.names[vehicle.id] = vehicle.name }
        for point in try store.lastPositions() { data.update(point.vehicleID, MapData.Fix(point)) }
        data.fences = try store.geofences().map(\.shape)
        data.routes = try store.routes().map(\.line)
        data.offRoute = try store.offRouteVehicles()
        data.events = try store.storedEvents(EventQuery(limit: MapData.eventLimit), order: .newestFirst).map {
            stored in
            let event = stored.event
            return MapData.Event(
                id: stored.id, time: event.time, vehicle: event.vehicleID, kind: event.kind.rawValue,
                subject: event.subject, coordinate: event.coordinate, acknowledged: event.acknowledgedAt != nil)
        }
        return data
    }

    func acknowledge(_ id: Int64) -> String {
        do {
            return try store.acknowledgeEvent(id: id, at: .now) == nil ? "no event \(id)" : "event \(id) acknowledged"
        } catch {
            return "acknowledging failed: \(error)"
        }
    }

    func track(_ vehicleID: String) throws -> [MapData.Fix] {
        guard let last = try store.lastPoint(vehicleID: vehicleID, atOrBefore: nil) else { return [] }
        let start = MapData.replayStart(lastFix: last.time)
        return try store.track(vehicleID: vehicleID, from: start, to: nil).suffix(50_000).map(MapData.Fix.init)
    }
}

/// Runs an async call to completion from synchronous code (the map's loop is a plain thread).
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
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
final class ServerFeed: MapFeed, @unchecked Sendable {
    // @unchecked: `state` and `lag` are guarded by `lock`; the rest is immutable.
    private let client: DispatchClient
    private let lock = NSLock()
    private var state = MapData()
    private var lag = LagWindow()
    private var task: Task<Void, Never>?
    let canAcknowledge = true
    let refreshInterval = 0.2

    /// Loads the server's state (throws when it cannot) and starts following the live feed.
    init(client: DispatchClient) throws {
        self.client = client
        let first = try blocking { try await Self.load(client) }
        state = first
        state.connection = "connecting"
        task = Task { [weak self] in await self?.follow() }
    }

    deinit { task?.cancel() }

    func data() throws -> MapData { lock.withLock { state } }

    /// The lag of fixes (arrival − fix time) since the last call, and resets it.
    func takeLag() -> LagWindow {
        lock.withLock {
            defer { lag = LagWindow() }
            return lag
        }
    }

    func acknowledge(_ id: Int64) -> String {
        let client = client
        do {
            _ = try blocking { try await client.post("/api/events/\(id)/ack") }
            lock.withLock {
                if let index = state.events.firstIndex(where: { $0.id == id }) {
                    state.events[index].acknowledged = true
                }
            }
            return "event \(id) acknowledged"
        } catch {
            return "acknowledging failed: \(error)"
        }
    }

    func track(_ vehicleID: String) throws -> [MapData.Fix] {
        guard let last = lock.withLock({ state.last[vehicleID] }) else { return [] }
        let from = MapData.replayStart(lastFix: last.time)
        let client = client
        let path = "/api/vehicles/\(Self.escape(vehicleID))/track?from=\(from.iso8601)&limit=50000"
        let feature = DispatchClient.object(try blocking { try await client.get(path) })
        let coordinates = (feature["geometry"] as? [String: Any])?["coordinates"] as? [[Double]] ?? []
        let properties = feature["properties"] as? [String: Any] ?? [:]
        let times = properties["times"] as? [String] ?? []
        let speeds = properties["speeds_mps"] as? [Any] ?? []
        let courses = properties["courses_deg"] as? [Any] ?? []
        return zip(coordinates, times).enumerated().compactMap { index, pair in
            guard pair.0.count >= 2, let time = ISO8601.parse(pair.1) else { return nil }
            return MapData.Fix(
                time: time, coordinate: Coordinate(latitude: pair.0[1], longitude: pair.0[0]),
                speedMetersPerSecond: index < speeds.count ? speeds[index] as? Double : nil,
                courseDegrees: index < courses.count ? courses[index] as? Double : nil)
        }
    }

    /// Follows the live feed and refreshes over REST every 10 s, until cancelled.
    private func follow() async {
        let client = client
        // From the first snapshot's cursor: nothing committed between the REST load and the feed is missed.
        let cursor = lock.withLock { state.cursor }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await client.live(
                    after: cursor,
                    connected: { up, text in self.lock.withLock { self.state.connection = up ? "live" : text } },
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
    private func apply(_ message: [String: Any]) {
        let arrived = UTCInstant.now
        switch message["type"] as? String {
        case "position":
            guard let vehicle = message["vehicle"] as? String, let fix = Self.fix(message) else { return }
            lock.withLock {
                state.update(vehicle, fix)
                lag.add(Double(arrived.microsecondsSinceEpoch - fix.time.microsecondsSinceEpoch) / 1e6)
            }
        case "event":
            guard let (event, vehicle, kind) = Self.event(message) else { return }
            lock.withLock { state.add(event, vehicleID: vehicle, kind: kind) }
        default: break
        }
    }

    /// A REST refresh: names, zones, events and acknowledgements from the server; fixes only where newer; events
    /// pushed since the snapshot kept.
    private func merge(_ fresh: MapData) {
        lock.withLock {
            let connection = state.connection
            var merged = fresh
            for (vehicle, fix) in state.last { merged.update(vehicle, fix) }
            // Events pushed after the snapshot was taken stay (the snapshot's own carry the latest acknowledgements).
            let newest = fresh.events.first?.id ?? 0
            let pushed = state.events.filter { $0.id > newest }
            merged.events = Array((pushed + fresh.events).prefix(MapData.eventLimit))
            merged.connection = connection
            state = merged
        }
    }

    private static func load(_ client: DispatchClient) async throws -> MapData {
        var data = MapData()
        let list = DispatchClient.object(try await client.get("/api/vehicles"))
        data.cursor = list["cursor"] as? String
        let vehicles = list["vehicles"] as? [[String: Any]] ?? []
        for vehicle in vehicles {
            guard let id = vehicle["id"] as? String else { continue }
            data.names[id] = vehicle["name"] as? String ?? id
            if vehicle["off_route"] as? Bool == true { data.offRoute.insert(id) }
            if let last = vehicle["last"] as? [String: Any], let fix = fix(last) { data.update(id, fix) }
        }
        for feature in try await features(client, "/api/geofences") {
            if let shape = try? GeoJSON.shape(in: JSONSerialization.data(withJSONObject: feature)) {
                data.fences.append(shape)
            }
        }
        for feature in try await features(client, "/api/routes") {
            if let line = try? GeoJSON.routeLine(in: JSONSerialization.data(withJSONObject: feature)) {
                data.routes.append(line)
            }
        }
        let events = try await client.get("/api/events?limit=\(MapData.eventLimit)")
        for (event, vehicle, kind) in (DispatchClient.object(events)["events"] as? [[String: Any]] ?? []).reversed()
            .compactMap(event)
        {
            data.add(event, vehicleID: vehicle, kind: kind)
        }
        return data
    }

    private static func features(_ client: DispatchClient, _ path: String) async throws -> [[String: Any]] {
        DispatchClient.object(try await client.get(path))["features"] as? [[String: Any]] ?? []
    }

    private static func fix(_ object: [String: Any]) -> MapData.Fix? {
        guard let time = (object["time"] as? String).flatMap(ISO8601.parse), let lat = object["lat"] as? Double,
            let lon = object["lon"] as? Double
        else { return nil }
        return MapData.Fix(
            time: time, coordinate: Coordinate(latitude: lat, longitude: lon),
            speedMetersPerSecond: object["speed_mps"] as? Double, courseDegrees: object["course_deg"] as? Double)
    }

    private static func event(_ object: [String: Any]) -> (MapData.Event, String, String)? {
        guard let id = (object["id"] as? NSNumber)?.int64Value, let vehicle = object["vehicle"] as? String,
            let kind = object["kind"] as? String, let time = (object["time"] as? String).flatMap(ISO8601.parse),
            let lat = object["lat"] as? Double, let lon = object["lon"] as? Double
        else { return nil }
        let subject =
            object["geofence"] as? String ?? object["route"] as? String ?? object["checkpoint"] as? String ?? ""
        let event = MapData.Event(
            id: id, time: time, vehicle: vehicle, kind: kind, subject: subject,
            coordinate: Coordinate(latitude: lat, longitude: lon),
            acknowledged: !(object["acknowledged"] is NSNull) && object["acknowledged"] != nil)
        return (event, vehicle, kind)
    }

    private static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
            ?? text
    }
}

/// Lag of live fixes over a window: arrival on the map − fix time, seconds.
struct LagWindow: Sendable {
    private(set) var count = 0
    private(set) var total = 0.0
    private(set) var maximum = 0.0

    mutating func add(_ seconds: Double) {
        count += 1
        total += seconds
        maximum = max(maximum, seconds)
    }

    var mean: Double { count == 0 ? 0 : total / Double(count) }
}
