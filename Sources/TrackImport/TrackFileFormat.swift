/// What a track file is, from its first bytes (up to 64 KiB).
enum TrackFileFormat: Equatable {
    /// GPX (XML with a `<gpx` element).
    case gpx
    /// NMEA 0183 text (also gzip'd: the gzip magic number is read as NMEA inflated on the way).
    case nmea
    /// Something Orbita does not import, with what it looks like.
    case unsupported(String)

    /// Detects the format: gzip; a UTF-16 byte-order mark or interleaved NULs (UTF-16 text, which Orbita does not
    /// read); XML (a `<?xml` declaration or a `<gpx` element anywhere in the prefix, after a UTF-8 BOM and comments
    /// of any length); binary data (an ELF header, or more than 30 % bytes that are not ASCII text); else NMEA.
    static func detect(_ prefix: [UInt8]) -> TrackFileFormat {
        if FileInput.isGzip(prefix) { return .nmea }
        if prefix.starts(with: [0xFF, 0xFE]) || prefix.starts(with: [0xFE, 0xFF])
            || (prefix.count >= 4 && (prefix[1] == 0 || prefix[0] == 0) && prefix[2] != 0 && prefix[3] == 0)
        {
            return .unsupported("UTF-16 text: convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8)")
        }
        var body = prefix[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        let text = String(decoding: body, as: UTF8.self)
        let start = text.drop { $0.isWhitespace }
        if start.hasPrefix("<?xml") || text.contains("<gpx") { return .gpx }
        if prefix.starts(with: [0x7F, 0x45, 0x4C, 0x46]) { return .unsupported("an ELF executable, not NMEA or GPX") }
        // NMEA is ASCII (a stray NUL or a comment in another encoding happens); random or compressed data is not.
        let binary = body.count { byte in
            (byte < 0x20 && byte != 9 && byte != 10 && byte != 13) || byte >= 0x7F
        }
        if binary * 10 > body.count * 3 { return .unsupported("binary data, not NMEA or GPX text") }
        return .nmea
    }
}
