import Geodesy
public import OrbitaModel

/// A fix on its way through the pipeline: the track point it will become and its planar position.
public struct PipelineFix: Sendable {
    /// The point as it stands (WGS 84 after the datum stage).
    public var point: TrackPoint
    /// Its position in the fleet's frame, once projected.
    public var planar: PlanarPoint?
}

/// What a stage decided.
enum StageOutcome: Equatable {
    case pass
    case drop(DropReason)
}

/// Validity: a position (mode ≥ 2, coordinates in range, not 0°/0°) at a dated time.
struct ValidityStage {
    /// Plausible altitudes, metres above sea level: a value outside (a receiver's placeholder, a corrupt field) is
    /// not stored; the position is.
    static let altitudes: ClosedRange<Double> = -1_000...20_000
    /// Plausible speeds, m/s (2,160 km/h: nothing a fleet drives or flies is faster); beyond: not stored.
    static let speeds: ClosedRange<Double> = 0...600
    func process(_ fix: Fix, vehicleID: String, source: String) -> Result<PipelineFix, DropReason> {
        guard fix.mode >= .twoDimensional, let latitude = fix.latitude, let longitude = fix.longitude else {
            return .failure(.noFix)
        }
        guard latitude.isFinite, longitude.isFinite, abs(latitude) <= 90, abs(longitude) <= 180 else {
            return .failure(.outOfRange)
        }
        if latitude == 0 && longitude == 0 { return .failure(.nullIsland) }
        guard let time = fix.time?.instant else { return .failure(.noDate) }
        var course = fix.courseDegrees
        if let value = course, !(0...360).contains(value) { course = nil }
        let point = TrackPoint(
            vehicleID: vehicleID, time: time, coordinate: Coordinate(latitude: latitude, longitude: longitude),
            altitudeMSL: fix.altitudeMSL.flatMap { Self.altitudes.contains($0) ? $0 : nil },
            speedMetersPerSecond: fix.speedMetersPerSecond.flatMap { Self.speeds.contains($0) ? $0 : nil },
            courseDegrees: course, mode: fix.mode, quality: fix.quality,
            hdop: fix.hdop.flatMap { (0...99.99).contains($0) ? $0 : nil },
            satellitesUsed: fix.satellitesUsed.flatMap { $0 >= 0 ? $0 : nil }, satellitesInView: fix.satellitesInView,
            datum: fix.datum, source: source)
        return .success(PipelineFix(point: point))
    }
}

/// Time: not further in the future than the tolerance, not older than the maximum age (relative to the clock).
struct TimeStage {
    let futureToleranceMicroseconds: Int64
    let maximumAgeMicroseconds: Int64?

    func process(_ fix: inout PipelineFix, now: UTCInstant) -> StageOutcome {
        let time = fix.point.time.microsecondsSinceEpoch
        if time > now.microsecondsSinceEpoch + futureToleranceMicroseconds { return .drop(.future) }
        if let maximumAgeMicroseconds, time < now.microsecondsSinceEpoch - maximumAgeMicroseconds {
            return .drop(.tooOld)
        }
        return .pass
    }
}

/// Accuracy: HDOP and satellites used, when the receiver reports them.
struct AccuracyStage {
    let maximumHDOP: Double
    let minimumSatellites: Int

    func process(_ fix: inout PipelineFix) -> StageOutcome {
        if let hdop = fix.point.hdop, hdop > maximumHDOP { return .drop(.poorHDOP) }
        if let used = fix.point.satellitesUsed, used > 0, used < minimumSatellites { return .drop(.fewSatellites) }
        return .pass
    }
}

/// Datum: positions in another datum (DTM) are converted to WGS 84 with the operations `DatumConverter` pins.
struct DatumStage {
    let converter: DatumConverter

    func process(_ fix: inout PipelineFix) -> StageOutcome {
        guard fix.point.datum != .wgs84 else { return .pass }
        guard let converted = try? converter.toWGS84(fix.point.coordinate, from: fix.point.datum) else {
            return .drop(.unsupportedDatum)
        }
        fix.point.coordinate = converted
        fix.point.flags.insert(.datumConverted)
        return .pass
    }
}

/// Order: a second fix at the same time is a duplicate; a fix older than the last accepted one is late (stored,
/// flagged, and kept out of the live state).
struct OrderStage {
    func process(_ fix: inout PipelineFix, state: VehicleState) -> StageOutcome {
        guard let last = state.last else { return .pass }
        if fix.point.time == last.time { return .drop(.duplicate) }
        if fix.point.time < last.time { fix.point.flags.insert(.late) }
        return .pass
    }
}

/// Projection into the fleet's metric frame.
struct ProjectionStage {
    let frame: LocalFrame

    func process(_ fix: inout PipelineFix) -> StageOutcome {
        guard let planar = try? frame.project(fix.point.coordinate) else { return .drop(.unprojectable) }
        fix.planar = planar
        return .pass
    }
}

/// Outlier: the speed implied by the move from the last accepted fix must be possible; after `resetCount` outliers
/// in a row the track restarts at the next fix.
struct OutlierStage {
    let maximumSpeed: Double
    let minimumDistance: Double
    let resetCount: Int

    init(_ configuration: TrackingConfiguration) {
        maximumSpeed = configuration.maximumSpeedMetersPerSecond
        minimumDistance = configuration.outlierMinimumDistanceMeters
        resetCount = configuration.outlierResetCount
    }

    func process(_ fix: inout PipelineFix, state: inout VehicleState) -> StageOutcome {
        guard let last = state.last, let from = state.lastPlanar, let to = fix.planar else { return .pass }
        let passes = passes(
            distance: from.distance(to: to), seconds: fix.point.time.seconds(since: last.time),
            outliersInARow: &state.consecutiveOutliers)
        return passes ? .pass : .drop(.outlier)
    }

    /// The rule: whether a move of `distance` planar metres in `seconds` from the last accepted fix is possible,
    /// counting outliers in a row (also used by `StoredTrackFilter`).
    func passes(distance: Double, seconds: Double, outliersInARow: inout Int) -> Bool {
        guard distance > minimumDistance else {
            outliersInARow = 0
            return true
        }
        if distance / max(seconds, 0.001) > maximumSpeed, outliersInARow < resetCount {
            outliersInARow += 1
            return false
        }
        outliersInARow = 0
        return true
    }
}

/// Parking hold: while a vehicle is stopped, positions that drift within a radius of where it parked are held
/// there, so a parked bus does not crawl across the map (or the odometer).
struct ParkingHoldStage {
    let radius: Double
    let stoppedSpeed: Double

    init(_ configuration: TrackingConfiguration) {
        radius = configuration.parkingHoldRadiusMeters
        stoppedSpeed = configuration.stoppedSpeedMetersPerSecond
    }

    func process(_ fix: inout PipelineFix, state: VehicleState) -> StageOutcome {
        guard let parked = state.parkedAt, let planar = fix.planar,
            holds(planar, motion: state.motion, parkedAt: parked.planar, speed: speed(of: fix, after: state))
        else { return .pass }
        fix.point.coordinate = parked.coordinate
        fix.planar = parked.planar
        fix.point.flags.insert(.held)
        return .pass
    }

    /// The rule: whether a fix at `planar`, at `speed`, is held where the vehicle parked (also used by
    /// `StoredTrackFilter`).
    func holds(
        _ planar: PlanarPoint, motion: MotionState, parkedAt parked: PlanarPoint, speed: @autoclosure () -> Double
    )
        -> Bool
    {
        guard radius > 0, motion == .stopped, speed() < stoppedSpeed else { return false }
        let dx = planar.x - parked.x
        let dy = planar.y - parked.y
        return dx * dx + dy * dy <= radius * radius
    }
}

/// The fix's speed as reported, or implied by the move from the last accepted fix when the source has none (GPX).
func speed(of fix: PipelineFix, after state: VehicleState) -> Double {
    speed(
        reported: fix.point.speedMetersPerSecond, at: fix.point.time, fix.planar, after: state.last?.time,
        state.lastPlanar)
}

/// `speed(of:after:)` from the values it needs (also used by `StoredTrackFilter`).
func speed(
    reported: Double?, at time: UTCInstant, _ planar: PlanarPoint?, after lastTime: UTCInstant?,
    _ lastPlanar: PlanarPoint?
) -> Double {
    if let reported { return reported }
    guard let lastTime, let from = lastPlanar, let to = planar else { return 0 }
    let seconds = time.seconds(since: lastTime)
    guard seconds > 0 else { return 0 }
    return from.distance(to: to) / seconds
}

/// Motion: odometer (ellipsoidal distance between accepted fixes) and moving/stopped with hysteresis.
struct MotionStage {
    let frame: LocalFrame
    let stoppedSpeed: Double
    let stopAfterMicroseconds: Int64

    init(frame: LocalFrame, _ configuration: TrackingConfiguration) {
        self.frame = frame
        stoppedSpeed = configuration.stoppedSpeedMetersPerSecond
        stopAfterMicroseconds = Int64(configuration.stopAfterSeconds * 1e6)
    }

    func process(_ fix: inout PipelineFix, state: inout VehicleState) {
        guard let planar = fix.planar else { return }
        if let last = state.last, let lastPlanar = state.lastPlanar {
            let segment = segment(
                from: last.coordinate, lastPlanar, held: last.flags.contains(.held), to: fix.point.coordinate, planar,
                held: fix.point.flags.contains(.held))
            fix.point.segmentMeters = segment
            state.odometerMeters += segment
        } else {
            fix.point.segmentMeters = 0
        }
        advance(
            speed: speed(of: fix, after: state), at: fix.point.time, fix.point.coordinate, planar,
            motion: &state.motion, slowSince: &state.slowSince, parkedAt: &state.parkedAt)
        state.last = fix.point
        state.lastPlanar = planar
        state.accepted += 1
    }

    /// The odometer's rule: the ellipsoidal distance between two accepted fixes, none between two held at one place
    /// (also used by `StoredTrackFilter`, where two held fixes may stand at two places: held by different states).
    func segment(
        from lastCoordinate: Coordinate, _ lastPlanar: PlanarPoint, held lastHeld: Bool, to coordinate: Coordinate,
        _ planar: PlanarPoint, held: Bool
    ) -> Double {
        held && lastHeld && lastCoordinate == coordinate
            ? 0 : frame.distanceMeters(from: lastCoordinate, lastPlanar, to: coordinate, planar)
    }

    /// The moving/stopped rule with hysteresis for an accepted fix at `speed` (also used by `StoredTrackFilter`).
    func advance(
        speed: Double, at time: UTCInstant, _ coordinate: Coordinate, _ planar: PlanarPoint,
        motion: inout MotionState, slowSince: inout UTCInstant?,
        parkedAt: inout (coordinate: Coordinate, planar: PlanarPoint)?
    ) {
        if speed >= stoppedSpeed {
            motion = .moving
            slowSince = nil
            parkedAt = nil
        } else if motion == .moving {
            let since = slowSince ?? time
            slowSince = since
            if time.microsecondsSinceEpoch - since.microsecondsSinceEpoch >= stopAfterMicroseconds {
                motion = .stopped
                parkedAt = (coordinate, planar)
            }
        } else if parkedAt == nil {
            parkedAt = (coordinate, planar)
        }
    }
}
