import Cluster
import Foundation
import Ingest
import OrbitaModel
import Tracking
import Yams

/// A configuration file of `orbita serve` (YAML): the server's settings plus pipeline and event thresholds.
///
/// ```yaml
/// database: /var/lib/orbita/orbita.sqlite
/// udp: 0.0.0.0:5005        # or off
/// pipeline:
///   maximum_hdop: 8
/// events:
///   leave_meters: 150
/// ```
///
/// Every key is checked: a misspelt or unknown key, or a value of the wrong type, is an error naming the key (a
/// typo must not silently leave a default in force). `ServerSettings.exampleConfiguration` lists every key.
public enum ConfigFile {
    /// Why a file was refused.
    public struct Problem: Error, CustomStringConvertible {
        /// What is wrong, naming the file and the key.
        public let description: String
        /// Whether `description` already names the key (an error inside a section).
        var named = false
    }

    /// Reads `path` and applies it on top of `base`.
    public static func load(_ path: String, onto base: ServerSettings) throws(Problem) -> ServerSettings {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Problem(description: "\(path): cannot read: \(error.localizedDescription)")
        }
        return try apply(text, onto: base, name: path)
    }

    /// Applies YAML text on top of `base`; `name` labels errors.
    public static func apply(_ text: String, onto base: ServerSettings, name: String = "config")
        throws(Problem) -> ServerSettings
    {
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw Problem(description: "\(name): not valid YAML: \(error)")
        }
        guard let document else { return base }  // an empty file changes nothing
        guard let top = document as? [String: Any] else {
            throw Problem(description: "\(name): expected a mapping of settings at the top level")
        }
        var settings = base
        do throws(Problem) {
            try apply(top, fields: serverFields, to: &settings, path: "")
        } catch {
            throw Problem(description: "\(name): \(error.description)")
        }
        return settings
    }

    /// One key: how to set it from a YAML value and how to write its current value.
    struct Field<Root> {
        let set: (inout Root, Any) throws(Problem) -> Void
        let get: (Root) -> String
    }

    /// Every key with its value in `settings`, as a YAML document that `apply` reads back (the example
    /// configuration is this with the defaults; `orbita serve --print-config` shows what is in force).
    public static func render(_ settings: ServerSettings) -> String {
        var lines: [String] = []
        for (key, field) in serverFields.sorted(by: { $0.key < $1.key }) where key != "pipeline" && key != "events" {
            lines.append("\(key): \(field.get(settings))")
        }
        lines.append("pipeline:")
        for (key, field) in pipelineFields.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(key): \(field.get(settings.tracking))")
        }
        lines.append("events:")
        for (key, field) in eventFields.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(key): \(field.get(settings.events))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func apply<Root>(
        _ mapping: [String: Any], fields: [String: Field<Root>], to root: inout Root, path: String
    ) throws(Problem) {
        for (key, value) in mapping.sorted(by: { $0.key < $1.key }) {
            let qualified = path.isEmpty ? key : path + "." + key
            guard let field = fields[key] else {
                if let replacement = replaced[qualified] {
                    throw Problem(description: "\(qualified) is no longer a key: \(replacement)", named: true)
                }
                let known = fields.keys.sorted().joined(separator: ", ")
                throw Problem(description: "unknown key \(qualified) (known here: \(known))", named: true)
            }
            do throws(Problem) {
                try field.set(&root, value)
            } catch {
                if error.named { throw error }
                throw Problem(description: "\(qualified): \(error.description)", named: true)
            }
        }
    }

    // MARK: Value readers

    private static func number(_ value: Any) throws(Problem) -> Double {
        if let double = value as? Double, double.isFinite { return double }
        if let int = value as? Int { return Double(int) }
        throw Problem(description: "expected a number, got \(describe(value))")
    }

    private static func integer(_ value: Any) throws(Problem) -> Int {
        if let int = value as? Int { return int }
        throw Problem(description: "expected a whole number, got \(describe(value))")
    }

    private static func flag(_ value: Any) throws(Problem) -> Bool {
        if let bool = value as? Bool { return bool }
        throw Problem(description: "expected true or false, got \(describe(value))")
    }

    private static func text(_ value: Any) throws(Problem) -> String {
        if let string = value as? String { return string }
        throw Problem(description: "expected text, got \(describe(value))")
    }

    private static func address(_ value: Any) throws(Problem) -> HostPort? {
        if let bool = value as? Bool, !bool { return nil }  // YAML reads a bare `off` as false
        if let written = value as? String {
            if written == "off" { return nil }
            if let address = HostPort(parsing: written) { return address }
        }
        throw Problem(description: "expected HOST:PORT or off, got \(describe(value))")
    }

    private static func describe(_ value: Any) -> String {
        if value is NSNull { return "nothing" }
        if value is [String: Any] { return "a mapping" }
        if value is [Any] { return "a list" }
        return "\"\(value)\""
    }

    private static func positive(_ value: Double) throws(Problem) -> Double {
        guard value >= 0 else { throw Problem(description: "must not be negative, got \(value)") }
        return value
    }

    private static func double<Root>(_ path: WritableKeyPath<Root, Double>) -> Field<Root> {
        Field(
            set: { (root: inout Root, value: Any) throws(Problem) in root[keyPath: path] = try positive(number(value))
            },
            get: { "\($0[keyPath: path])" })
    }

    private static func int<Root>(_ path: WritableKeyPath<Root, Int>) -> Field<Root> {
        Field(
            set: { (root: inout Root, value: Any) throws(Problem) in
                root[keyPath: path] = Int(try positive(Double(integer(value))))
            }, get: { "\($0[keyPath: path])" })
    }

    /// Days, at least 1, or null (keep everything).
    private static func days<Root>(_ path: WritableKeyPath<Root, Int?>) -> Field<Root> {
        Field(
            set: { (root: inout Root, value: Any) throws(Problem) in
                if value is NSNull {
                    root[keyPath: path] = nil
                    return
                }
                let days = try integer(value)
                guard days >= 1 else { throw Problem(description: "expected days ≥ 1 or null, got \(days)") }
                root[keyPath: path] = days
            }, get: { $0[keyPath: path].map(String.init) ?? "null" })
    }

    private static func bool<Root>(_ path: WritableKeyPath<Root, Bool>) -> Field<Root> {
        Field(
            set: { (root: inout Root, value: Any) throws(Problem) in root[keyPath: path] = try flag(value) },
            get: { "\($0[keyPath: path])" })
    }

    private static func listen<Root>(_ path: WritableKeyPath<Root, HostPort?>) -> Field<Root> {
        Field(
            set: { (root: inout Root, value: Any) throws(Problem) in root[keyPath: path] = try address(value) },
            get: { root in root[keyPath: path].map { "\"\($0)\"" } ?? "off" })
    }

    /// Text, quoted when written (paths and CRS names may hold YAML's special characters).
    private static func string<Root>(_ path: WritableKeyPath<Root, String>) -> Field<Root> {
        Field(
            set: { (root: inout Root, value: Any) throws(Problem) in root[keyPath: path] = try text(value) },
            get: { quoted($0[keyPath: path]) })
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private static func section<Root, Section>(
        _ path: WritableKeyPath<Root, Section>, _ fields: [String: Field<Section>], _ key: String
    ) -> Field<Root> {
        Field(
            set: { (root: inout Root, value: Any) throws(Problem) in
                guard let mapping = value as? [String: Any] else {
                    throw Problem(description: "expected a mapping, got \(describe(value))")
                }
                var inner = root[keyPath: path]
                try apply(mapping, fields: fields, to: &inner, path: key)
                root[keyPath: path] = inner
            }, get: { _ in "" })
    }

    // MARK: The keys

    /// Keys of earlier versions and what took their place.
    static let replaced = [
        "source_rate": """
        sources are no longer rate-limited; they share a saturated server fairly. The per-device limit is \
        device_rate (fixes per second) and device_burst
        """
    ]

    static var serverFields: [String: Field<ServerSettings>] {
        [
            "database": string(\.database),
            "udp": listen(\.ingest.udp),
            "tcp": listen(\.ingest.tcp),
            "http": listen(\.http),
            "register_unknown": bool(\.registerUnknown),
            "ack": bool(\.ingest.acknowledge),
            "device_rate": double(\.ingest.deviceRate),
            "device_burst": double(\.ingest.deviceBurst),
            "tcp_idle_timeout": double(\.ingest.tcpIdleTimeoutSeconds),
            "tcp_max_connections": int(\.ingest.tcpMaximumConnections),
            "tcp_max_per_source": int(\.ingest.tcpMaximumPerSource),
            "crs": Field(
                set: { (settings: inout ServerSettings, value: Any) throws(Problem) in
                    settings.crs = value is NSNull ? nil : try text(value)
                }, get: { $0.crs.map(quoted) ?? "null" }),
            "queue_capacity": int(\.queueCapacity),
            "commit_interval": double(\.commitInterval),
            "commit_size": int(\.commitSize),
            "cache_mb": int(\.cacheMegabytes),
            "retention_days": days(\.retention.fixDays),
            "event_retention_days": days(\.retention.eventDays),
            "node": Field(
                set: { (settings: inout ServerSettings, value: Any) throws(Problem) in
                    settings.node = value is NSNull ? nil : try text(value)
                }, get: { $0.node.map(quoted) ?? "null" }),
            "cluster_lease_seconds": double(\.cluster.leaseSeconds),
            "cluster_hold_back_seconds": double(\.clusterHoldBackSeconds),
            "api_connections": int(\.apiConnections),
            "live_max_sessions": int(\.liveMaximumSessions),
            "http_max_header_bytes": int(\.httpLimits.maximumHeadBytes),
            "http_head_timeout": double(\.httpLimits.headTimeoutSeconds),
            "http_idle_timeout": double(\.httpLimits.idleTimeoutSeconds),
            "max_fence_vertices": int(\.fenceLimits.maximumVerticesPerFence),
            "max_total_fence_vertices": int(\.fenceLimits.maximumTotalVertices),
            "log_level": Field(
                set: { (settings: inout ServerSettings, value: Any) throws(Problem) in
                    let level = try text(value)
                    let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
                    guard levels.contains(level) else {
                        throw Problem(description: "expected one of \(levels.joined(separator: ", ")), got \(level)")
                    }
                    settings.logLevel = level
                }, get: { $0.logLevel }),
            "pipeline": section(\.tracking, pipelineFields, "pipeline"),
            "events": section(\.events, eventFields, "events"),
        ]
    }

    static var pipelineFields: [String: Field<TrackingConfiguration>] {
        [
            "future_tolerance_seconds": double(\.futureToleranceSeconds),
            "maximum_age_seconds": Field(
                set: { (config: inout TrackingConfiguration, value: Any) throws(Problem) in
                    config.maximumAgeSeconds = value is NSNull ? nil : try positive(number(value))
                }, get: { $0.maximumAgeSeconds.map { "\($0)" } ?? "null" }),
            "maximum_hdop": double(\.maximumHDOP),
            "minimum_satellites": int(\.minimumSatellites),
            "maximum_speed_mps": double(\.maximumSpeedMetersPerSecond),
            "outlier_minimum_distance_m": double(\.outlierMinimumDistanceMeters),
            "outlier_reset_count": int(\.outlierResetCount),
            "stopped_speed_mps": double(\.stoppedSpeedMetersPerSecond),
            "stop_after_seconds": double(\.stopAfterSeconds),
            "parking_hold_radius_m": double(\.parkingHoldRadiusMeters),
        ]
    }

    static var eventFields: [String: Field<EventConfiguration>] {
        [
            "fence_margin_m": double(\.fenceMarginMeters),
            "fence_persist_fixes": int(\.fencePersistFixes),
            "fence_persist_seconds": double(\.fencePersistSeconds),
            "cross_maximum_gap_seconds": double(\.crossMaximumGapSeconds),
            "overspeed_reset_kmh": double(\.overspeedResetKmh),
            "route_maximum_hdop": double(\.routeMaximumHDOP),
            "route_minimum_satellites": int(\.routeMinimumSatellites),
            "route_m_per_hdop": double(\.routeMetersPerHDOP),
            "route_maximum_width_m": double(\.routeMaximumWidthMeters),
            "leave_fixes": int(\.leaveFixes),
            "leave_seconds": double(\.leaveSeconds),
            "leave_m": double(\.leaveMeters),
            "return_fixes": int(\.returnFixes),
            "return_width_fraction": double(\.returnWidthFraction),
            "terminal_m": double(\.terminalMeters),
            "maximum_gap_seconds": double(\.maximumGapSeconds),
            "maximum_route_speed_mps": double(\.maximumRouteSpeed),
            "route_to_straight_ratio": double(\.routeToStraightRatio),
            "backward_tolerance_m": double(\.backwardToleranceMeters),
            "direction_minimum_speed_mps": double(\.directionMinimumSpeed),
            "wrong_direction_degrees": double(\.wrongDirectionDegrees),
            "wrong_direction_fixes": int(\.wrongDirectionFixes),
        ]
    }
}
