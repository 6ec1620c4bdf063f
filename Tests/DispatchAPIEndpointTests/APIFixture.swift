import DispatchAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OrbitaModel
import OrbitaWire
import Storage
import Testing

/// The dispatch API in process (Hummingbird's router test framework, no sockets) on a temporary SQLite database
/// holding four vehicles with a minute of fixes each, a route, fence events, and one token per role.
struct APIFixture: Sendable {
    let folder: URL
    let path: String
    let tokens: [AccessRole: String]
    let fenceLimits: GeofenceLimits

    /// The first fix's time: a minute before now (a whole second: the wire carries milliseconds), so the vehicles
    /// are moving, not stale.
    static let start = UTCInstant(
        microsecondsSinceEpoch: (UTCInstant.now.microsecondsSinceEpoch / 1_000_000 - 60) * 1_000_000)

    static func time(_ second: Int) -> UTCInstant {
        UTCInstant(microsecondsSinceEpoch: start.microsecondsSinceEpoch + Int64(second) * 1_000_000)
    }

    /// A fix of `vehicle` `second` seconds after `start`, driving north at 10 m/s.
    static func fix(_ vehicle: Int, _ second: Int) -> TrackPoint {
        TrackPoint(
            vehicleID: String(format: "API%04d", vehicle), time: time(second),
            coordinate: Coordinate(latitude: 55.75 + Double(second) * 9e-5, longitude: 37.60 + Double(vehicle) * 0.01),
            speedMetersPerSecond: 10, courseDegrees: 0, mode: .threeDimensional, hdop: 0.9)
    }

    init(fenceLimits: GeofenceLimits = GeofenceLimits()) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("orbita-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = folder.appendingPathComponent("api.sqlite").path
        let store = try SQLiteTrackStore(path: path)
        try store.save(
            Route(
                name: "R",
                line: [Coordinate(latitude: 55.75, longitude: 37.61), Coordinate(latitude: 55.76, longitude: 37.61)]))
        for vehicle in 1...4 {
            let points = (0..<50).map { Self.fix(vehicle, $0) }
            let events = [
                VehicleEvent(
                    kind: .geofenceEnter, vehicleID: points[10].vehicleID, time: points[10].time,
                    coordinate: points[10].coordinate, fixTime: points[10].time, geofence: "yard"),
                VehicleEvent(
                    kind: vehicle == 2 ? .routeDeviation : .geofenceExit, vehicleID: points[30].vehicleID,
                    time: points[30].time, coordinate: points[30].coordinate, fixTime: points[30].time,
                    geofence: vehicle == 2 ? nil : "yard", route: vehicle == 2 ? "R" : nil),
            ]
            _ = try store.insert(points, events: events)
        }
        var tokens: [AccessRole: String] = [:]
        for role in AccessRole.allCases {
            let secret = TokenSecret.generate()
            _ = try store.createToken(
                name: "\(role)", role: role, secretSHA256: TokenSecret.sha256(secret), at: .now)
            tokens[role] = secret
        }
        self.tokens = tokens
        self.fenceLimits = fenceLimits
    }

    /// A fresh connection to the fixture's database (to check what the API stored).
    func store() throws -> SQLiteTrackStore { try SQLiteTrackStore(path: path) }

    /// A response: status and body.
    struct Reply {
        var status: Int
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: body) }
    }

    /// Runs `body` with a client of the API.
    func run(_ body: @escaping @Sendable (Client) async throws -> Void) async throws {
        let router = Router(context: DispatchContext.self)
        let path = path
        let api = try DispatchStore(connections: 2) { try SQLiteTrackStore(path: path) }
        DispatchRoutes.register(on: router, store: api, fenceLimits: fenceLimits)
        let app = Application(router: router)
        let tokens = tokens
        try await app.test(.router) { client in try await body(Client(client: client, tokens: tokens)) }
    }

    /// Requests as a role (or with a raw bearer token).
    struct Client: Sendable {
        let client: any TestClientProtocol
        let tokens: [AccessRole: String]

        func call(
            _ method: HTTPRequest.Method, _ uri: String, _ role: AccessRole?, body: String = "", token: String? = nil
        ) async throws -> Reply {
            var headers = HTTPFields()
            if let bearer = token ?? role.flatMap({ tokens[$0] }) { headers[.authorization] = "Bearer \(bearer)" }
            if !body.isEmpty { headers[.contentType] = "application/json" }
            let response = try await client.executeRequest(
                uri: uri, method: method, headers: headers, body: body.isEmpty ? nil : ByteBuffer(string: body))
            return Reply(status: Int(response.status.code), body: Data(response.body.readableBytesView))
        }
    }
}
