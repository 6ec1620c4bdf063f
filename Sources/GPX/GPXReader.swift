public import Foundation
public import OrbitaModel

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Reads GPX 1.0 and 1.1 files (tracks, routes and waypoints with a time) into fixes, streaming with Foundation's
/// `XMLParser`.
///
/// Each `trkpt`/`rtept`/`wpt` becomes a `Fix`: `lat`/`lon`, `time` (ISO 8601, any offset, converted to UTC), `ele`
/// (taken as altitude above mean sea level, as GPX defines it), `speed` and `course` (GPX 1.0), `sat`, `hdop`,
/// `pdop`, `vdop`, `fix` (`none`, `2d`, `3d`, `dgps`, `pps`). A point without `fix` is 3D when it has `ele`,
/// otherwise 2D. Points whose coordinates do not parse are counted, not thrown.
public struct GPXReader {
    /// What reading a file produced.
    public struct Result {
        /// The points, in file order.
        public var fixes: [Fix] = []
        /// Points with an unreadable `lat`/`lon`/`time`.
        public var badPoints = 0
        /// The XML error that stopped reading, if any, with its line.
        public var error: (line: Int, message: String)?
    }

    /// Creates a reader.
    public init() {}

    /// Reads a GPX file as a stream (memory stays bounded whatever its size), handing each point to `onFix` as it
    /// is read; the result's `fixes` stay empty.
    public func read(contentsOfFile path: String, onFix: @escaping (Fix) -> Void) -> Result {
        guard let stream = InputStream(fileAtPath: path) else {
            var result = Result()
            result.error = (0, "cannot open \(path)")
            return result
        }
        return parse(XMLParser(stream: stream), onFix: onFix)
    }

    /// Reads a GPX document.
    public func read(_ data: Data) -> Result { parse(XMLParser(data: data), onFix: nil) }

    /// Runs a parser over the document with points going to `onFix` (nil: into the result).
    private func parse(_ parser: XMLParser, onFix: ((Fix) -> Void)?) -> Result {
        let delegate = Delegate()
        delegate.onFix = onFix
        parser.delegate = delegate
        parser.shouldProcessNamespaces = false
        let finished = parser.parse()
        // On Linux `parse()` can return true after an error; the error itself is what counts.
        if delegate.result.error == nil, !finished || parser.parserError != nil {
            delegate.result.error = (parser.lineNumber, Self.message(parser.parserError))
        }
        return delegate.result
    }

    static func message(_ error: (any Error)?) -> String {
        guard let error else { return "malformed XML" }
        return "malformed XML (XMLParser error \((error as NSError).code))"
    }

    /// True when the bytes look like a GPX document (an XML document whose root element is `gpx`).
    public static func looksLikeGPX(_ prefix: some Collection<UInt8>) -> Bool {
        let text = String(decoding: prefix.prefix(4096), as: UTF8.self)
        return text.contains("<gpx")
    }

    final class Delegate: NSObject, XMLParserDelegate {
        var result = Result()
        /// Where points go when streaming (nil: into `result.fixes`).
        var onFix: ((Fix) -> Void)?
        private var current: Fix?
        private var text = ""
        private var badPoint = false
        private var fixElementSeen = false

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            text = ""
            switch localName(name) {
            case "trkpt", "rtept", "wpt":
                var fix = Fix()
                badPoint = false
                fixElementSeen = false
                if let lat = attributes["lat"].flatMap(Double.init), let lon = attributes["lon"].flatMap(Double.init) {
                    fix.latitude = lat
                    fix.longitude = lon
                } else {
                    badPoint = true
                }
                current = fix
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            if result.error == nil { result.error = (parser.lineNumber, GPXReader.message(parseError)) }
            parser.abortParsing()
        }

        func parser(
            _ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?
        ) {
            let element = localName(name)
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            text = ""
            if element == "trkpt" || element == "rtept" || element == "wpt" {
                guard var fix = current else { return }
                current = nil
                if badPoint {
                    result.badPoints += 1
                    return
                }
                if element == "wpt" && fix.time == nil { return }  // a waypoint without a time is not a fix
                if !fixElementSeen {
                    fix.mode = fix.altitudeMSL != nil ? .threeDimensional : .twoDimensional
                    fix.quality = .autonomous
                }
                if let onFix { onFix(fix) } else { result.fixes.append(fix) }
                return
            }
            guard current != nil else { return }
            switch element {
            case "time":
                if let instant = ISO8601.parse(value) {
                    current?.time = .instant(instant)
                } else {
                    badPoint = true
                }
            case "ele": current?.altitudeMSL = Double(value)
            case "speed": current?.speedMetersPerSecond = Double(value)
            case "course": current?.courseDegrees = Double(value)
            case "sat": current?.satellitesUsed = Int(value)
            case "hdop": current?.hdop = Double(value)
            case "pdop": current?.pdop = Double(value)
            case "vdop": current?.vdop = Double(value)
            case "fix":
                let kinds: [String: (FixMode, FixQuality)] = [
                    "none": (.noFix, .invalid), "2d": (.twoDimensional, .autonomous),
                    "3d": (.threeDimensional, .autonomous), "dgps": (.threeDimensional, .differential),
                    "pps": (.threeDimensional, .precise),
                ]
                if let (mode, quality) = kinds[value] {
                    current?.mode = mode
                    current?.quality = quality
                    fixElementSeen = true
                }
            default: break
            }
        }

        private func localName(_ name: String) -> String {
            guard let colon = name.lastIndex(of: ":") else { return name }
            return String(name[name.index(after: colon)...])
        }
    }
}

/// ISO 8601 date-times as GPX uses them: `2024-06-09T08:00:00Z`, `…T08:00:00.123Z`, `…T11:00:00+03:00`.
public enum ISO8601 {
    /// The UTC instant of a date-time, or nil when it is not one.
    public static func parse(_ text: String) -> UTCInstant? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let date = CivilDate(year: year, month: month, day: day)
        else { return nil }
        var index = 19
        var micro = 0
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 100_000
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
                micro += Int(bytes[index] &- UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                guard bytes.count >= index + 6, let hours = number((index + 1)..<(index + 3)),
                    let minutes = number((index + 4)..<(index + 6))
                else { return nil }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
                index += 6
            default:
                return nil
            }
        }
        guard index == bytes.count, let time = TimeOfDay(hour: hour, minute: minute, second: second, microsecond: micro)
        else { return nil }
        let local = UTCInstant(date: date, time: time)
        return UTCInstant(microsecondsSinceEpoch: local.microsecondsSinceEpoch - Int64(offsetSeconds) * 1_000_000)
    }
}
