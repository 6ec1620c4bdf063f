/// One sentence parsed on its own, with its address.
public struct ParsedSentence: Sendable, Hashable {
    /// The address as sent (`GPRMC`, `PGRME`, `CCGPQ`).
    public var address: String
    /// The talker (first two letters; for proprietary sentences `P` and the maker's first letter).
    public var talker: Talker
    /// The decoded content.
    public var sentence: Sentence
    /// Whether the sentence carried a checksum (it is always verified when present).
    public var hadChecksum: Bool

    /// Parses exactly one sentence: surrounding spaces, CR, LF and NUL are allowed, anything else after the first
    /// line end is an error.
    /// - Throws: the `SentenceError` that rejects the line.
    public static func parse(_ line: some Collection<UInt8>, options: DecoderOptions = .lenient) throws(SentenceError)
        -> ParsedSentence
    {
        let bytes = Array(line)
        return try bytes.withUnsafeBufferPointer { buffer throws(SentenceError) -> ParsedSentence in
            guard let base = buffer.baseAddress else { throw .noSentenceStart }
            var start = base
            var end = base + buffer.count
            func padding(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0D || byte == 0x0A || byte == 0x00 }
            while start < end && padding(start.pointee) { start += 1 }
            while end > start && padding((end - 1).pointee) { end -= 1 }
            guard start < end else { throw .noSentenceStart }
            var newline = start
            while newline < end && newline.pointee != 0x0A { newline += 1 }
            if newline < end { throw .invalidCharacter(byte: 0x0A) }
            let commaBuffer = CommaBuffer(options: options)
            let hasStart = start.pointee == UInt8(ascii: "$") || start.pointee == UInt8(ascii: "!")
            if !hasStart && options.strict { throw .noSentenceStart }
            let (frame, next) = try frameSentence(
                from: start, to: end, hasStart: hasStart, options: options, commaBuffer: commaBuffer)
            if next < end { throw .malformedChecksum }
            let sentence = try SentenceDecoding.decode(frame)
            return ParsedSentence(
                address: frame.address, talker: frame.talker, sentence: sentence, hadChecksum: frame.hadChecksum)
        }
    }

    /// Parses a line given as text.
    public static func parse(_ line: String, options: DecoderOptions = .lenient) throws(SentenceError)
        -> ParsedSentence
    {
        try parse(Array(line.utf8), options: options)
    }
}
