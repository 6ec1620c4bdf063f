import Foundation
import OrbitaModel
import OrbitaTesting
import StoreFactory
import Testing

/// With PostGIS on the server, zones are also stored as geometry for SQL queries, equal to Orbita's own shapes.
@Suite("PostgreSQL with PostGIS")
struct PostGISTests {
    static var unavailable: String? {
        guard let url = PostgresTestServer.url else { return PostgresTestServer.skipReason }
        let available = try? PostgresTestServer.psql(
            url, "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
        return available?.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
            ? nil : "PostGIS is not installed on the test server (postgresql-15-postgis-3)"
    }

    @Test(.enabled(if: unavailable == nil, Comment(rawValue: unavailable ?? "")))
    func zonesAreAlsoStoredAsGeometryThatAgreesWithOrbitasShapes() throws {
        let url = try PostgresTestServer.createDatabase("postgis")
        let store = try StoreFactory.open(try DatabaseLocation(parsing: url))
        let center = Coordinate(latitude: 55.7558, longitude: 37.6173)
        try store.save([
            Geofence(name: "depot", shape: .circle(center: center, radiusMeters: 500)),
            Geofence(
                name: "block",
                shape: .polygons([
                    [
                        [
                            Coordinate(latitude: 55.70, longitude: 37.50),
                            Coordinate(latitude: 55.70, longitude: 37.60),
                            Coordinate(latitude: 55.75, longitude: 37.60),
                            Coordinate(latitude: 55.75, longitude: 37.50),
                        ]
                    ]
                ])),
            Geofence(
                name: "lane",
                shape: .corridor(
                    line: [center, Coordinate(latitude: 55.7558, longitude: 37.70)], halfWidthMeters: 25)),
        ])
        try store.save(Route(name: "T7", line: [center, Coordinate(latitude: 55.76, longitude: 37.63)]))
        // Points at known distances: 400 m and 600 m north of the depot's centre; inside and outside the block;
        // 20 m and 40 m off the lane.
        func contains(_ fence: String, _ lat: Double, _ lon: Double) throws -> Bool {
            try PostgresTestServer.psql(
                url,
                """
                SELECT ST_Contains(geom, ST_SetSRID(ST_Point(\(lon), \(lat)), 4326)) FROM geofences
                WHERE name = '\(fence)'
                """
            ).trimmingCharacters(in: .whitespacesAndNewlines) == "t"
        }
        let metre = 1.0 / 111_320
        #expect(try contains("depot", 55.7558 + 400 * metre, 37.6173))
        #expect(try !contains("depot", 55.7558 + 600 * metre, 37.6173))
        #expect(try contains("block", 55.72, 37.55))
        #expect(try !contains("block", 55.76, 37.55))
        #expect(try contains("lane", 55.7558 + 20 * metre, 37.65))
        #expect(try !contains("lane", 55.7558 + 40 * metre, 37.65))
        let route = try PostgresTestServer.psql(url, "SELECT ST_GeometryType(geom), ST_NPoints(geom) FROM routes")
        #expect(route.trimmingCharacters(in: .whitespacesAndNewlines) == "ST_LineString|2")
        // Orbita's own reading of the zones is unchanged.
        #expect(try store.geofences().map(\.name) == ["block", "depot", "lane"])
    }
}
