import OrbitaModel

/// Runs arbitrary bytes through every entry point of the NMEA module and checks invariants that must hold for
/// any input. The libFuzzer target (`NMEAFuzz`) traps when `check` reports a violation; the tests run the seeds.
public enum FuzzHarness {
    /// Exercises the decoder (lenient and strict, whole and split in two chunks) and the single-sentence
    /// parser on `data`.
    /// - Returns: a description of the first violated invariant, or nil.
    public static func check(_ data: UnsafeRawBufferPointer) -> String? {
        var whole: [Fix] = []
        let wholeDecoder = NMEADecoder()
        wholeDecoder.decode(data) { whole.append($0) }
        wholeDecoder.finish { whole.append($0) }
        if let problem = validate(whole, wholeDecoder.statistics) { return problem }

        let middle = data.count / 2
        var split: [Fix] = []
        let splitDecoder = NMEADecoder()
        splitDecoder.decode(UnsafeRawBufferPointer(rebasing: data[..<middle])) { split.append($0) }
        splitDecoder.decode(UnsafeRawBufferPointer(rebasing: data[middle...])) { split.append($0) }
        splitDecoder.finish { split.append($0) }
        if split != whole { return "splitting the input in two chunks changed the fixes" }

        var strict: [Fix] = []
        let strictDecoder = NMEADecoder(options: .strictFraming)
        strictDecoder.decode(data) { strict.append($0) }
        strictDecoder.finish { strict.append($0) }
        if let problem = validate(strict, strictDecoder.statistics) { return problem }
        if strictDecoder.statistics.sentences > wholeDecoder.statistics.sentences {
            return "strict framing accepted more sentences than lenient framing"
        }

        if let problem = compareGSVReaders(data) { return problem }
        if data.count <= 300 {
            _ = try? ParsedSentence.parse(Array(data), options: .lenient)
            _ = try? ParsedSentence.parse(Array(data), options: .strictFraming)
        }
        return nil
    }

    /// The fast GSV and GSA readers must agree with the full decoder whenever they answer.
    private static func compareGSVReaders(_ data: UnsafeRawBufferPointer) -> String? {
        let bytes = data.bindMemory(to: UInt8.self)
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        let end = base + bytes.count
        let commaBuffer = CommaBuffer(options: .lenient)
        var line = base
        while line < end {
            var lineEnd = line
            while lineEnd < end && lineEnd.pointee != 0x0A { lineEnd += 1 }
            if line.pointee == UInt8(ascii: "$"),
                let (frame, _) = try? frameSentence(
                    from: line, to: lineEnd, hasStart: true, options: .lenient, commaBuffer: commaBuffer),
                !frame.isProprietary
            {
                if frame.formatter == SentenceType.gsv.formatter, let fast = GSVScanner.scan(frame) {
                    var fields = FieldCursor(frame)
                    guard let full = try? SentenceDecoding.decodeGSV(&fields) else {
                        return "the fast GSV reader accepted what the full decoder rejects"
                    }
                    if full.numbers != fast.numbers { return "the GSV readers disagree on satellite numbers" }
                }
                if frame.formatter == SentenceType.gsa.formatter, let fast = GSAScanner.scan(frame) {
                    var fields = FieldCursor(frame)
                    guard let full = try? SentenceDecoding.decodeGSA(&fields) else {
                        return "the fast GSA reader accepted what the full decoder rejects"
                    }
                    if full != fast { return "the GSA readers disagree" }
                }
            }
            line = lineEnd + 1
        }
        return nil
    }

    private static func validate(_ fixes: [Fix], _ statistics: DecodeStatistics) -> String? {
        if fixes.count != statistics.fixes { return "emitted \(fixes.count) fixes but counted \(statistics.fixes)" }
        for fix in fixes {
            if let latitude = fix.latitude, !(-90...90).contains(latitude) { return "latitude \(latitude)" }
            if let longitude = fix.longitude, !(-180...180).contains(longitude) { return "longitude \(longitude)" }
            if fix.hasPosition != (fix.mode >= .twoDimensional) { return "mode \(fix.mode) without a position" }
            if fix.time == nil && !fix.hasPosition { return "a fix with neither time nor position" }
        }
        return nil
    }
}
