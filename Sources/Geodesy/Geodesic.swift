import CProj
public import OrbitaModel

/// Distances and azimuths on the WGS 84 ellipsoid through PROJ's geodesic routines (C. F. F. Karney's algorithms,
/// accurate to nanometres), not a spherical approximation.
public struct Geodesic: @unchecked Sendable {
    // `geod_geodesic` is a plain C struct that `geod_inverse` and `geod_direct` only read.
    private var geodesic = geod_geodesic()

    /// The WGS 84 ellipsoid.
    public static let wgs84 = Geodesic(equatorialRadius: 6_378_137, flattening: 1 / 298.257223563)

    /// An ellipsoid by its equatorial radius (metres) and flattening.
    public init(equatorialRadius: Double, flattening: Double) {
        geod_init(&geodesic, equatorialRadius, flattening)
    }

    /// The shortest path between two positions.
    public struct Line: Sendable, Hashable {
        /// Length, metres.
        public var distanceMeters: Double
        /// Azimuth at the start, degrees clockwise from north (−180…180).
        public var initialAzimuthDegrees: Double
        /// Azimuth at the end, degrees.
        public var finalAzimuthDegrees: Double
    }

    /// The geodesic from one position to another (the inverse problem).
    public func inverse(from start: Coordinate, to end: Coordinate) -> Line {
        var distance = 0.0
        var azimuth1 = 0.0
        var azimuth2 = 0.0
        withUnsafePointer(to: geodesic) { pointer in
            geod_inverse(
                pointer, start.latitude, start.longitude, end.latitude, end.longitude, &distance, &azimuth1, &azimuth2)
        }
        return Line(distanceMeters: distance, initialAzimuthDegrees: azimuth1, finalAzimuthDegrees: azimuth2)
    }

    /// The distance between two positions, metres.
    public func distance(from start: Coordinate, to end: Coordinate) -> Double {
        inverse(from: start, to: end).distanceMeters
    }

    /// The position reached from `start` along `azimuthDegrees` after `distanceMeters` (the direct problem).
    public func destination(from start: Coordinate, azimuthDegrees: Double, distanceMeters: Double) -> Coordinate {
        var latitude = 0.0
        var longitude = 0.0
        var azimuth = 0.0
        withUnsafePointer(to: geodesic) { pointer in
            geod_direct(
                pointer, start.latitude, start.longitude, azimuthDegrees, distanceMeters, &latitude, &longitude,
                &azimuth)
        }
        return Coordinate(latitude: latitude, longitude: longitude)
    }
}
