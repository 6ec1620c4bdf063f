import Foundation
import Hummingbird

/// The OpenAPI 3.1 description of the dispatch API, served at `/openapi.json`.
enum OpenAPIDocument {
    private static func op(
        _ summary: String, role: String, parameters: [[String: Any]] = [], body: String? = nil,
        responses: [String: String]
    ) -> [String: Any] {
        var operation: [String: Any] = [
            "summary": summary, "description": "Needs the \(role) role (or higher).",
            "security": [["bearer": []]],
            "responses": responses.mapValues { ["description": $0] },
        ]
        if !parameters.isEmpty { operation["parameters"] = parameters }
        if let body {
            operation["requestBody"] = [
                "required": true, "content": ["application/json": ["schema": ["type": "object"]]], "description": body,
            ]
        }
        return operation
    }

    private static func parameter(_ name: String, in place: String = "query", _ description: String) -> [String: Any] {
        [
            "name": name, "in": place, "required": place == "path", "description": description,
            "schema": ["type": "string"],
        ]
    }

    /// The JSON document, keys sorted.
    static var text: String {
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// `/openapi.json`'s response.
    static var response: Response { DispatchRoutes.json(text: text) }

    /// One JSON object type of the API: its members and their JSON types (`OpenAPIDocumentTests` holds them to the
    /// `OrbitaWire` types' encodings, so the two cannot drift).
    struct ObjectSchema {
        /// Member name → JSON Schema type (`string`, `number`, `integer`, `boolean`, `object`, `array`, or a
        /// `#/components/schemas/` name).
        var properties: [String: String]
        /// The members always present.
        var required: [String]

        var json: [String: Any] {
            [
                "type": "object", "required": required.sorted(),
                "properties": properties.mapValues { type -> [String: Any] in
                    type.first?.isUppercase == true ? ["$ref": "#/components/schemas/\(type)"] : ["type": type]
                },
            ]
        }
    }

    /// The API's object types, by name.
    static let schemas: [String: ObjectSchema] = [
        "Position": ObjectSchema(
            properties: [
                "time": "string", "lat": "number", "lon": "number", "speed_mps": "number", "course_deg": "number",
                "hdop": "number",
            ], required: ["time", "lat", "lon"]),
        "Vehicle": ObjectSchema(
            properties: [
                "id": "string", "name": "string", "kind": "string", "registration": "string", "state": "string",
                "off_route": "boolean", "last": "Position",
            ], required: ["id", "name", "kind", "state"]),
        "VehicleList": ObjectSchema(
            properties: ["vehicles": "array", "cursor": "string"], required: ["vehicles", "cursor"]),
        "Event": ObjectSchema(
            properties: [
                "id": "integer", "kind": "string", "vehicle": "string", "time": "string", "lat": "number",
                "lon": "number", "fix_time": "string", "acknowledged": "string", "geofence": "string",
                "route": "string", "checkpoint": "string", "distance_m": "number", "progress_m": "number",
                "skipped_m": "number", "duration_s": "number", "speed_kmh": "number", "limit_kmh": "number",
            ], required: ["id", "kind", "vehicle", "time", "lat", "lon", "fix_time", "acknowledged"]),
        "EventPage": ObjectSchema(properties: ["events": "array", "next": "string"], required: ["events"]),
        "Detour": ObjectSchema(
            properties: ["vehicle": "string", "from": "string", "to": "string", "reason": "string"],
            required: ["vehicle", "to"]),
        "VehicleEdit": ObjectSchema(
            properties: ["name": "string", "kind": "string", "registration": "string"], required: []),
        "Error": ObjectSchema(properties: ["error": "string"], required: ["error"]),
    ]

    private static let errors = ["401": "No, unknown or revoked token", "403": "The token's role is not enough"]

    /// A report path: its filters, formats and errors.
    private static func report(
        _ summary: String, _ answer: String, geoJSON: Bool = false, extra: [[String: Any]] = []
    ) -> [String: Any] {
        [
            "get": op(
                summary, role: "viewer",
                parameters: [
                    parameter("vehicle", "Vehicles, comma-separated (default: all)"),
                    parameter("from", "From: ISO 8601 UTC, or a date in tz (default: today)"),
                    parameter("to", "To: ISO 8601 UTC, or a date in tz (its end; default: today)"),
                    parameter("tz", "IANA time zone of days (default UTC)"),
                    parameter("format", geoJSON ? "json (default), csv or geojson" : "json (default) or csv"),
                    parameter("limit", "Rows at most, 1–100000 (default 10000; more: truncated)"),
                ] + extra,
                responses: [
                    "200": answer, "400": "Bad parameter (window, time zone, format)", "404": "No such vehicle",
                ].merging(errors) { a, _ in a })
        ]
    }

    static var document: [String: Any] {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "Orbita dispatch API", "version": "1",
                "description":
                    "Vehicles, tracks, events, geofences and routes of an Orbita fleet. Times are ISO 8601 UTC; geometry is GeoJSON (longitude first).",
            ],
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
                "schemas": schemas.mapValues(\.json),
            ],
            "paths": [
                "/api/vehicles": [
                    "get": op(
                        "Vehicles with their last position, state (moving, stopped, stale, unknown) and off_route",
                        role: "viewer",
                        responses: ["200": "{vehicles: [...], cursor: the /api/live cursor as of this list}"].merging(
                            errors
                        ) {
                            a, _ in a
                        })
                ],
                "/api/vehicles/{id}": [
                    "put": op(
                        "Register or edit a vehicle (name, kind, registration)", role: "admin",
                        parameters: [parameter("id", in: "path", "Vehicle ID")], body: "{name?, kind?, registration?}",
                        responses: ["200": "The vehicle", "400": "Bad body"].merging(errors) { a, _ in a })
                ],
                "/api/vehicles/{id}/track": [
                    "get": op(
                        "A vehicle's track as a GeoJSON LineString Feature (times, speeds, courses in the properties)",
                        role: "viewer",
                        parameters: [
                            parameter("id", in: "path", "Vehicle ID"), parameter("from", "Start (ISO 8601 or a date)"),
                            parameter("to", "End"),
                            parameter("limit", "Last N points at most (1–100000, default 10000)"),
                        ], responses: ["200": "Feature", "404": "No such vehicle"].merging(errors) { a, _ in a })
                ],
                "/api/events": [
                    "get": op(
                        "Events, newest first, paged with before=<id>", role: "viewer",
                        parameters: [
                            parameter("vehicle", "One vehicle"), parameter("kind", "Kinds, comma-separated"),
                            parameter("since", "From (ISO 8601)"), parameter("until", "Until (ISO 8601)"),
                            parameter("limit", "1–1000, default 100"),
                            parameter("before", "Events numbered below this"),
                            parameter("unacknowledged", "true: only those not acknowledged"),
                        ],
                        responses: ["200": "{events: [...], next?}", "400": "Bad parameter"].merging(errors) { a, _ in a
                        })
                ],
                "/api/events/{id}/ack": [
                    "post": op(
                        "Acknowledge an event", role: "dispatcher",
                        parameters: [parameter("id", in: "path", "Event number")],
                        responses: ["200": "The event", "404": "No such event"].merging(errors) { a, _ in a })
                ],
                "/api/reports/trips": report(
                    "Trips (parking to parking) overlapping the window, whole",
                    "{report, from, to, timeZone, vehicles, rows: [{vehicle, start, end, startLat, startLon, endLat, "
                        + "endLon, distanceM, durationS, maxSpeedMps, stoppedS, open}], note?, truncated?}",
                    geoJSON: true),
                "/api/reports/stops": report(
                    "Stops (the trip went on) and parkings (it ended) with the geofences they lie in",
                    "{…, rows: [{vehicle, kind, start, end, durationS, lat, lon, geofences, open}]}", geoJSON: true,
                    extra: [parameter("kind", "stop or parking")]),
                "/api/reports/visits": report(
                    "Geofence visits, enter to exit, clipped to the window",
                    "{…, rows: [{vehicle, geofence, start, end, durationS, openAtStart, openAtEnd}]}"),
                "/api/reports/mileage": report(
                    "Distance per vehicle and calendar day of tz", "{…, rows: [{vehicle, day, distanceM}]}"),
                "/api/reports/routes": report(
                    "Trips judged against their route assignments",
                    "{…, rows: [{vehicle, route, start, end, distanceM, onRouteShare, offRouteM, deviations, "
                        + "longestDeviationM, maxOffsetM, checkpointsArrived, checkpointsMissed, wrongDirection}]}"),
                "/api/reports/summary": report(
                    "Per vehicle and for the fleet (vehicle null): distance, driving, stopped and parked time, trips, "
                        + "speeds, visits, deviations",
                    "{…, rows: [{vehicle, distanceM, drivingS, stoppedS, parkedS, trips, maxSpeedMps, "
                        + "averageMovingSpeedMps, visits, deviations}]}"),
                "/api/detours": [
                    "post": op(
                        "Approve a detour: the vehicle is not judged against its route between from and to",
                        role: "dispatcher", body: "{vehicle, from?, to, reason?}",
                        responses: ["201": "The exemption", "400": "Bad body", "404": "No such vehicle"].merging(errors)
                        { a, _ in a })
                ],
                "/api/geofences": [
                    "get": op(
                        "Geofences as a GeoJSON FeatureCollection", role: "viewer",
                        responses: ["200": "FeatureCollection"].merging(errors) { a, _ in a })
                ],
                "/api/geofences/{name}": [
                    "put": op(
                        "Add or replace a geofence from a GeoJSON geometry or Feature", role: "admin",
                        parameters: [parameter("name", in: "path", "Geofence name")], body: "GeoJSON",
                        responses: ["200": "The geofence", "400": "Not a geofence shape", "413": "Body over 1 MiB"]
                            .merging(errors) { a, _ in a }),
                    "delete": op(
                        "Remove a geofence", role: "admin",
                        parameters: [parameter("name", in: "path", "Geofence name")],
                        responses: ["204": "Removed", "404": "No such geofence"].merging(errors) { a, _ in a }),
                ],
                "/api/routes": [
                    "get": op(
                        "Routes with corridors, checkpoints and assignments as a GeoJSON FeatureCollection",
                        role: "viewer",
                        responses: ["200": "FeatureCollection"].merging(errors) { a, _ in a })
                ],
            ] as [String: Any],
        ]
    }
}
