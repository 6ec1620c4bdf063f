public import OrbitaModel

/// Brings positions reported in another datum (NMEA DTM) to WGS 84, with explicitly chosen operations.
///
/// - PZ-90 (`P90`): read as PZ-90.11, the GLONASS datum since 2014-01-15, and converted with EPSG:7960 "PZ-90.11 to
///   ITRF2008 (1)" (coordinate frame rotation, tx −3 mm, ty −1 mm, rx 0.019 mas, ry −0.042 mas, rz 0.002 mas,
///   epoch 2010.0, accuracy 4 mm), written out as a PROJ pipeline because PROJ 9.1 lists EPSG:7960 as
///   "Unimplemented". ITRF2008 and WGS 84 (G1762) agree to about a centimetre, so the result is WGS 84 to ≈ 1 cm.
///   PROJ's own default path for PZ-90.11 → WGS 84 goes back through the 1990 PZ-90 datum ("PZ-90 to WGS 84 (2)",
///   0.7 m accuracy) and moves a Moscow point by about 0.75 m: Orbita never uses it (a test pins the choice).
/// - WGS 72 (`W72`): PROJ's operation EPSG:4322 → EPSG:4326 (EPSG:1237, WGS 72 to WGS 84 (1), 2 m).
/// - WGS 84: unchanged. Other datums are refused with an error rather than guessed.
public final class DatumConverter {
    /// The PROJ pipeline used for PZ-90.11 → WGS 84 (longitude/latitude in degrees, 2D).
    public static let pz90Pipeline = [
        "+proj=pipeline",
        "+step +proj=unitconvert +xy_in=deg +xy_out=rad",
        "+step +proj=cart +a=6378136 +rf=298.257839303",
        "+step +proj=helmert +x=-0.003 +y=-0.001 +z=0 +rx=0.000019 +ry=-0.000042 +rz=0.000002 +s=0"
            + " +convention=coordinate_frame",
        "+step +inv +proj=cart +ellps=WGS84",
        "+step +proj=unitconvert +xy_in=rad +xy_out=deg",
    ].joined(separator: " ")

    private let pz90: CoordinateTransformer
    private let wgs72: CoordinateTransformer

    /// Creates the converter (two PROJ operations, built once).
    public init() throws(ProjError) {
        pz90 = try CoordinateTransformer(pipeline: Self.pz90Pipeline)
        wgs72 = try CoordinateTransformer(source: "EPSG:4322", target: "EPSG:4326")
    }

    /// The WGS 84 position of a position in `datum`.
    /// - Throws: `ProjError` for a datum Orbita has no chosen operation for, or a point PROJ rejects.
    public func toWGS84(_ coordinate: Coordinate, from datum: Datum) throws(ProjError) -> Coordinate {
        let result: PlanarPoint
        switch datum {
        case .wgs84: return coordinate
        case .pz90: result = try pz90.forward(coordinate.longitude, coordinate.latitude)
        case .wgs72: result = try wgs72.forward(coordinate.longitude, coordinate.latitude)
        case .sgs85, .userDefined, .other:
            throw ProjError(
                code: 0, message: "no operation chosen for datum \(datum.name)", operation: "convert to WGS 84")
        }
        return Coordinate(latitude: result.y, longitude: result.x)
    }
}
