import Foundation
import OrbitaModel
import OrbitaTesting
import Reports
import Storage
import Testing
import TrackImport

/// The real drives of the corpus, imported through the pipeline and cut into trips, stops and parkings, checked
/// against their speed profiles.
@Suite("reports: the corpus's real drives")
struct RealDriveTripTests {
    static let files =
        Corpus.files(in: "nmea-real", withExtension: "txt").map { "nmea-real/" + $0 }
        + Corpus.files(in: "nmea-real", withExtension: "nmea").map { "nmea-real/" + $0 }
        + Corpus.files(in: "gpx", withExtension: "gpx").map { "gpx/" + $0 }

    @Test(
        .enabled(if: Corpus.isPresent, "../shared/corpus is absent: no real drives to cut"),
        arguments: files.filter { !$0.contains("LICENSE") })
    func everyParkingStandsStillAndEveryTripMoves(_ file: String) throws {
        let store = try SQLiteTrackStore()
        let importer = TrackImporter(store: store)
        let report = try importer.importFile(Corpus.url(file).path, vehicle: "V")
        try importer.finish()
        #expect(report.error == nil)
        var summary: [String] = []
        for vehicle in try store.vehicles() {
            let track = try store.track(vehicleID: vehicle.id, from: nil, to: nil)
            let (trips, halts) = try Derivation.rows(of: track, vehicleID: vehicle.id)
            let stops = halts.filter { $0.kind == .stop }
            let parkings = halts.filter { $0.kind == .parking }
            let driven = trips.map(\.distanceMeters).reduce(0, +)
            let odometer = track.compactMap(\.segmentMeters).reduce(0, +)
            summary.append(
                "\(vehicle.id): \(track.count) fixes, \(trips.count) trips \(Int(driven)) m (odometer \(Int(odometer)) m), "
                    + "\(stops.count) stops, \(parkings.count) parkings "
                    + parkings.map { "[\(Int($0.durationSeconds)) s]" }.joined())
            // A parking: the vehicle stood — its fixes' speeds ≈ 0 (median below 0.5 m/s, nine in ten below 2 m/s:
            // a car edging out of a space is part of its parking); a trip: it moved.
            for parking in parkings {
                let speeds = track.filter { $0.time >= parking.start && $0.time <= parking.end }
                    .map { $0.speedMetersPerSecond ?? 0 }.sorted()
                #expect(!speeds.isEmpty)
                guard !speeds.isEmpty else { continue }
                let median = speeds[speeds.count / 2]
                let ninetieth = speeds[speeds.count * 9 / 10]
                #expect(
                    median < 0.5 && ninetieth < 2,
                    "\(file): a parking \(parking.start)–\(parking.end) at median \(median) m/s, 90th \(ninetieth) m/s")
            }
            for trip in trips {
                #expect(trip.distanceMeters >= 100, "\(file): a trip of \(trip.distanceMeters) m")
            }
            #expect(driven <= odometer + 1)
        }
        print("trips in \(file): " + summary.joined(separator: "; "))
    }
}
