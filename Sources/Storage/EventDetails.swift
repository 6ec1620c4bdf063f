import Foundation
import OrbitaModel

/// What an event row keeps in its `details` column, as JSON: the subject and the kind's measurements (key names as
/// stored since schema v1; members without a value are left out).
struct EventDetails: Codable, Equatable {
    var geofence: String?
    var route: String?
    var checkpoint: String?
    var distanceM: Double?
    var progressM: Double?
    var skippedM: Double?
    var durationS: Double?
    var speedKmh: Double?
    var limitKmh: Double?

    /// No details.
    init() {}

    /// An event's details.
    init(_ event: VehicleEvent) {
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
    init(text: String) {
        self = (try? JSONDecoder().decode(Self.self, from: Data(text.utf8))) ?? Self()
    }

    /// The JSON stored, keys sorted.
    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
