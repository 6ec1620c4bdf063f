/// A fast GSV reader for the stream decoder. GSV is about half of what a multi-constellation receiver sends, so
/// this is the decoder's hottest path: it keeps only the satellite numbers, which is all a cycle needs.
///
/// It takes only the clean, common form (fields of plain digits, one point at most in an SNR, a one-digit signal
/// ID) and returns nil for anything else, which then goes through `SentenceDecoding.decodeGSV` and gets exactly the
/// same verdict as everywhere else. `FuzzHarness` checks that both readers agree.
enum GSVScanner {
    /// The GSV's satellite numbers (in a `GSV` without details), or nil to use the full decoder.
    @inline(__always)
    static func scan(_ frame: Frame) -> GSV? {
        let count = frame.fieldCount
        guard count >= 3 else { return nil }
        let blocks = min((count - 3) / 4, 4)
        let lastBlockField = 3 + blocks * 4
        guard count - lastBlockField <= 1 else { return nil }  // stray fields: let the full decoder judge
        var fields = FieldCursor(frame)
        guard let total = digits(fields.next()), total.count > 0, total.value >= 1,
            let number = digits(fields.next()), number.count > 0, number.value >= 1, number.value <= total.value,
            digits(fields.next()) != nil
        else { return nil }
        var numbers = SatelliteNumbers()
        for _ in 0..<blocks {
            guard let prn = digits(fields.next()), digits(fields.next()) != nil, digits(fields.next()) != nil else {
                return nil
            }
            let snr = fields.next()
            if digits(snr) == nil && !snr.isDecimalNumber { return nil }
            if prn.count > 0 { numbers.append(prn.value) }
        }
        if count > lastBlockField {
            guard let signal = digits(fields.next()), signal.count <= 1 else { return nil }
        }
        var gsv = GSV(messageCount: total.value, messageNumber: number.value)
        gsv.numbers = numbers
        return gsv
    }

    /// The value of a field of at most 9 plain digits (0 digits for an empty field), or nil.
    @inline(__always)
    private static func digits(_ field: Field) -> (value: Int, count: Int)? {
        guard field.count <= 9 else { return nil }
        var value = 0
        for index in 0..<field.count {
            let digit = field[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int(digit)
        }
        return (value, field.count)
    }
}
