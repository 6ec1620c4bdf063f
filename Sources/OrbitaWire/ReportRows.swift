public import Foundation
public import OrbitaModel

/// A report row as the command line and the API give it: JSON (one object a line, or the API's `rows`), and the
/// cells of a table or CSV row.
public protocol ReportRow: Codable, Sendable, Equatable {
    /// The column names of a table or CSV header, in order.
    static var columns: [String] { get }
    /// The row's cells, in `columns` order.
    var cells: [String] { get }
}

extension Wire {
    /// A trip: from one parking to the next.
    public struct TripRow: ReportRow {
        /// The vehicle.
        public var vehicle: String
        /// When it began (ISO 8601 UTC).
        public var start: UTCInstant
        /// When it ended (ISO 8601 UTC).
        public var end: UTCInstant
        /// Where it began, latitude.
        public var startLat: Double
        /// Where it began, longitude.
        public var startLon: Double
        /// Where it ended, latitude.
        public var endLat: Double
        /// Where it ended, longitude.
        public var endLon: Double
        /// Metres driven (drift at a standstill is not).
        public var distanceM: Double
        /// Seconds from start to end.
        public var durationS: Double
        /// The highest speed, m/s.
        public var maxSpeedMps: Double
        /// Seconds of its stops.
        public var stoppedS: Double
        /// Still going on: it ends at the last fix so far.
        public var open: Bool

        /// The row of a trip.
        public init(_ trip: Trip) {
            vehicle = trip.vehicleID
            start = trip.start.time
            end = trip.end.time
            startLat = trip.start.coordinate.latitude
            startLon = trip.start.coordinate.longitude
            endLat = trip.end.coordinate.latitude
            endLon = trip.end.coordinate.longitude
            distanceM = trip.distanceMeters
            durationS = trip.durationSeconds
            maxSpeedMps = trip.maxSpeedMetersPerSecond
            stoppedS = trip.stoppedSeconds
            open = trip.open
        }

        /// The column names, in order.
        public static let columns = [
            "vehicle", "start", "end", "startLat", "startLon", "endLat", "endLon", "distanceM", "durationS",
            "maxSpeedMps", "stoppedS", "open",
        ]
        /// The row's cells, in `columns` order.
        public var cells: [String] {
            [
                vehicle, start.iso8601, end.iso8601, degrees(startLat), degrees(startLon), degrees(endLat),
                degrees(endLon), TextFormat.fixed(distanceM, decimals: 1), TextFormat.fixed(durationS, decimals: 0),
                TextFormat.fixed(maxSpeedMps, decimals: 1), TextFormat.fixed(stoppedS, decimals: 0), String(open),
            ]
        }
    }

    /// A stop (the trip went on) or a parking (it ended), with the geofences it lies in.
    public struct StopRow: ReportRow {
        /// The vehicle.
        public var vehicle: String
        /// `stop` or `parking`.
        public var kind: Halt.Kind
        /// When it began (ISO 8601 UTC).
        public var start: UTCInstant
        /// When it ended (ISO 8601 UTC).
        public var end: UTCInstant
        /// Seconds from start to end.
        public var durationS: Double
        /// Where, latitude.
        public var lat: Double
        /// Where, longitude.
        public var lon: Double
        /// The geofences around where it stood, by name.
        public var geofences: [String]
        /// Still going on at the last fix so far.
        public var open: Bool

        /// The row of a halt and the geofences around it.
        public init(_ report: HaltReport) { self.init(report.halt, geofences: report.geofences) }

        /// The row of a halt.
        public init(_ halt: Halt, geofences: [String]) {
            vehicle = halt.vehicleID
            kind = halt.kind
            start = halt.start
            end = halt.end
            durationS = halt.durationSeconds
            lat = halt.coordinate.latitude
            lon = halt.coordinate.longitude
            self.geofences = geofences
            open = halt.open
        }

        /// The column names, in order.
        public static let columns = ["vehicle", "kind", "start", "end", "durationS", "lat", "lon", "geofences", "open"]
        /// The row's cells, in `columns` order.
        public var cells: [String] {
            [
                vehicle, kind.rawValue, start.iso8601, end.iso8601, TextFormat.fixed(durationS, decimals: 0),
                degrees(lat), degrees(lon), geofences.joined(separator: ";"), String(open),
            ]
        }
    }

    /// A stay inside a geofence, clipped to the window.
    public struct VisitRow: ReportRow {
        /// The vehicle.
        public var vehicle: String
        /// The geofence.
        public var geofence: String
        /// When it began (ISO 8601 UTC).
        public var start: UTCInstant
        /// When it ended (ISO 8601 UTC).
        public var end: UTCInstant
        /// Seconds from start to end.
        public var durationS: Double
        /// Already inside when the window began (counted from its start).
        public var openAtStart: Bool
        /// Still inside when the window ended (counted to its end).
        public var openAtEnd: Bool

        /// The row of a visit.
        public init(_ visit: GeofenceVisit) {
            vehicle = visit.vehicleID
            geofence = visit.geofence
            start = visit.start
            end = visit.end
            durationS = visit.durationSeconds
            openAtStart = visit.openAtStart
            openAtEnd = visit.openAtEnd
        }

        /// The column names, in order.
        public static let columns = ["vehicle", "geofence", "start", "end", "durationS", "openAtStart", "openAtEnd"]
        /// The row's cells, in `columns` order.
        public var cells: [String] {
            [
                vehicle, geofence, start.iso8601, end.iso8601, TextFormat.fixed(durationS, decimals: 0),
                String(openAtStart), String(openAtEnd),
            ]
        }
    }

    /// A vehicle's distance on one calendar day of the report's time zone.
    public struct MileageRow: ReportRow {
        /// The vehicle.
        public var vehicle: String
        /// The day, `YYYY-MM-DD`.
        public var day: String
        /// Metres driven.
        public var distanceM: Double

        /// The row of a day's mileage.
        public init(_ mileage: DayMileage) {
            self.init(vehicle: mileage.vehicleID, day: mileage.day, distanceM: mileage.meters)
        }

        /// Creates one.
        public init(vehicle: String, day: CivilDate, distanceM: Double) {
            self.vehicle = vehicle
            self.day = day.iso8601
            self.distanceM = distanceM
        }

        /// The column names, in order.
        public static let columns = ["vehicle", "day", "distanceM"]
        /// The row's cells, in `columns` order.
        public var cells: [String] { [vehicle, day, TextFormat.fixed(distanceM, decimals: 1)] }
    }

    /// A trip judged against its assigned route.
    public struct RouteTripRow: ReportRow {
        /// A checkpoint and when it was reached or missed.
        public struct Checkpoint: Codable, Sendable, Equatable {
            /// Its name.
            public var name: String
            /// When.
            public var time: UTCInstant
        }

        /// The vehicle.
        public var vehicle: String
        /// The route.
        public var route: String
        /// When the judged part began (ISO 8601 UTC).
        public var start: UTCInstant
        /// When it ended (ISO 8601 UTC).
        public var end: UTCInstant
        /// Metres driven.
        public var distanceM: Double
        /// The share of them on the route, 0–1.
        public var onRouteShare: Double
        /// Metres driven off the route.
        public var offRouteM: Double
        /// Deviations that began in it.
        public var deviations: Int
        /// The most metres off the route in one deviation.
        public var longestDeviationM: Double
        /// The farthest from the route, metres.
        public var maxOffsetM: Double
        /// Checkpoints reached, in order.
        public var checkpointsArrived: [Checkpoint]
        /// Checkpoints missed, in order.
        public var checkpointsMissed: [Checkpoint]
        /// Wrong-direction events.
        public var wrongDirection: Int

        /// The row of a judged trip.
        public init(_ trip: RouteTripReport) {
            vehicle = trip.vehicleID
            route = trip.route
            start = trip.start
            end = trip.end
            distanceM = trip.distanceMeters
            onRouteShare = trip.onRouteShare
            offRouteM = trip.offRouteMeters
            deviations = trip.deviations
            longestDeviationM = trip.longestDeviationMeters
            maxOffsetM = trip.maxOffsetMeters
            checkpointsArrived = trip.checkpointsArrived.map { Checkpoint(name: $0.name, time: $0.time) }
            checkpointsMissed = trip.checkpointsMissed.map { Checkpoint(name: $0.name, time: $0.time) }
            wrongDirection = trip.wrongDirection
        }

        /// The column names, in order.
        public static let columns = [
            "vehicle", "route", "start", "end", "distanceM", "onRouteShare", "offRouteM", "deviations",
            "longestDeviationM", "maxOffsetM", "checkpointsArrived", "checkpointsMissed", "wrongDirection",
        ]
        /// The row's cells, in `columns` order (checkpoints as `name@time` separated by `;`).
        public var cells: [String] {
            func list(_ checkpoints: [Checkpoint]) -> String {
                checkpoints.map { "\($0.name)@\($0.time.iso8601)" }.joined(separator: ";")
            }
            return [
                vehicle, route, start.iso8601, end.iso8601, TextFormat.fixed(distanceM, decimals: 1),
                TextFormat.fixed(onRouteShare, decimals: 4), TextFormat.fixed(offRouteM, decimals: 1),
                String(deviations), TextFormat.fixed(longestDeviationM, decimals: 1),
                TextFormat.fixed(maxOffsetM, decimals: 1), list(checkpointsArrived), list(checkpointsMissed),
                String(wrongDirection),
            ]
        }
    }

    /// A vehicle's — or, with `vehicle` null, the fleet's — summary over the window.
    public struct SummaryRow: ReportRow {
        /// The vehicle; null for the fleet.
        public var vehicle: String?
        /// Metres driven.
        public var distanceM: Double
        /// Seconds driving (trips less their stops).
        public var drivingS: Double
        /// Seconds in stops.
        public var stoppedS: Double
        /// Seconds parked.
        public var parkedS: Double
        /// Trips begun in the window.
        public var trips: Int
        /// The highest speed, m/s.
        public var maxSpeedMps: Double
        /// Distance over driving time.
        public var averageMovingSpeedMps: Double
        /// Geofence visits overlapping the window.
        public var visits: Int
        /// Route deviations raised in the window.
        public var deviations: Int

        /// Creates one.
        public init(
            vehicle: String?, distanceM: Double, drivingS: Double, stoppedS: Double, parkedS: Double, trips: Int,
            maxSpeedMps: Double, averageMovingSpeedMps: Double, visits: Int, deviations: Int
        ) {
            self.vehicle = vehicle
            self.distanceM = distanceM
            self.drivingS = drivingS
            self.stoppedS = stoppedS
            self.parkedS = parkedS
            self.trips = trips
            self.maxSpeedMps = maxSpeedMps
            self.averageMovingSpeedMps = averageMovingSpeedMps
            self.visits = visits
            self.deviations = deviations
        }

        /// A row per vehicle, then the fleet's (none at all when no vehicle has one).
        public static func rows(_ summary: (vehicles: [ReportSummary], fleet: ReportSummary)) -> [SummaryRow] {
            let rows = summary.vehicles.map(SummaryRow.init)
            return rows.isEmpty ? rows : rows + [SummaryRow(summary.fleet)]
        }

        /// The row of a summary.
        public init(_ summary: ReportSummary) {
            self.init(
                vehicle: summary.vehicleID, distanceM: summary.totals.distanceMeters,
                drivingS: summary.drivingSeconds, stoppedS: summary.totals.stoppedSeconds,
                parkedS: summary.totals.parkedSeconds, trips: summary.totals.trips,
                maxSpeedMps: summary.totals.maxSpeedMetersPerSecond,
                averageMovingSpeedMps: summary.averageMovingSpeed, visits: summary.visits,
                deviations: summary.deviations)
        }

        /// The column names, in order.
        public static let columns = [
            "vehicle", "distanceM", "drivingS", "stoppedS", "parkedS", "trips", "maxSpeedMps", "averageMovingSpeedMps",
            "visits", "deviations",
        ]
        /// The row's cells, in `columns` order.
        public var cells: [String] {
            [
                vehicle ?? "(fleet)", TextFormat.fixed(distanceM, decimals: 1), TextFormat.fixed(drivingS, decimals: 0),
                TextFormat.fixed(stoppedS, decimals: 0), TextFormat.fixed(parkedS, decimals: 0), String(trips),
                TextFormat.fixed(maxSpeedMps, decimals: 1), TextFormat.fixed(averageMovingSpeedMps, decimals: 1),
                String(visits), String(deviations),
            ]
        }
    }

    /// A report as the API answers it: the window it covers and its rows — with a note when there are none, so that
    /// an empty report says so.
    public struct Report<Row: ReportRow>: Codable, Sendable, Equatable {
        /// Which report (`trips`, `stops`, …).
        public var report: String
        /// Where the window begins.
        public var from: UTCInstant
        /// Where the window ends.
        public var to: UTCInstant
        /// The IANA name of the zone days are counted in.
        public var timeZone: String
        /// The vehicles asked for (empty: all).
        public var vehicles: [String]
        /// The rows.
        public var rows: [Row]
        /// Why there are no rows, when there are none; what was left out, when rows were.
        public var note: String?
        /// Rows were left out (more than the request's limit).
        public var truncated: Bool?

        /// Creates one; an empty one gets its note.
        public init(
            report: String, from: UTCInstant, to: UTCInstant, timeZone: String, vehicles: [String], rows: [Row]
        ) {
            self.report = report
            self.from = from
            self.to = to
            self.timeZone = timeZone
            self.vehicles = vehicles
            self.rows = rows
            note = rows.isEmpty ? Self.emptyNote(report, from: from, to: to, vehicles: vehicles) : nil
        }

        /// "no trips of bus-1 between … and …".
        public static func emptyNote(_ report: String, from: UTCInstant, to: UTCInstant, vehicles: [String]) -> String {
            let whose = vehicles.isEmpty ? "" : " of " + vehicles.joined(separator: ", ")
            return "no \(report)\(whose) between \(from.iso8601) and \(to.iso8601)"
        }
    }
}

/// Report documents: JSON lines, CSV (RFC 4180), aligned text.
public enum ReportText {
    /// One JSON object a line.
    public static func jsonLines(_ rows: [some ReportRow]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return rows.compactMap { row in
            (try? encoder.encode(row)).flatMap { String(data: $0, encoding: .utf8) }
        }.map { $0 + "\n" }.joined()
    }

    /// A header row and a row each, fields quoted where RFC 4180 needs it, CRLF line ends (what spreadsheets read).
    public static func csv<Row: ReportRow>(_ rows: [Row]) -> String {
        ([Row.columns] + rows.map(\.cells)).map { $0.map(csvField).joined(separator: ",") + "\r\n" }.joined()
    }

    /// A field, quoted when it holds a comma, a quote or a line break (quotes doubled); a leading `=`, `+`, `-` or
    /// `@` of a text that is not a number is prefixed with `'` so that a spreadsheet does not run it as a formula.
    public static func csvField(_ text: String) -> String {
        var field = text
        if let first = field.first, "=+-@".contains(first), Double(field) == nil { field = "'" + field }
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A JSON encoder for API answers (sorted keys: the same answer, the same bytes).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

private func degrees(_ value: Double) -> String { TextFormat.fixed(value, decimals: 6) }

/// Report rows as GeoJSON (lon/lat, RFC 7946): trips as LineStrings, stops as Points, each with its row's fields as
/// properties.
public enum ReportGeoJSON {
    /// A FeatureCollection of trips, each with the line of its fixes (start to end when it has fewer than two).
    public static func lines(_ trips: [(row: Wire.TripRow, line: [Coordinate])]) -> String {
        collection(
            trips.map { trip in
                var line = trip.line
                if line.count < 2 {
                    line = [
                        Coordinate(latitude: trip.row.startLat, longitude: trip.row.startLon),
                        Coordinate(latitude: trip.row.endLat, longitude: trip.row.endLon),
                    ]
                }
                return Feature(geometry: Geometry(type: "LineString", coordinates: .line(line)), properties: trip.row)
            })
    }

    /// A FeatureCollection of stops and parkings as Points.
    public static func points(_ stops: [Wire.StopRow]) -> String {
        collection(
            stops.map { stop in
                Feature(
                    geometry: Geometry(
                        type: "Point", coordinates: .point(Coordinate(latitude: stop.lat, longitude: stop.lon))),
                    properties: stop)
            })
    }

    private static func collection<Row: ReportRow>(_ features: [Feature<Row>]) -> String {
        let document = Collection(features: features)
        guard let data = try? ReportText.encoder().encode(document), let text = String(data: data, encoding: .utf8)
        else { return "{\"type\":\"FeatureCollection\",\"features\":[]}\n" }
        return text + "\n"
    }

    private struct Collection<Row: ReportRow>: Encodable {
        var type = "FeatureCollection"
        var features: [Feature<Row>]
    }

    private struct Feature<Row: ReportRow>: Encodable {
        var type = "Feature"
        var geometry: Geometry
        var properties: Row
    }

    private struct Geometry: Encodable {
        var type: String
        var coordinates: Coordinates
    }

    private enum Coordinates: Encodable {
        case point(Coordinate)
        case line([Coordinate])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .point(let point): try container.encode([point.longitude, point.latitude])
            case .line(let line): try container.encode(line.map { [$0.longitude, $0.latitude] })
            }
        }
    }
}
