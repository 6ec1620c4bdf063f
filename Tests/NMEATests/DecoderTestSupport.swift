import NMEA
import OrbitaModel

/// Decodes text with a fresh decoder and returns the fixes and the statistics.
func decode(_ text: String, options: DecoderOptions = .lenient, device: String? = nil, chunk: Int? = nil) -> (
    fixes: [Fix], statistics: DecodeStatistics
) {
    let decoder = NMEADecoder(options: options, device: device)
    var fixes: [Fix] = []
    let bytes = Array(text.utf8)
    if let chunk {
        var start = 0
        while start < bytes.count {
            decoder.decode(bytes[start..<min(start + chunk, bytes.count)]) { fixes.append($0) }
            start += chunk
        }
    } else {
        decoder.decode(bytes) { fixes.append($0) }
    }
    decoder.finish { fixes.append($0) }
    return (fixes, decoder.statistics)
}

/// `$` + body + `*hh` with the correct checksum.
func sentence(_ body: String) -> String {
    let checksum = body.utf8.reduce(UInt8(0), ^)
    let hex = String(checksum, radix: 16, uppercase: true)
    return "$" + body + "*" + (hex.count == 1 ? "0" + hex : hex)
}
