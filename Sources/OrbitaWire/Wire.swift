public import OrbitaModel

/// What crosses a process boundary as JSON — the API's responses and requests, the live feed's messages, the
/// command line's JSON — as typed values, one type per thing, each with one encoding: `write(to:)` is the fast writer
/// servers and commands use, `Codable` (same names) is for clients and tests. Names are the API's (snake_case);
/// numbers are rounded to what the data holds (coordinates to 1e-9°, speeds to 1 mm/s, metres to 0.1 m).
public enum Wire {
    /// Decimals written for latitude and longitude (≈ 0.1 mm).
    public static let coordinateDecimals = 9

    /// A vehicle's last known position.
    public struct Position: Codable, Sendable, Equatable {
        /// When it was taken.
        public var time: UTCInstant
        /// Latitude, degrees WGS 84.
        public var lat: Double
        /// Longitude, degrees WGS 84.
        public var lon: Double
        /// Speed over ground, m/s.
        public var speedMPS: Double?
        /// Course over ground, degrees true.
        public var courseDeg: Double?
        /// Horizontal dilution of precision.
        public var hdop: Double?

        enum CodingKeys: String, CodingKey {
            case time, lat, lon, hdop
            case speedMPS = "speed_mps"
            case courseDeg = "course_deg"
        }

        /// The position of a stored fix.
        public init(_ point: TrackPoint) {
            time = point.time
            lat = point.coordinate.latitude
            lon = point.coordinate.longitude
            speedMPS = point.speedMetersPerSecond
            courseDeg = point.courseDegrees
            hdop = point.hdop
        }

        /// Writes it as a JSON object.
        public func write(to json: inout JSONWriter) {
            json.objectStart()
            json.key("time")
            json.time(time)
            json.key("lat")
            json.number(lat, decimals: Wire.coordinateDecimals)
            json.key("lon")
            json.number(lon, decimals: Wire.coordinateDecimals)
            if let speedMPS {
                json.key("speed_mps")
                json.number(speedMPS, decimals: 3)
            }
            if let courseDeg {
                json.key("course_deg")
                json.number(courseDeg, decimals: 2)
            }
            if let hdop {
                json.key("hdop")
                json.number(hdop, decimals: 2)
            }
            json.objectEnd()
        }
    }

    /// A vehicle as dispatchers see it.
    public struct Vehicle: Codable, Sendable, Equatable {
        /// The device identity.
        public var id: String
        /// The display name.
        public var name: String
        /// What kind of vehicle.
        public var kind: VehicleKind
        /// The registration plate, when known.
        public var registration: String?
        /// Moving, stopped, stale or unknown (`LiveState`).
        public var state: LiveState
        /// Whether its latest route event is a deviation (in lists; nil elsewhere).
        public var offRoute: Bool?
        /// Its last position, if it ever reported.
        public var last: Position?

        enum CodingKeys: String, CodingKey {
            case id, name, kind, registration, state, last
            case offRoute = "off_route"
        }

        /// A vehicle with its last stored fix, its state judged at `now`.
        public init(_ vehicle: OrbitaModel.Vehicle, last: TrackPoint?, now: UTCInstant, offRoute: Bool? = nil) {
            id = vehicle.id
            name = vehicle.name
            kind = vehicle.kind
            registration = vehicle.registration
            state = LiveState(last: last, now: now)
            self.offRoute = offRoute
            self.last = last.map(Position.init)
        }

        /// Writes it as a JSON object.
        public func write(to json: inout JSONWriter) {
            json.objectStart()
            json.key("id")
            json.string(id)
            json.key("name")
            json.string(name)
            json.key("kind")
            json.string(kind.rawValue)
            if let registration {
                json.key("registration")
                json.string(registration)
            }
            json.key("state")
            json.string(state.rawValue)
            if let offRoute {
                json.key("off_route")
                json.bool(offRoute)
            }
            if let last {
                json.key("last")
                last.write(to: &json)
            }
            json.objectEnd()
        }
    }

    /// `GET /api/vehicles`: every vehicle, and the live feed's cursor as of the list.
    public struct VehicleList: Codable, Sendable, Equatable {
        /// The vehicles.
        public var vehicles: [Vehicle]
        /// Follow `/api/live?after=` this to miss nothing committed after the list.
        public var cursor: Cursor

        /// A list.
        public init(vehicles: [Vehicle], cursor: Cursor) {
            self.vehicles = vehicles
            self.cursor = cursor
        }

        /// Writes it as a JSON object.
        public func write(to json: inout JSONWriter) {
            json.objectStart()
            json.key("cursor")
            json.string(cursor.text)
            json.key("vehicles")
            json.arrayStart()
            for vehicle in vehicles { vehicle.write(to: &json) }
            json.arrayEnd()
            json.objectEnd()
        }
    }

    /// An event with its number, as the API, the live feed and `orbita events --format json` give it.
    public struct Event: Codable, Sendable, Equatable {
        /// Its number (the key to acknowledge it; increasing in the order events were stored).
        public var id: Int64
        /// What happened.
        public var kind: EventKind
        /// The vehicle.
        public var vehicle: String
        /// When it happened.
        public var time: UTCInstant
        /// Where, latitude.
        public var lat: Double
        /// Where, longitude.
        public var lon: Double
        /// The time of the fix that raised it.
        public var fixTime: UTCInstant
        /// When a dispatcher acknowledged it (written as `null` when not yet).
        public var acknowledged: UTCInstant?
        /// The geofence, for geofence and overspeed events.
        public var geofence: String?
        /// The route, for route events.
        public var route: String?
        /// The checkpoint, for checkpoint events.
        public var checkpoint: String?
        /// Deviation: the largest distance from the route while leaving, metres.
        public var distanceM: Double?
        /// Deviation: where along the route it left, metres.
        public var progressM: Double?
        /// Return: route skipped between leaving and returning, metres.
        public var skippedM: Double?
        /// Time inside (exit, dwell) or away (return), seconds.
        public var durationS: Double?
        /// Overspeed: the speed, km/h.
        public var speedKmh: Double?
        /// Overspeed: the limit, km/h.
        public var limitKmh: Double?

        enum CodingKeys: String, CodingKey {
            case id, kind, vehicle, time, lat, lon, acknowledged, geofence, route, checkpoint
            case fixTime = "fix_time"
            case distanceM = "distance_m"
            case progressM = "progress_m"
            case skippedM = "skipped_m"
            case durationS = "duration_s"
            case speedKmh = "speed_kmh"
            case limitKmh = "limit_kmh"
        }

        /// A stored event.
        public init(_ stored: StoredEvent) {
            let event = stored.event
            id = stored.id
            kind = event.kind
            vehicle = event.vehicleID
            time = event.time
            lat = event.coordinate.latitude
            lon = event.coordinate.longitude
            fixTime = event.fixTime
            acknowledged = event.acknowledgedAt
            geofence = event.geofence
            route = event.route
            checkpoint = event.checkpoint
            distanceM = event.distanceMeters
            progressM = event.progressMeters
            skippedM = event.skippedMeters
            durationS = event.durationSeconds
            speedKmh = event.speedKmh
            limitKmh = event.limitKmh
        }

        /// Encodes every member, `acknowledged` as `null` when not yet (as `write(to:)` does).
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(kind, forKey: .kind)
            try container.encode(vehicle, forKey: .vehicle)
            try container.encode(time, forKey: .time)
            try container.encode(lat, forKey: .lat)
            try container.encode(lon, forKey: .lon)
            try container.encode(fixTime, forKey: .fixTime)
            try container.encode(acknowledged, forKey: .acknowledged)
            try container.encodeIfPresent(geofence, forKey: .geofence)
            try container.encodeIfPresent(route, forKey: .route)
            try container.encodeIfPresent(checkpoint, forKey: .checkpoint)
            try container.encodeIfPresent(distanceM, forKey: .distanceM)
            try container.encodeIfPresent(progressM, forKey: .progressM)
            try container.encodeIfPresent(skippedM, forKey: .skippedM)
            try container.encodeIfPresent(durationS, forKey: .durationS)
            try container.encodeIfPresent(speedKmh, forKey: .speedKmh)
            try container.encodeIfPresent(limitKmh, forKey: .limitKmh)
        }

        /// Writes it as a JSON object; `live` adds the live feed's `type` and `cursor` members.
        public func write(to json: inout JSONWriter, live cursor: Cursor? = nil) {
            json.objectStart()
            json.key("id")
            json.integer(id)
            json.key("kind")
            json.string(kind.rawValue)
            json.key("vehicle")
            json.string(vehicle)
            json.key("time")
            json.time(time)
            json.key("lat")
            json.number(lat, decimals: Wire.coordinateDecimals)
            json.key("lon")
            json.number(lon, decimals: Wire.coordinateDecimals)
            json.key("fix_time")
            json.time(fixTime)
            json.key("acknowledged")
            if let acknowledged { json.time(acknowledged) } else { json.null() }
            func text(_ name: StaticString, _ value: String?) {
                guard let value else { return }
                json.key(name)
                json.string(value)
            }
            func metric(_ name: StaticString, _ value: Double?) {
                guard let value else { return }
                json.key(name)
                json.number(value, decimals: 1)
            }
            text("geofence", geofence)
            text("route", route)
            text("checkpoint", checkpoint)
            metric("distance_m", distanceM)
            metric("progress_m", progressM)
            metric("skipped_m", skippedM)
            metric("duration_s", durationS)
            metric("speed_kmh", speedKmh)
            metric("limit_kmh", limitKmh)
            if let cursor {
                json.key("type")
                json.raw(#""event""#)
                json.key("cursor")
                json.string(cursor.text)
            }
            json.objectEnd()
        }
    }

    /// `GET /api/events`: a page of events, newest first.
    public struct EventPage: Codable, Sendable, Equatable {
        /// The events.
        public var events: [Event]
        /// The query of the next, older page (`before=ID`), when this one was full.
        public var next: String?

        /// A page.
        public init(events: [Event], next: String?) {
            self.events = events
            self.next = next
        }

        /// Writes it as a JSON object.
        public func write(to json: inout JSONWriter) {
            json.objectStart()
            json.key("events")
            json.arrayStart()
            for event in events { event.write(to: &json) }
            json.arrayEnd()
            if let next {
                json.key("next")
                json.string(next)
            }
            json.objectEnd()
        }
    }

    /// The live feed's resume point: the numbers of the last fix and the last event sent (`FIX:EVENT`).
    public struct Cursor: Codable, Sendable, Hashable {
        /// The last fix sent.
        public var fix: Int64
        /// The last event sent.
        public var event: Int64

        /// `FIX:EVENT`.
        public var text: String { "\(fix):\(event)" }

        /// A cursor.
        public init(fix: Int64, event: Int64) {
            self.fix = fix
            self.event = event
        }

        /// Parses `FIX:EVENT`.
        public init?(_ text: String) {
            let parts = text.split(separator: ":")
            guard parts.count == 2, let fix = Int64(parts[0]), let event = Int64(parts[1]), fix >= 0, event >= 0
            else { return nil }
            self.init(fix: fix, event: event)
        }

        /// Reads `FIX:EVENT` text.
        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let cursor = Cursor(text) else {
                throw DecodingError.dataCorrupted(
                    DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "not FIX:EVENT: \(text)"))
            }
            self = cursor
        }

        /// Writes `FIX:EVENT` text.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(text)
        }
    }

    /// One message of the live feed (`/api/live`): `hello` first, then positions and events in commit order.
    public enum LiveMessage: Sendable, Equatable {
        /// The feed starts after `cursor`.
        case hello(cursor: Cursor)
        /// A fix was stored.
        case position(vehicle: String, position: Position, cursor: Cursor)
        /// An event was stored.
        case event(Event, cursor: Cursor)

        /// Writes a hello.
        public static func writeHello(_ cursor: Cursor, to json: inout JSONWriter) {
            json.objectStart()
            json.key("cursor")
            json.string(cursor.text)
            json.key("type")
            json.raw(#""hello""#)
            json.objectEnd()
        }

        /// Writes a position message for a stored fix: `{type, cursor, vehicle, time, lat, lon, speed_mps?,
        /// course_deg?}`.
        public static func writePosition(_ point: TrackPoint, cursor: Cursor, to json: inout JSONWriter) {
            json.objectStart()
            if let course = point.courseDegrees {
                json.key("course_deg")
                json.number(course, decimals: 2)
            }
            json.key("cursor")
            json.string(cursor.text)
            json.key("lat")
            json.number(point.coordinate.latitude, decimals: Wire.coordinateDecimals)
            json.key("lon")
            json.number(point.coordinate.longitude, decimals: Wire.coordinateDecimals)
            if let speed = point.speedMetersPerSecond {
                json.key("speed_mps")
                json.number(speed, decimals: 3)
            }
            json.key("time")
            json.time(point.time)
            json.key("type")
            json.raw(#""position""#)
            json.key("vehicle")
            json.string(point.vehicleID)
            json.objectEnd()
        }
    }

    /// The one error body: `{"error": "…"}`.
    public struct ErrorBody: Codable, Sendable, Equatable {
        /// What went wrong, for people.
        public var error: String

        /// An error body.
        public init(_ error: String) { self.error = error }

        /// Writes it as a JSON object.
        public func write(to json: inout JSONWriter) {
            json.objectStart()
            json.key("error")
            json.string(error)
            json.objectEnd()
        }
    }

    /// `POST /api/detours`: an approved detour (in a request `from` defaults to now and `reason` to "approved
    /// detour").
    public struct Detour: Codable, Sendable, Equatable {
        /// The vehicle.
        public var vehicle: String
        /// From (ISO 8601).
        public var from: UTCInstant?
        /// To (ISO 8601).
        public var to: UTCInstant
        /// Why (shown to dispatchers).
        public var reason: String?

        /// A detour.
        public init(vehicle: String, from: UTCInstant?, to: UTCInstant, reason: String?) {
            self.vehicle = vehicle
            self.from = from
            self.to = to
            self.reason = reason
        }

        /// Writes it as a JSON object.
        public func write(to json: inout JSONWriter) {
            json.objectStart()
            json.key("vehicle")
            json.string(vehicle)
            if let from {
                json.key("from")
                json.time(from)
            }
            json.key("to")
            json.time(to)
            if let reason {
                json.key("reason")
                json.string(reason)
            }
            json.objectEnd()
        }
    }

    /// `PUT /api/vehicles/{id}`: what to change (members left out stay as they are).
    public struct VehicleEdit: Codable, Sendable, Equatable {
        /// A display name.
        public var name: String?
        /// The kind.
        public var kind: VehicleKind?
        /// The registration plate.
        public var registration: String?

        /// An edit.
        public init(name: String? = nil, kind: VehicleKind? = nil, registration: String? = nil) {
            self.name = name
            self.kind = kind
            self.registration = registration
        }
    }
}

extension Wire.LiveMessage: Decodable {
    private enum Keys: String, CodingKey {
        case type, cursor, vehicle
    }

    /// Reads a live-feed message; a `type` this version does not know is an error (clients skip such messages).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let cursor = try container.decode(Wire.Cursor.self, forKey: .cursor)
        switch try container.decode(String.self, forKey: .type) {
        case "hello": self = .hello(cursor: cursor)
        case "position":
            self = .position(
                vehicle: try container.decode(String.self, forKey: .vehicle),
                position: try Wire.Position(from: decoder),
                cursor: cursor)
        case "event": self = .event(try Wire.Event(from: decoder), cursor: cursor)
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "unknown live message type \(other)")
        }
    }

    /// Where the feed is after this message.
    public var cursor: Wire.Cursor {
        switch self {
        case .hello(let cursor), .position(_, _, let cursor), .event(_, let cursor): cursor
        }
    }
}

extension Wire {
    /// `GET /health`: whether the server stores what it receives, and its counts (200 when `ok`, 503 when
    /// `degraded`).
    public struct Health: Codable, Sendable, Equatable {
        /// `ok`, or `degraded` when the store failed.
        public var status: String
        /// Fixes received.
        public var received: Int
        /// Fixes committed.
        public var committedFixes: Int
        /// Events committed.
        public var committedEvents: Int
        /// Fixes waiting for the processor.
        public var queueDepth: Int
        /// Vehicles heard from in the last 5 minutes.
        public var vehiclesOnline: Int
        /// Fixes from vehicles not registered (dropped when registration is required).
        public var unregistered: Int
        /// The store's last error (`null` when none).
        public var storeError: String?
        /// A cluster node's figures (absent on a single server).
        public var cluster: Cluster?

        /// What a cluster node (`orbita serve --node`) holds and has done.
        public struct Cluster: Codable, Sendable, Equatable {
            /// The node's name.
            public var node: String
            /// Shards it holds.
            public var shards: Int
            /// Nodes alive, itself included.
            public var liveNodes: Int
            /// Fixes waiting in the inbox, all nodes.
            public var inboxBacklog: Int
            /// Fixes it received and wrote to the inbox.
            public var forwarded: Int
            /// Shards claimed, given up and lost since it started.
            public var claimed: Int
            /// See `claimed`.
            public var released: Int
            /// See `claimed`.
            public var lost: Int
            /// The last error talking to the cluster's tables (`null` when none).
            public var error: String?

            /// A node's figures.
            public init(
                node: String, shards: Int, liveNodes: Int, inboxBacklog: Int, forwarded: Int, claimed: Int,
                released: Int, lost: Int, error: String?
            ) {
                self.node = node
                self.shards = shards
                self.liveNodes = liveNodes
                self.inboxBacklog = inboxBacklog
                self.forwarded = forwarded
                self.claimed = claimed
                self.released = released
                self.lost = lost
                self.error = error
            }
        }

        /// A health report.
        public init(
            received: Int, committedFixes: Int, committedEvents: Int, queueDepth: Int, vehiclesOnline: Int,
            unregistered: Int, storeError: String?
        ) {
            status = storeError == nil ? "ok" : "degraded"
            self.received = received
            self.committedFixes = committedFixes
            self.committedEvents = committedEvents
            self.queueDepth = queueDepth
            self.vehiclesOnline = vehiclesOnline
            self.unregistered = unregistered
            self.storeError = storeError
        }

        /// Whether the store works (and a cluster node reaches its leases and inbox).
        public var isHealthy: Bool { storeError == nil && cluster?.error == nil }

        /// Encodes every member, `storeError` as `null` when there is none.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)
            try container.encode(received, forKey: .received)
            try container.encode(committedFixes, forKey: .committedFixes)
            try container.encode(committedEvents, forKey: .committedEvents)
            try container.encode(queueDepth, forKey: .queueDepth)
            try container.encode(vehiclesOnline, forKey: .vehiclesOnline)
            try container.encode(unregistered, forKey: .unregistered)
            try container.encode(storeError, forKey: .storeError)
            try container.encodeIfPresent(cluster, forKey: .cluster)
        }
    }

    /// `GET /sources`: the noisiest senders and what was dropped from them.
    public struct SourceList: Codable, Sendable, Equatable {
        /// One sender (an address and port).
        public struct Source: Codable, Sendable, Equatable {
            /// `HOST:PORT`.
            public var source: String
            /// Datagrams or lines received.
            public var messages: Int
            /// Fixes decoded.
            public var fixes: Int
            /// Drop reason → count.
            public var dropped: [String: Int]

            /// A sender's counts.
            public init(source: String, messages: Int, fixes: Int, dropped: [String: Int]) {
                self.source = source
                self.messages = messages
                self.fixes = fixes
                self.dropped = dropped
            }
        }

        /// The senders, noisiest first.
        public var sources: [Source]

        /// A list.
        public init(sources: [Source]) { self.sources = sources }
    }
}
