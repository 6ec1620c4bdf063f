import Foundation
public import Geodesy
public import OrbitaModel
public import Tracking

/// Derives one vehicle's report rows from its stored track, read in time order: the track as in-order arrival would
/// have stored it (`StoredTrackFilter`), cut into trips, stops and parkings (`TripDetector`). Each parking carries a
/// restart — the state right after the fix that made it certain — so that rows can be derived again from there when
/// older data arrives, with the same result as deriving the whole track.
public struct ReportDeriver {
    /// The vehicle.
    public let vehicleID: String
    /// The time of the last stored fix fed (kept by the filter or not).
    public private(set) var lastTime: UTCInstant?
    private var filter: StoredTrackFilter
    private var detector: TripDetector
    private let frame: LocalFrame

    /// A derivation from the start of the vehicle's track.
    public init(
        vehicleID: String, frame: LocalFrame, settings: TripSettings = TripSettings(),
        tracking: TrackingConfiguration = TrackingConfiguration()
    ) {
        self.vehicleID = vehicleID
        self.frame = frame
        filter = StoredTrackFilter(frame: frame, configuration: tracking)
        detector = TripDetector(vehicleID: vehicleID, settings: settings, frame: frame)
    }

    /// A derivation that goes on from a parking's restart: it then takes the fixes after `restart.after`, and its
    /// rows begin with that parking. Nil when the restart cannot be read (written by another version: derive from the
    /// start instead).
    public init?(
        vehicleID: String, frame: LocalFrame, settings: TripSettings = TripSettings(),
        tracking: TrackingConfiguration = TrackingConfiguration(), restart: ReportRestart
    ) {
        guard let data = restart.state.data(using: .utf8),
            let state = try? JSONDecoder().decode(RestartState.self, from: data),
            let parkedAt = state.parkedAt.sample(in: frame), let confirmedAt = state.confirmedAt.sample(in: frame),
            confirmedAt.time == restart.after
        else { return nil }
        self.vehicleID = vehicleID
        self.frame = frame
        filter = StoredTrackFilter(frame: frame, configuration: tracking, state: state.filter)
        detector = TripDetector(
            vehicleID: vehicleID, settings: settings, frame: frame, parkedAt: parkedAt, confirmedAt: confirmedAt,
            restart: restart)
        lastTime = restart.after
    }

    /// Takes the next stored fix (later than the previous one). Fixes dated ahead of the server's clock are left out,
    /// as they are of the live state.
    public mutating func add(_ point: TrackPoint) {
        guard !point.flags.contains(.ahead) else { return }
        lastTime = point.time
        guard let planar = try? frame.project(point.coordinate) else { return }
        let input = StoredTrackFilter.Input(point)
        guard let kept = filter.filter(input, planar: planar) else { return }
        take(input, at: kept.coordinate, planar: kept.planar, step: kept.segmentMeters)
    }

    /// `add(_:)` for a fix whose planar position in the frame is known (the pipeline's, for a fix it accepted in
    /// order: the same as projecting it).
    public mutating func add(_ point: StoredTrackFilter.Input, planar: PlanarPoint) {
        guard !point.flags.contains(.ahead) else { return }
        lastTime = point.time
        guard let kept = filter.filter(point, planar: planar) else { return }
        take(point, at: kept.coordinate, planar: kept.planar, step: kept.segmentMeters)
    }

    /// Whether rows ended since `drainEnded` was last called.
    public var hasEnded: Bool { detector.hasEnded }

    /// Feeds the detector a fix the filter kept; `step` is the filter's segment from the fix it kept before (the
    /// detector's previous one too: it gets every fix the filter keeps), measured once for both.
    private mutating func take(
        _ point: StoredTrackFilter.Input, at coordinate: Coordinate, planar: PlanarPoint, step: Double
    ) {
        let sample = TrackSample(
            time: point.time, coordinate: coordinate, planar: planar, speedMetersPerSecond: point.speedMetersPerSecond)
        if detector.add(sample, step: step), let parkedAt = parkingStart() {
            let state = RestartState(
                parkedAt: Moment(parkedAt), confirmedAt: Moment(point.time, coordinate), filter: filter.state)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys  // the same state, the same text: rows compare equal
            if let data = try? encoder.encode(state), let text = String(data: data, encoding: .utf8) {
                detector.attachRestart(ReportRestart(after: point.time, state: text))
            }
        }
    }

    /// Every row so far, the ones still going on included (open).
    public func rows() -> (trips: [Trip], halts: [Halt]) { detector.rows() }

    /// The rows still going on (nil before the first fix kept).
    public func openRows() -> (trips: [Trip], halts: [Halt])? { detector.openRows() }

    /// The rows ended since the last call, handed over and forgotten.
    public mutating func drainEnded() -> (trips: [Trip], halts: [Halt]) { detector.drainEnded() }

    /// Where the parking under way began.
    private func parkingStart() -> TrackMoment? {
        guard let open = detector.openRows(), let parking = open.halts.last, parking.kind == .parking else {
            return nil
        }
        return TrackMoment(time: parking.start, coordinate: parking.coordinate)
    }

    /// What a restart holds.
    private struct RestartState: Codable {
        var parkedAt: Moment
        var confirmedAt: Moment
        var filter: StoredTrackFilter.State
    }

    /// A time (µs) and place; speed is not needed (a parking's fixes are halted).
    private struct Moment: Codable {
        var time: Int64
        var latitude: Double
        var longitude: Double

        init(_ time: UTCInstant, _ coordinate: Coordinate) {
            self.time = time.microsecondsSinceEpoch
            latitude = coordinate.latitude
            longitude = coordinate.longitude
        }

        init(_ moment: TrackMoment) { self.init(moment.time, moment.coordinate) }

        func sample(in frame: LocalFrame) -> TrackSample? {
            let coordinate = Coordinate(latitude: latitude, longitude: longitude)
            guard let planar = try? frame.project(coordinate) else { return nil }
            return TrackSample(
                time: UTCInstant(microsecondsSinceEpoch: time), coordinate: coordinate, planar: planar,
                speedMetersPerSecond: 0)
        }
    }
}
