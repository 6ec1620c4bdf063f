import Foundation
import OrbitaModel
import OrbitaWire
import Testing

@testable import DispatchAPI

/// `/openapi.json`'s object schemas are held to what the `OrbitaWire` types encode: every member a fully filled
/// value writes is described, nothing described is never written, and the required members are those a bare value
/// still writes.
struct OpenAPIDocumentTests {
    static let t0 = UTCInstant(microsecondsSinceEpoch: 1_717_920_000_000_000)

    static func keys<T: Encodable>(_ value: T) throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any]
        return Set(try #require(object).keys)
    }

    static func check<T: Encodable>(_ name: String, full: T, bare: T) throws {
        let schema = try #require(OpenAPIDocument.schemas[name], "no schema \(name)")
        #expect(Set(schema.properties.keys) == (try keys(full)), "\(name) members")
        #expect(Set(schema.required) == (try keys(bare)), "\(name) required members")
    }

    @Test func schemasMatchTheWireTypes() throws {
        let full = TrackPoint(
            vehicleID: "a", time: Self.t0, coordinate: Coordinate(latitude: 1, longitude: 2), speedMetersPerSecond: 1,
            courseDegrees: 2, hdop: 1)
        let bare = TrackPoint(vehicleID: "a", time: Self.t0, coordinate: Coordinate(latitude: 1, longitude: 2))
        try Self.check("Position", full: Wire.Position(full), bare: Wire.Position(bare))
        let vehicle = Vehicle(id: "a", name: "A", kind: .bus, registration: "X")
        try Self.check(
            "Vehicle", full: Wire.Vehicle(vehicle, last: full, now: Self.t0, offRoute: true),
            bare: Wire.Vehicle(Vehicle(id: "a"), last: nil, now: Self.t0))
        let cursor = Wire.Cursor(fix: 1, event: 2)
        try Self.check(
            "VehicleList", full: Wire.VehicleList(vehicles: [], cursor: cursor),
            bare: Wire.VehicleList(vehicles: [], cursor: cursor))
        var detailed = VehicleEvent(
            kind: .routeReturn, vehicleID: "a", time: Self.t0, coordinate: Coordinate(latitude: 1, longitude: 2),
            fixTime: Self.t0, geofence: "g", route: "r", checkpoint: "c")
        detailed.distanceMeters = 1
        detailed.progressMeters = 2
        detailed.skippedMeters = 3
        detailed.durationSeconds = 4
        detailed.speedKmh = 5
        detailed.limitKmh = 6
        detailed.acknowledgedAt = Self.t0
        let plain = VehicleEvent(
            kind: .geofenceEnter, vehicleID: "a", time: Self.t0, coordinate: Coordinate(latitude: 1, longitude: 2),
            fixTime: Self.t0)
        try Self.check(
            "Event", full: Wire.Event(StoredEvent(id: 1, event: detailed)),
            bare: Wire.Event(StoredEvent(id: 1, event: plain)))
        try Self.check(
            "EventPage", full: Wire.EventPage(events: [], next: "before=1"), bare: Wire.EventPage(events: [], next: nil)
        )
        try Self.check(
            "Detour", full: Wire.Detour(vehicle: "a", from: Self.t0, to: Self.t0, reason: "r"),
            bare: Wire.Detour(vehicle: "a", from: nil, to: Self.t0, reason: nil))
        try Self.check(
            "VehicleEdit", full: Wire.VehicleEdit(name: "n", kind: .bus, registration: "r"), bare: Wire.VehicleEdit())
        try Self.check("Error", full: Wire.ErrorBody("e"), bare: Wire.ErrorBody("e"))
    }

    @Test func documentIsJSONWithTheSchemas() throws {
        let object = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.text.utf8)) as? [String: Any]
        let components = try #require(object?["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        #expect(Set(schemas.keys) == Set(OpenAPIDocument.schemas.keys))
    }
}
