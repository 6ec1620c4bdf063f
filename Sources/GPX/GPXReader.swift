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
