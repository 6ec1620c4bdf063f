import Logging
import OrbitaModel

/// A log handler that makes the message and metadata safe for a terminal (`TerminalText.cell`) before the one it
/// wraps writes them: log lines quote device identities, peers and errors that came from the network.
struct SanitisingLogHandler: LogHandler {
    var wrapped: any LogHandler

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.message = "\(TerminalText.cell(event.message.description))"
        event.metadata = event.metadata?.mapValues(Self.safe)
        wrapped.log(event: event)
    }

    private static func safe(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(TerminalText.cell(text))
        case .stringConvertible(let value): .string(TerminalText.cell(value.description))
        case .array(let values): .array(values.map(safe))
        case .dictionary(let values): .dictionary(values.mapValues(safe))
        }
    }
}
