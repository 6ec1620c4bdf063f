import Foundation
public import OrbitaModel

/// What an event row keeps in its `details` column, as JSON, in every storage backend: the subject and the kind's
/// measurements (key names as stored since SQLite schema v1; members without a value are left out).
public struct StoredEventDetails: Codable, Equatable, Sendable {
    /// The geofence.
    public var geofence: String?
    /// The route.
    public var route: String?
    /// The checkpoint.
    public var checkpoint: String?
    /// Distance, metres.
    public var distanceM: Double?
    /// Progress along the route, metres.
    public var progressM: Double?
    /// Route metres skipped.
    public var skippedM: Double?
    /// Duration, seconds.
    public var durationS: Double?
    /// Speed, km/h.
    public var speedKmh: Double?
    /// The limit, km/h.
    public var limitKmh: Double?

    /// No details.
    public init() {}

    /// An event's details.
    public init(_ event: VehicleEvent) {
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

    /// The details stored as `text`; none when it is not such a JSON object (a row written by hand).
    public init(text: String) {
        self = (try? JSONDecoder().decode(Self.self, from: Data(text.utf8))) ?? Self()
    }

    /// The JSON stored, keys sorted.
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The details put back on an event of the row's kind, vehicle, time and place.
    public func apply(to event: inout VehicleEvent) {
        event.geofence = geofence
        event.route = route
        event.checkpoint = checkpoint
        event.distanceMeters = distanceM
        event.progressMeters = progressM
        event.skippedMeters = skippedM
        event.durationSeconds = durationS
        event.speedKmh = speedKmh
        event.limitKmh = limitKmh
    }
}
