import Glibc
public import OrbitaModel

/// A local metric frame for a fleet's area: WGS 84 longitude/latitude to planar metres and back.
///
/// Geometry (geofences, corridors, distances to routes) works in this frame, never in raw degrees. The frame is
/// either the UTM zone of the fleet's data or any CRS PROJ knows (`EPSG:32637`, a GSK-2011 Gauss-Krüger zone such as
/// `EPSG:20907`, a PROJ string). Not thread-safe: give each owner its own (see `CoordinateTransformer`).
public final class LocalFrame {
    /// The target CRS as given.
    public let crs: String
    private let transformer: CoordinateTransformer
    /// For transverse Mercator frames (UTM, Gauss-Krüger): central scale factor and false easting, which give the
    /// point scale factor analytically so that planar distances can be turned into ellipsoidal ones cheaply.
    private let transverseMercator: (scale: Double, falseEasting: Double)?

    /// A frame in the given CRS.
    /// - Throws: `ProjError` when PROJ does not know the CRS.
    public init(crs: String) throws(ProjError) {
        self.crs = crs
        transformer = try CoordinateTransformer(source: "EPSG:4326", target: crs)
        transverseMercator = Self.transverseMercatorParameters(transformer.definition)
    }

    /// `+proj=utm` or `+proj=tmerc` parameters from a PROJ definition, or nil for other projections.
    static func transverseMercatorParameters(_ definition: String) -> (scale: Double, falseEasting: Double)? {
        // PROJ writes definitions with or without `+` (`proj_pj_info` gives `proj=pipeline step proj=utm …`).
        let tokens = definition.split(separator: " ").map { $0.hasPrefix("+") ? $0.dropFirst() : $0 }
        var values: [Substring: Double] = [:]
        var projection: Substring? = nil
        for token in tokens.reversed() {  // the last step is the projection
            if token.hasPrefix("proj=") && projection == nil && token != "proj=pipeline"
                && token != "proj=axisswap" && token != "proj=unitconvert"
            {
                projection = token.dropFirst(5)
            }
            if projection == nil, let equals = token.firstIndex(of: "=") {
                values[token[token.startIndex..<equals]] = Double(token[token.index(after: equals)...])
            }
        }
        switch projection {
        case "utm": return (0.9996, 500_000)
        case "tmerc", "etmerc": return (values["k"] ?? values["k_0"] ?? 1, values["x_0"] ?? 0)
        default: return nil
        }
    }

    /// True when distances use the transverse Mercator shortcut (UTM and Gauss-Krüger frames).
    public var hasAnalyticScale: Bool { transverseMercator != nil }

    /// The ellipsoidal distance between two positions, metres, given with their planar points.
    ///
    /// In a transverse Mercator frame the planar distance is divided by the point scale factor at the midpoint
    /// (agrees with the geodesic to about 1e-6 for vehicle-sized segments inside the zone, at a fraction of the cost
    /// of `Geodesic`); in any other frame it is the geodesic.
    public func distanceMeters(from a: Coordinate, _ pa: PlanarPoint, to b: Coordinate, _ pb: PlanarPoint) -> Double {
        guard let transverseMercator else { return Geodesic.wgs84.distance(from: a, to: b) }
        let planar = pa.distance(to: pb)
        let x = ((pa.x + pb.x) / 2 - transverseMercator.falseEasting) / transverseMercator.scale
        let latitude = (a.latitude + b.latitude) / 2 * .pi / 180
        // Gaussian mean radius of WGS 84 at the latitude: sqrt(M N).
        let e2 = 0.00669437999014
        let w = 1 - e2 * sin(latitude) * sin(latitude)
        let r2 = 6_378_137.0 * 6_378_137.0 * (1 - e2) / (w * w)
        let u = x * x / r2
        let scale = transverseMercator.scale * (1 + u / 2 + u * u / 24)
        return planar / scale
    }

    /// Planar metres per ground metre at a position (the point scale factor; 0.9996–1.001 inside a UTM zone).
    /// Analytic in transverse Mercator frames; elsewhere measured between two nearby projected points.
    public func scale(at coordinate: Coordinate) -> Double {
        if let transverseMercator, let planar = try? project(coordinate) {
            let x = (planar.x - transverseMercator.falseEasting) / transverseMercator.scale
            let latitude = coordinate.latitude * .pi / 180
            let e2 = 0.00669437999014
            let w = 1 - e2 * sin(latitude) * sin(latitude)
            let r2 = 6_378_137.0 * 6_378_137.0 * (1 - e2) / (w * w)
            let u = x * x / r2
            return transverseMercator.scale * (1 + u / 2 + u * u / 24)
        }
        let step = 1e-4
        let other = Coordinate(
            latitude: coordinate.latitude + (coordinate.latitude > 89 ? -step : step), longitude: coordinate.longitude)
        guard let a = try? project(coordinate), let b = try? project(other) else { return 1 }
        let ground = Geodesic.wgs84.distance(from: coordinate, to: other)
        let planar = a.distance(to: b)
        return ground > 0 && planar > 0 ? planar / ground : 1
    }

    /// The UTM zone (WGS 84, EPSG:326zz north / 327zz south) that contains a position, with the Norway and Svalbard
    /// exceptions.
    public static func utmCRS(for coordinate: Coordinate) -> String {
        let longitude = coordinate.longitude >= 180 ? coordinate.longitude - 360 : coordinate.longitude
        var zone = Int(((longitude + 180) / 6).rounded(.down)) + 1
        zone = min(max(zone, 1), 60)
        let latitude = coordinate.latitude
        if (56..<64).contains(latitude) && (3..<12).contains(longitude) { zone = 32 }
        if (72..<84).contains(latitude) {
            switch longitude {
            case 0..<9: zone = 31
            case 9..<21: zone = 33
            case 21..<33: zone = 35
            case 33..<42: zone = 37
            default: break
            }
        }
        let zoneText = zone < 10 ? "0\(zone)" : "\(zone)"
        return (latitude >= 0 ? "EPSG:326" : "EPSG:327") + zoneText
    }

    /// The UTM frame for data around a position (e.g. the first fix of a fleet, or the centre of its area).
    public static func utm(around coordinate: Coordinate) throws(ProjError) -> LocalFrame {
        try LocalFrame(crs: utmCRS(for: coordinate))
    }

    /// The UTM frame for a set of positions: the zone of their mean position (longitudes averaged on the circle).
    public static func utm(for coordinates: some Collection<Coordinate>) throws(ProjError) -> LocalFrame {
        guard !coordinates.isEmpty else {
            throw ProjError(code: 0, message: "no positions to choose a UTM zone from", operation: "automatic frame")
        }
        var sinSum = 0.0
        var cosSum = 0.0
        var latitudeSum = 0.0
        for coordinate in coordinates {
            let radians = coordinate.longitude * .pi / 180
            sinSum += sin(radians)
            cosSum += cos(radians)
            latitudeSum += coordinate.latitude
        }
        let longitude = atan2(sinSum, cosSum) * 180 / .pi
        return try utm(around: Coordinate(latitude: latitudeSum / Double(coordinates.count), longitude: longitude))
    }

    /// Projects a WGS 84 position to planar metres.
    public func project(_ coordinate: Coordinate) throws(ProjError) -> PlanarPoint {
        try transformer.forward(coordinate.longitude, coordinate.latitude)
    }

    /// Projects many positions in one PROJ call; positions PROJ cannot project come back as nil.
    public func project(_ coordinates: [Coordinate]) -> [PlanarPoint?] {
        var points = coordinates.map { PlanarPoint(x: $0.longitude, y: $0.latitude) }
        transformer.forward(&points)
        return points.map { $0.x.isFinite && $0.y.isFinite ? $0 : nil }
    }

    /// The WGS 84 position of a planar point.
    public func unproject(_ point: PlanarPoint) throws(ProjError) -> Coordinate {
        let result = try transformer.inverse(point.x, point.y)
        return Coordinate(latitude: result.y, longitude: result.x)
    }
}
