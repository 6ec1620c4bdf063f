/// A fast GSA reader for the stream decoder, the counterpart of `GSVScanner`: a multi-constellation receiver sends
/// one GSA per constellation per cycle.
///
/// It takes only the standard, clean form — 17 or 18 fields: `A`/`M`, a fix type 1–3, twelve satellite slots of at
/// most three digits, three DOPs, an optional one-digit system ID — and returns nil for anything else, which then goes
/// through `SentenceDecoding.decodeGSA` and gets exactly the same verdict as everywhere else. `FuzzHarness` checks
/// that both readers agree.
enum GSAScanner {
    /// The decoded GSA, or nil to use the full decoder.
    @inline(__always)
    static func scan(_ frame: Frame) -> GSA? {
        guard frame.fieldCount == 17 || frame.fieldCount == 18 else { return nil }
        var fields = FieldCursor(frame)
        var gsa = GSA()
        let selection = fields.next()
        guard selection.count == 1, selection[0] == UInt8(ascii: "A") || selection[0] == UInt8(ascii: "M") else {
            return nil
        }
        gsa.selectionMode = selection[0]
        let fix = fields.next()
        guard fix.count == 1, fix[0] >= UInt8(ascii: "1"), fix[0] <= UInt8(ascii: "3") else { return nil }
        gsa.fixType = Int(fix[0] &- UInt8(ascii: "0"))
        for _ in 0..<12 {
            let slot = fields.next()
            guard slot.count <= 3 else { return nil }
            var value = 0
            for index in 0..<slot.count {
                let digit = slot[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value &* 10 &+ Int(digit)
            }
            if slot.count > 0 { gsa.satellites.append(value) }
        }
        guard let pdop = dop(fields.next()), let hdop = dop(fields.next()), let vdop = dop(fields.next()) else {
            return nil
        }
        gsa.pdop = pdop
        gsa.hdop = hdop
        gsa.vdop = vdop
        if frame.fieldCount == 18 {
            let system = fields.next()
            guard system.count <= 1 else { return nil }
            if system.count == 1 {
                let digit = system[0] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                gsa.systemID = Int(digit)
            }
        }
        return gsa
    }

    /// A DOP of plain digits with at most one point (`1.37`, `99.99`), `.some(nil)` when empty, nil otherwise.
    @inline(__always)
    private static func dop(_ field: Field) -> Double?? {
        if field.isEmpty { return .some(nil) }
        guard field.count <= 8 else { return nil }
        var mantissa = 0
        var scale = 1.0
        var seenPoint = false
        var digits = 0
        for index in 0..<field.count {
            let byte = field[index]
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            mantissa = mantissa &* 10 &+ Int(digit)
            digits += 1
            if seenPoint { scale *= 10 }
        }
        guard digits > 0 else { return nil }
        return .some(Double(mantissa) / scale)
    }
}
