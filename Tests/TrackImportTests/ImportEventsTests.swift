import FleetTracking
import Foundation
import OrbitaModel
import Storage
import Testing
import TrackImport

/// A bus driving east through Moscow, as an NMEA log: through a circular fence in the first half, off its route by
/// 330 m for a while in the second half.
enum DrivingLog {
    static let latitude = 55.75

    static func checksum(_ body: String) -> String {
        let value = body.utf8.reduce(UInt8(0)) { $0 ^ $1 }
        return String(format: "%02X", value)
    }

    static func line(_ body: String) -> String { "$\(body)*\(checksum(body))\n" }

    static func degreesMinutes(_ value: Double, width: Int) -> String {
        let degrees = Int(value)
        let minutes = (value - Double(degrees)) * 60
        return String(format: "%0\(width)d%08.5f", degrees, minutes)
    }

    /// Fix `index` (every 5 s from 2024-06-09 08:00:00 UTC, 10 m/s east).
    static func fix(_ index: Int) -> String {
        let seconds = index * 5
        let time = String(format: "%02d%02d%02d.00", 8 + seconds / 3600, seconds / 60 % 60, seconds % 60)
        let longitude = 37.600 + Double(index) * 50 / 62_700  // ≈ 50 m a fix at 55.75° N
        let detour = longitude > 37.640 && longitude < 37.650
        let lat = latitude + (detour ? 0.003 : 0)
        let position = "\(degreesMinutes(lat, width: 2)),N,\(degreesMinutes(longitude, width: 3)),E"
        return line("GPRMC,\(time),A,\(position),19.4,90.0,090624,,,A")
            + line("GPGGA,\(time),\(position),1,10,0.9,150.0,M,14.0,M,,")
    }

    static func write(_ range: Range<Int>, to path: String) throws {
        try range.map(fix).joined().write(toFile: path, atomically: true, encoding: .utf8)
    }
}

@Suite("import raises geofence and route events", .serialized)
struct ImportEventsTests {
    static func database() throws -> (SQLiteTrackStore, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("orbita-events-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteTrackStore(path: folder.appendingPathComponent("fleet.sqlite").path)
        try store.save(
            Geofence(
                name: "Square",
                shape: .circle(center: Coordinate(latitude: 55.75, longitude: 37.615), radiusMeters: 200)
            ))
        try store.save(
            Route(
                name: "East",
                line: [Coordinate(latitude: 55.75, longitude: 37.59), Coordinate(latitude: 55.75, longitude: 37.68)]))
        try store.assign(RouteAssignment(vehicleID: "bus-9", route: "East"))
        let first = folder.appendingPathComponent("first.nmea").path
        let second = folder.appendingPathComponent("second.nmea").path
        try DrivingLog.write(0..<60, to: first)
        try DrivingLog.write(60..<110, to: second)
        return (store, folder.path)
    }

    static func importFiles(_ files: [String], into store: SQLiteTrackStore) throws -> TrackImporter {
        let importer = TrackImporter(store: store)
        for file in files { try importer.importFile(file, vehicle: "bus-9") }
        try importer.finish()
        return importer
    }

    static func summary(_ events: [VehicleEvent]) -> [String] {
        events.map { "\($0.kind.rawValue) \($0.subject) \($0.time.iso8601)" }
    }

    @Test func eventsAreStoredOnceAlsoWhenTheSameDataIsImportedAgain() throws {
        let (store, folder) = try Self.database()
        let files = [folder + "/first.nmea", folder + "/second.nmea"]
        let importer = try Self.importFiles(files, into: store)
        let events = try store.events(EventQuery())
        #expect(
            Self.summary(events).map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == [
                "geofenceEnter Square", "geofenceExit Square", "routeDeviation East", "routeReturn East",
            ])
        #expect(importer.eventsStored == 4)
        let deviation = try #require(events.first { $0.kind == .routeDeviation })
        #expect((deviation.distanceMeters ?? 0) > 300)
        // The same files again: every fix and every event is already there.
        let again = try Self.importFiles(files, into: store)
        #expect(again.eventsStored == 0)
        #expect(again.vehicles["bus-9"]?.stored == 0)
        #expect(try store.events(EventQuery()) == events)
    }

    @Test func importingWithAKindKeepsTheVehiclesNameAndRegistration() throws {
        let (store, folder) = try Self.database()
        try store.save(Vehicle(id: "bus-9", name: "Bus 9, Sokolniki depot", kind: .other, registration: "А123ВС77"))
        let importer = TrackImporter(store: store)
        try importer.importFile(folder + "/first.nmea", vehicle: "bus-9", kind: .bus)
        try importer.finish()
        #expect(
            try store.vehicle(id: "bus-9")
                == Vehicle(id: "bus-9", name: "Bus 9, Sokolniki depot", kind: .bus, registration: "А123ВС77"))
    }

    @Test func lateDataRaisesTheEventsItWouldHaveRaisedLive() throws {
        // In order…
        let (live, liveFolder) = try Self.database()
        _ = try Self.importFiles([liveFolder + "/first.nmea", liveFolder + "/second.nmea"], into: live)
        // …and the second half first, then the first half (older: a blackbox upload).
        let (late, lateFolder) = try Self.database()
        _ = try Self.importFiles([lateFolder + "/second.nmea"], into: late)
        #expect(try late.events(EventQuery(kinds: [.geofenceEnter])).isEmpty)
        let importer = try Self.importFiles([lateFolder + "/first.nmea"], into: late)
        #expect(importer.vehicles["bus-9"]?.late == 60)
        #expect(Self.summary(try late.events(EventQuery())) == Self.summary(try live.events(EventQuery())))
    }
}
