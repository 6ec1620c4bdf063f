import ArgumentParser
import OrbitaModel
import OrbitaWire
import TerminalOutput

/// `orbita events`: stored geofence and route events.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Print stored events, oldest first, as a table or JSON lines.")

    @OptionGroup var database: DatabaseOption
    @Option(help: "Only this vehicle.") var vehicle: String?
    @Option(help: "Only this kind (geofenceEnter, routeDeviation, …); repeatable.") var kind: [EventKindArgument] = []
    @Option(help: "From (ISO 8601 UTC or a date).") var since: InstantArgument?
    @Option(help: "Until (ISO 8601 UTC or a date).") var until: InstantArgument?
    @Option(help: "At most this many.") var limit: Int?
    @Option(help: "table, or json: one object a line, as the API gives events.") var format = EventsFormat.table

    func run() throws {
        let store = try database.open()
        let events: [StoredEvent]
        do {
            events = try store.storedEvents(
                EventQuery(
                    vehicleID: vehicle, kinds: kind.map(\.kind), since: since?.instant, until: until?.instant,
                    limit: limit), order: .oldestFirst)
        } catch {
            throw CommandError("orbita events: \(error)")
        }
        var output = OutputBuffer()
        switch format {
        case .json:
            var json = JSONWriter(capacity: 512)
            for stored in events {
                json.clear()
                Wire.Event(stored).write(to: &json)
                json.bytes.append(UInt8(ascii: "\n"))
                output.write(bytes: json.bytes)
            }
        case .table:
            var rows = [["id", "time", "vehicle", "kind", "subject", "lat", "lon", "details"]]
            for stored in events {
                let event = stored.event
                rows.append([
                    String(stored.id), event.time.iso8601, event.vehicleID, event.kind.rawValue, event.subject,
                    TextFormat.fixed(event.coordinate.latitude, decimals: 6),
                    TextFormat.fixed(event.coordinate.longitude, decimals: 6), Self.details(Wire.Event(stored)),
                ])
            }
            output.write(TextTable.render(rows) + "\n")
        }
        output.flush()
    }
}

extension EventsCommand {
    /// The kind's measurements as `name=value` pairs, named as in JSON.
    static func details(_ event: Wire.Event) -> String {
        let metrics: [(String, Double?)] = [
            ("distance_m", event.distanceM), ("progress_m", event.progressM), ("skipped_m", event.skippedM),
            ("duration_s", event.durationS), ("speed_kmh", event.speedKmh), ("limit_kmh", event.limitKmh),
        ]
        return metrics.compactMap { name, value in value.map { "\(name)=\(TextFormat.fixed($0, decimals: 1))" } }
            .joined(separator: " ")
    }
}

/// `orbita events --format`.
enum EventsFormat: String, ExpressibleByArgument, CaseIterable {
    /// Aligned columns for people.
    case table
    /// One JSON object a line (`Wire.Event`).
    case json
}

/// An event kind on the command line.
struct EventKindArgument: ExpressibleByArgument {
    let kind: EventKind
    init?(argument: String) {
        guard let kind = EventKind(rawValue: argument) else { return nil }
        self.kind = kind
    }
    static var allValueStrings: [String] { EventKind.allCases.map(\.rawValue) }
}
