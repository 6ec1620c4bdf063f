import Foundation
import OrbitaModel
import OrbitaWire
import Testing

/// The wire types: what the fast writers put out decodes (with `JSONDecoder`) to the value written, and carries the
/// same members as the `Codable` encoding, so the API, the live feed, the client and the CLI cannot disagree.
struct WireTests {
    static let t0 = UTCInstant(microsecondsSinceEpoch: 1_717_920_000_123_000)

    static func point(speed: Double? = 12.5, course: Double? = 90.25, hdop: Double? = 0.9) -> TrackPoint {
        TrackPoint(
            vehicleID: "bus-17", time: t0, coordinate: Coordinate(latitude: 55.751_244_123, longitude: 37.618_423_456),
            speedMetersPerSecond: speed, courseDegrees: course, hdop: hdop)
    }

    static func event(full: Bool) -> Wire.Event {
        var event = VehicleEvent(
            kind: full ? .routeReturn : .geofenceEnter, vehicleID: "bus-17", time: t0,
            coordinate: Coordinate(latitude: 55.75, longitude: 37.62), fixTime: t0, geofence: full ? "depot" : nil,
            route: full ? "line-7" : nil, checkpoint: full ? "stop-3" : nil)
        if full {
            event.distanceMeters = 140.5
            event.progressMeters = 1200
            event.skippedMeters = 350.5
            event.durationSeconds = 61
            event.speedKmh = 72.5
            event.limitKmh = 60
            event.acknowledgedAt = UTCInstant(microsecondsSinceEpoch: t0.microsecondsSinceEpoch + 5_000_000)
        }
        return Wire.Event(StoredEvent(id: 42, event: event))
    }

    static func written(_ write: (inout JSONWriter) -> Void) -> Data {
        var writer = JSONWriter()
        write(&writer)
        return Data(writer.bytes)
    }

    static func keys(_ data: Data) throws -> Set<String> {
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return Set(object.keys)
    }

    /// `write(to:)` and `Codable` agree on members and values.
    static func agree<T: Codable & Equatable>(_ value: T, _ write: (T, inout JSONWriter) -> Void) throws {
        let fast = written { write(value, &$0) }
        #expect(try JSONDecoder().decode(T.self, from: fast) == value)
        #expect(try keys(fast) == keys(JSONEncoder().encode(value)))
    }

    @Test func positionsWithAndWithoutOptionalMembers() throws {
        try Self.agree(Wire.Position(Self.point())) { $0.write(to: &$1) }
        let bare = Wire.Position(Self.point(speed: nil, course: nil, hdop: nil))
        try Self.agree(bare) { $0.write(to: &$1) }
        #expect(try Self.keys(Self.written { bare.write(to: &$0) }) == ["time", "lat", "lon"])
    }

    @Test func eventsCarryEveryDetail() throws {
        let full = Self.event(full: true)
        try Self.agree(full) { $0.write(to: &$1) }
        let keys = try Self.keys(Self.written { full.write(to: &$0) })
        #expect(keys.isSuperset(of: ["progress_m", "skipped_m", "distance_m", "duration_s", "speed_kmh", "limit_kmh"]))
        let bare = Self.event(full: false)
        try Self.agree(bare) { $0.write(to: &$1) }
        // Not yet acknowledged is written as null, not left out.
        let object = try #require(
            try JSONSerialization.jsonObject(with: Self.written { bare.write(to: &$0) }) as? [String: Any])
        #expect(object["acknowledged"] is NSNull)
    }

    @Test func vehiclesListsAndPages() throws {
        let vehicle = Wire.Vehicle(
            Vehicle(id: "bus-17", name: "Bus 17", kind: .bus, registration: "A123BC"), last: Self.point(),
            now: Self.t0, offRoute: true)
        try Self.agree(vehicle) { $0.write(to: &$1) }
        let list = Wire.VehicleList(vehicles: [vehicle], cursor: Wire.Cursor(fix: 9, event: 4))
        try Self.agree(list) { $0.write(to: &$1) }
        let page = Wire.EventPage(events: [Self.event(full: true), Self.event(full: false)], next: "before=42")
        try Self.agree(page) { $0.write(to: &$1) }
        try Self.agree(Wire.ErrorBody("no such vehicle")) { $0.write(to: &$1) }
        try Self.agree(Wire.Detour(vehicle: "bus-17", from: Self.t0, to: Self.t0, reason: "roadworks")) {
            $0.write(to: &$1)
        }
    }

    @Test func cursorsAreFixColonEvent() throws {
        let cursor = Wire.Cursor(fix: 120, event: 7)
        #expect(cursor.text == "120:7")
        #expect(Wire.Cursor("120:7") == cursor)
        for bad in ["", "120", "1:2:3", "-1:2", "a:b", "1:"] { #expect(Wire.Cursor(bad) == nil, "\(bad)") }
        #expect(
            try JSONDecoder().decode([Wire.Cursor].self, from: Data(#"["3:4"]"#.utf8)) == [
                Wire.Cursor(fix: 3, event: 4)
            ])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Wire.Cursor].self, from: Data(#"["x"]"#.utf8)) }
    }

    @Test func numbersAndTimes() throws {
        func text(_ write: (inout JSONWriter) -> Void) -> String {
            String(decoding: Self.written(write), as: UTF8.self)
        }
        #expect(text { $0.number(12.5, decimals: 3) } == "12.5")
        #expect(text { $0.number(3, decimals: 2) } == "3.0")
        #expect(text { $0.number(-0.000_000_4, decimals: 6) } == "0.0")
        #expect(text { $0.number(-2.345_678, decimals: 2) } == "-2.35")
        #expect(text { $0.number(Double.nan, decimals: 2) } == "null")
        #expect(text { $0.time(Self.t0) } == #""2024-06-09T08:00:00.123Z""#)
        #expect(text { $0.string("a\"b\\c\n\u{1}é") } == #""a\"b\\c\n\u0001é""#)
    }

    @Test func liveMessagesDecodeAsWritten() throws {
        let cursor = Wire.Cursor(fix: 12, event: 3)
        let position = Self.written { Wire.LiveMessage.writePosition(Self.point(), cursor: cursor, to: &$0) }
        let decoded = try JSONDecoder().decode(Wire.LiveMessage.self, from: position)
        #expect(decoded == .position(vehicle: "bus-17", position: Wire.Position(Self.point(hdop: nil)), cursor: cursor))
        let event = Self.event(full: true)
        let pushed = try JSONDecoder().decode(
            Wire.LiveMessage.self, from: Self.written { event.write(to: &$0, live: cursor) })
        #expect(pushed == .event(event, cursor: cursor))
        let hello = try JSONDecoder().decode(
            Wire.LiveMessage.self, from: Self.written { Wire.LiveMessage.writeHello(cursor, to: &$0) })
        #expect(hello == .hello(cursor: cursor) && hello.cursor == cursor)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Wire.LiveMessage.self, from: Data(#"{"type":"gossip","cursor":"1:1"}"#.utf8))
        }
    }

    @Test func tracksDecodeAsWritten() throws {
        let points = [Self.point(), Self.point(speed: nil, course: nil)]
        let data = Self.written {
            TrackFeature.write(vehicle: "bus-17", points, truncated: true, nextTo: Self.t0, to: &$0)
        }
        let track = try JSONDecoder().decode(Wire.Track.self, from: data)
        #expect(
            track.properties.vehicle == "bus-17" && track.properties.truncated && track.properties.nextTo == Self.t0)
        #expect(track.fixes.count == 2)
        #expect(track.fixes[0].coordinate == points[0].coordinate && track.fixes[0].speedMPS == 12.5)
        #expect(track.fixes[1].speedMPS == nil && track.fixes[1].courseDeg == nil && track.fixes[1].time == Self.t0)
    }
}
