import Geodesy
import OrbitaModel
import Reports
import Testing

/// A derivation over a whole track, in the UTM zone of its positions (as the pipeline picks one).
enum Derivation {
    static func deriver(for points: [TrackPoint], vehicleID: String = "B1") throws -> ReportDeriver {
        ReportDeriver(vehicleID: vehicleID, frame: try LocalFrame.utm(for: points.map(\.coordinate)))
    }

    static func rows(of points: [TrackPoint], vehicleID: String = "B1") throws -> (trips: [Trip], halts: [Halt]) {
        var deriver = try deriver(for: points, vehicleID: vehicleID)
        for point in points { deriver.add(point) }
        return deriver.rows()
    }
}
