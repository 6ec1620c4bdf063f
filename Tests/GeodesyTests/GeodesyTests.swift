import Geodesy
import OrbitaModel
import Testing

/// Values recorded on 2026-11-26 with PROJ 9.1.1's `cs2cs -d 4` (projections) and pyproj 3 `Geod(ellps='WGS84')`
/// (geodesics); each test names the command.
@Suite("PROJ: projections")
struct ProjectionTests {
    /// `echo "LAT LON" | cs2cs -d 4 EPSG:4326 EPSG:CODE`
    @Test(arguments: [
        (55.7558, 37.6173, "EPSG:32637", 413_224.1377, 6_179_766.9539),  // Moscow
        (59.9386, 30.3141, "EPSG:32636", 349_936.5840, 6_647_618.2865),  // St Petersburg
        (43.1155, 131.8855, "EPSG:32652", 734_758.0139, 4_777_683.0392),  // Vladivostok
        (55.0084, 82.9357, "EPSG:32644", 623_789.9688, 6_097_439.5254),  // Novosibirsk
        (64.5401, 40.5433, "EPSG:32637", 574_020.0750, 7_158_101.3913),  // Arkhangelsk
        (56.1366, 101.6147, "EPSG:32647", 662_476.1112, 6_224_362.2674),  // Bratsk
        (52.52, 13.405, "EPSG:32633", 391_779.2593, 5_820_072.1592),  // Berlin
        (-33.8688, 151.2093, "EPSG:32756", 334_368.6336, 6_250_948.3454),  // Sydney
        (55.7558, 37.6173, "EPSG:20907", 7_413_189.4207, 6_182_239.3489),  // GSK-2011 Gauss-Krüger zone 7
        (59.9386, 30.3141, "EPSG:20906", 6_349_876.5473, 6_650_277.8574),  // GSK-2011 Gauss-Krüger zone 6
    ])
    func projectsAsCs2csDoes(latitude: Double, longitude: Double, crs: String, east: Double, north: Double) throws {
        let frame = try LocalFrame(crs: crs)
        let point = try frame.project(Coordinate(latitude: latitude, longitude: longitude))
        #expect(abs(point.x - east) < 0.001, "easting \(point.x)")
        #expect(abs(point.y - north) < 0.001, "northing \(point.y)")
        let back = try frame.unproject(point)
        #expect(abs(back.latitude - latitude) < 1e-9)
        #expect(abs(back.longitude - longitude) < 1e-9)
    }

    @Test func picksTheUTMZoneOfTheData() {
        #expect(LocalFrame.utmCRS(for: Coordinate(latitude: 55.75, longitude: 37.61)) == "EPSG:32637")
        #expect(LocalFrame.utmCRS(for: Coordinate(latitude: -33.87, longitude: 151.21)) == "EPSG:32756")
        #expect(LocalFrame.utmCRS(for: Coordinate(latitude: 60.39, longitude: 5.32)) == "EPSG:32632")  // Bergen
        #expect(LocalFrame.utmCRS(for: Coordinate(latitude: 78.22, longitude: 15.65)) == "EPSG:32633")  // Svalbard
        #expect(LocalFrame.utmCRS(for: Coordinate(latitude: 0, longitude: -180)) == "EPSG:32601")
        #expect(LocalFrame.utmCRS(for: Coordinate(latitude: 0, longitude: 180)) == "EPSG:32601")
    }

    @Test func theZoneOfAFleetStraddlingTheAntimeridianIsNearIt() throws {
        let fleet = [Coordinate(latitude: 64.7, longitude: 179.9), Coordinate(latitude: 64.8, longitude: -179.9)]
        #expect(try LocalFrame.utm(for: fleet).crs == "EPSG:32601")
    }

    @Test func projectsManyPointsInOneCall() throws {
        let frame = try LocalFrame(crs: "EPSG:32637")
        let points = frame.project([
            Coordinate(latitude: 55.7558, longitude: 37.6173), Coordinate(latitude: 91, longitude: 0),
        ])
        #expect(abs(points[0]!.x - 413_224.1377) < 0.001)
        #expect(points[1] == nil)
    }

    @Test func unknownCRSIsAClearError() {
        #expect(throws: ProjError.self) { try LocalFrame(crs: "EPSG:999999") }
        do {
            _ = try LocalFrame(crs: "EPSG:999999")
        } catch {
            #expect(error.description.contains("EPSG:999999"))
            #expect(error.code != 0)
        }
    }

    @Test func anImpossiblePointIsAClearError() throws {
        let frame = try LocalFrame(crs: "EPSG:32637")
        #expect(throws: ProjError.self) { try frame.project(Coordinate(latitude: 95, longitude: 37)) }
    }
}

@Suite("PROJ: datums")
struct DatumTests {
    /// Our pipeline for PZ-90.11 → WGS 84, recorded with
    /// `echo "37.6173 55.7558 0 0" | cct -d 9 <DatumConverter.pz90Pipeline>` → 37.617300012 55.755800407.
    @Test func pz90UsesThePinnedEPSG7960Pipeline() throws {
        let converter = try DatumConverter()
        let moscow = try converter.toWGS84(Coordinate(latitude: 55.7558, longitude: 37.6173), from: .pz90)
        #expect(abs(moscow.latitude - 55.755800407) < 1e-9)
        #expect(abs(moscow.longitude - 37.617300012) < 1e-9)
    }

    /// PROJ's default for PZ-90.11 → WGS 84 (`cs2cs EPSG:9475 EPSG:4326` → 55.755793337 37.617298123) goes through the
    /// 1990 PZ-90 datum and lands about 0.8 m away; Orbita must not be using it.
    @Test func pz90IsNotPROJsDefaultPath() throws {
        let converter = try DatumConverter()
        let ours = try converter.toWGS84(Coordinate(latitude: 55.7558, longitude: 37.6173), from: .pz90)
        let projDefault = Coordinate(latitude: 55.755793337, longitude: 37.617298123)
        let apart = Geodesic.wgs84.distance(from: ours, to: projDefault)
        #expect(apart > 0.7 && apart < 0.9, "\(apart) m")
    }

    /// `echo "55.7558 37.6173" | cs2cs -d 9 EPSG:4322 EPSG:4326` → 55.755824426 37.617453889.
    @Test func wgs72UsesPROJsOperation() throws {
        let converter = try DatumConverter()
        let result = try converter.toWGS84(Coordinate(latitude: 55.7558, longitude: 37.6173), from: .wgs72)
        #expect(abs(result.latitude - 55.755824426) < 1e-9)
        #expect(abs(result.longitude - 37.617453889) < 1e-9)
    }

    @Test func wgs84IsUnchangedAndUnknownDatumsAreRefused() throws {
        let converter = try DatumConverter()
        let point = Coordinate(latitude: 55.7558, longitude: 37.6173)
        #expect(try converter.toWGS84(point, from: .wgs84) == point)
        #expect(throws: ProjError.self) { try converter.toWGS84(point, from: .other) }
    }
}

@Suite("PROJ: geodesics")
struct GeodesicTests {
    /// pyproj `Geod(ellps='WGS84').inv(lon1, lat1, lon2, lat2)`.
    @Test(arguments: [
        (55.7558, 37.6173, 59.9386, 30.3141, 635_779.7807064488, -39.902422517660206, 133.90796032907787),
        (43.1155, 131.8855, 55.0084, 82.9357, 3_723_933.461095093, -51.824339467062494, 90.02964989135168),
        (-33.8688, 151.2093, 52.52, 13.405, 16_088_415.91422385, -45.05895650959918, 74.76367938941343),
        (55.7558, 37.6173, 55.7559, 37.6174, 12.782032870256433, 29.419541311202615, -150.58037602407657),
        (0.0, 0.0, 0.5, 179.5, 19_936_288.578965314, 25.67187286829188, -25.672914530058392),
    ])
    func inverseMatchesPyproj(
        lat1: Double, lon1: Double, lat2: Double, lon2: Double, distance: Double, azimuth1: Double,
        backAzimuth: Double
    ) {
        let line = Geodesic.wgs84.inverse(
            from: Coordinate(latitude: lat1, longitude: lon1), to: Coordinate(latitude: lat2, longitude: lon2))
        #expect(abs(line.distanceMeters - distance) < 1e-6)
        #expect(abs(line.initialAzimuthDegrees - azimuth1) < 1e-9)
        // pyproj returns the back azimuth (from the end towards the start): the forward one turned by 180°.
        let forwardAtEnd = backAzimuth > 0 ? backAzimuth - 180 : backAzimuth + 180
        #expect(abs(line.finalAzimuthDegrees - forwardAtEnd) < 1e-9)
    }

    /// pyproj `Geod(ellps='WGS84').fwd(37.6173, 55.7558, 45, 10000)` → lat 55.81925825030088, lon 37.73010565901814.
    @Test func directMatchesPyproj() {
        let end = Geodesic.wgs84.destination(
            from: Coordinate(latitude: 55.7558, longitude: 37.6173), azimuthDegrees: 45, distanceMeters: 10_000)
        #expect(abs(end.latitude - 55.81925825030088) < 1e-12)
        #expect(abs(end.longitude - 37.73010565901814) < 1e-12)
    }
}
