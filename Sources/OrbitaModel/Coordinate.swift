/// A geographic position in decimal degrees (WGS 84 unless said otherwise).
public struct Coordinate: Sendable, Hashable {
    /// Latitude, degrees, north positive.
    public var latitude: Double
    /// Longitude, degrees, east positive.
    public var longitude: Double

    /// Creates a coordinate.
    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// A point on a projected plane, in metres (x east, y north).
public struct PlanarPoint: Sendable, Hashable {
    /// Easting, metres.
    public var x: Double
    /// Northing, metres.
    public var y: Double

    /// Creates a point.
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    /// Straight-line distance on the plane, metres.
    @inlinable
    public func distance(to other: PlanarPoint) -> Double {
        let dx = other.x - x
        let dy = other.y - y
        return (dx * dx + dy * dy).squareRoot()
    }
}
