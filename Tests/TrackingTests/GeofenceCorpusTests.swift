import Foundation
import GeoJSON
import Geodesy
import Geofencing
import OrbitaModel
import OrbitaTesting
import Testing
import Tracking

/// Moscow's administrative boundary from OpenStreetMap (10 polygons, 10,353 vertices): engine events for sparse tracks
/// across it equal a brute-force oracle (even-odd over every edge, segment against every edge).
@Suite("geofence events on the Moscow boundary", .enabled(if: Corpus.isPresent, "../shared/corpus absent"))
struct GeofenceCorpusTests {
    @Test func eventsEqualABruteForceOracle() throws {
        let url = Corpus.url("basemap/osm-moscow-boundary/moscow_boundary.geojson")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            print("skipped: ../shared/corpus/basemap/osm-moscow-boundary absent")
            return
        }
        guard case .polygons(let polygons) = try GeoJSON.shape(in: data) else {
            Issue.record("the boundary is not polygons")
            return
        }
        // The whole city as one fence, and each of its parts (New Moscow, Zelenograd, exclaves) as a fence of its own.
        var fences = [Geofence(name: "Moscow", shape: .polygons(polygons))]
        for (index, polygon) in polygons.enumerated() {
            fences.append(Geofence(name: "part-\(index)", shape: .polygons([polygon])))
        }
        let frame = try LocalFrame(crs: "EPSG:32637")
        var configuration = EventConfiguration()
        configuration.fenceMarginMeters = 0  // no hysteresis: every change of side is an event, as in the oracle
        configuration.fencePersistFixes = 1
        let engine = EventEngine(
            zones: try ZoneSet(frame: frame, fences: fences), frame: frame, configuration: configuration)

        // The oracle's geometry: every ring of every fence on the same plane.
        let planarPolygons = try polygons.map { polygon in
            try polygon.map { ring in try ring.map { try frame.project($0) } }
        }
        let fenceRings: [[[PlanarPoint]]] = [planarPolygons.flatMap(\.self)] + planarPolygons
        func inside(_ p: PlanarPoint, _ rings: [[PlanarPoint]]) -> Bool {
            var odd = false
            for ring in rings {
                var j = ring.count - 1
                for i in ring.indices {
                    let a = ring[i]
                    let b = ring[j]
                    if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x { odd.toggle() }
                    j = i
                }
            }
            return odd
        }
        func firstCrossing(_ p: PlanarPoint, _ q: PlanarPoint, _ rings: [[PlanarPoint]]) -> Double? {
            var first: Double?
            for ring in rings {
                for i in ring.indices {
                    let a = ring[i]
                    let b = ring[(i + 1) % ring.count]
                    let d = (q.x - p.x) * (b.y - a.y) - (q.y - p.y) * (b.x - a.x)
                    guard d != 0 else { continue }
                    let t = ((a.x - p.x) * (b.y - a.y) - (a.y - p.y) * (b.x - a.x)) / d
                    let u = ((a.x - p.x) * (q.y - p.y) - (a.y - p.y) * (q.x - p.x)) / d
                    if t >= 0, t <= 1, u >= 0, u <= 1 { first = min(first ?? t, t) }
                }
            }
            return first
        }

        // 120 straight tracks across the region, a fix every 60 s at 15 m/s (900 m apart: sparse enough to jump over
        // the small exclaves), random headings.
        var rng = SeededGenerator(seed: 77)
        var expected: [String] = []
        var actual: [String] = []
        for track in 0..<120 {
            let vehicle = "truck-\(track)"
            var position = PlanarPoint(
                x: Double.random(in: 350_000...430_000, using: &rng),
                y: Double.random(in: 6_120_000...6_220_000, using: &rng))
            let heading = Double.random(in: 0..<(2 * .pi), using: &rng)
            var previous: (PlanarPoint, [Bool], UTCInstant)?
            for step in 0..<80 {
                let time = UTCInstant(microsecondsSinceEpoch: 1_780_000_000_000_000 + Int64(step) * 60_000_000)
                let point = TrackPoint(
                    vehicleID: vehicle, time: time, coordinate: try frame.unproject(position), speedMetersPerSecond: 15,
                    mode: .threeDimensional)
                // The oracle works on the projected coordinate of the point as stored (after the round trip).
                let planar = try frame.project(point.coordinate)
                let membership = fenceRings.map { inside(planar, $0) }
                if let (last, lastMembership, lastTime) = previous {
                    for (index, fence) in fences.enumerated() {
                        if membership[index] && !lastMembership[index] {
                            expected.append("geofenceEnter \(fence.name) \(time.microsecondsSinceEpoch)")
                        } else if !membership[index] && lastMembership[index] {
                            expected.append("geofenceExit \(fence.name) \(time.microsecondsSinceEpoch)")
                        } else if !membership[index], let t = firstCrossing(last, planar, fenceRings[index]) {
                            let at = lastTime.microsecondsSinceEpoch + Int64((60_000_000 * t).rounded())
                            expected.append("geofenceCross \(fence.name) \(at)")
                        }
                    }
                }
                previous = (planar, membership, time)
                var events: [VehicleEvent] = []
                engine.evaluate(point, appendingTo: &events)
                actual += events.map { "\($0.kind.rawValue) \($0.geofence ?? "") \($0.time.microsecondsSinceEpoch)" }
                position.x += 900 * cos(heading)
                position.y += 900 * sin(heading)
            }
        }
        #expect(expected.sorted() == actual.sorted())
        #expect(expected.filter { $0.hasPrefix("geofenceCross") }.count >= 1)
        #expect(expected.filter { $0.hasPrefix("geofenceEnter") }.count >= 50)
        print("moscow: \(expected.count) events (\(expected.filter { $0.hasPrefix("geofenceCross") }.count) crossings)")
    }
}
