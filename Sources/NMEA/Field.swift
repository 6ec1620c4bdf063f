import OrbitaModel

/// One comma-separated field of a sentence: a view into the line's bytes, valid only while they are.
///
/// Number parsers are hand-written: no allocation, no locale, and a field either parses completely or not.
struct Field {
    let base: UnsafePointer<UInt8>?
    let count: Int

    init(base: UnsafePointer<UInt8>?, count: Int) {
        self.base = base
        self.count = count
    }

    /// An empty field (also what reading past the last field gives).
    static var empty: Field { Field(base: nil, count: 0) }

    /// True when the field holds no bytes.
    var isEmpty: Bool { count == 0 }

    @inline(__always) subscript(_ index: Int) -> UInt8 {
        // Callers keep index < count; base is non-nil whenever count > 0.
        base.unsafelyUnwrapped[index]
    }

    /// The field's bytes (allocates; for text fields and tests).
    var bytes: [UInt8] {
        guard let base, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// The field as text (allocates).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The single character of a one-byte field, nil when empty; throws when longer.
    func character() -> UInt8?? {
        if count == 0 { return .some(nil) }
        return count == 1 ? .some(self[0]) : nil
    }

    /// A non-negative or negative decimal integer, nil if empty or malformed.
    func integer() -> Int? {
        guard count > 0, count <= 18 else { return nil }
        var index = 0
        var negative = false
        if self[0] == UInt8(ascii: "-") || self[0] == UInt8(ascii: "+") {
            negative = self[0] == UInt8(ascii: "-")
            index = 1
            if count == 1 { return nil }
        }
        var value = 0
        while index < count {
            let digit = self[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int(digit)
            index += 1
        }
        return negative ? -value : value
    }

    /// A decimal number (`-12.345`, `000.48`, `.5`), nil if empty or malformed. Exact to 15 significant digits.
    func decimal() -> Double? {
        guard count > 0 else { return nil }
        var index = 0
        var negative = false
        if self[0] == UInt8(ascii: "-") || self[0] == UInt8(ascii: "+") {
            negative = self[0] == UInt8(ascii: "-")
            index = 1
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var fractionDigits = 0
        var sawDigit = false
        var seenPoint = false
        while index < count {
            let byte = self[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                if seenPoint { return nil }
                seenPoint = true
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            sawDigit = true
            if significant == 0 && digit == 0 {
                if seenPoint { fractionDigits += 1 }
            } else if significant < 18 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                significant += 1
                if seenPoint { fractionDigits += 1 }
            } else if !seenPoint {
                return nil  // far larger than any NMEA value
            }
        }
        guard sawDigit, fractionDigits < powersOfTen.count else { return nil }
        let value = Double(mantissa) / powersOfTen[fractionDigits]
        return negative ? -value : value
    }

    /// A time of day `hhmmss[.s…]`, nil when empty or malformed.
    func timeOfDay() -> TimeOfDay? {
        guard count >= 6 else { return nil }
        var parts = (0, 0, 0)
        for pair in 0..<3 {
            let tens = self[pair * 2] &- UInt8(ascii: "0")
            let ones = self[pair * 2 + 1] &- UInt8(ascii: "0")
            guard tens < 10, ones < 10 else { return nil }
            let value = Int(tens) * 10 + Int(ones)
            switch pair {
            case 0: parts.0 = value
            case 1: parts.1 = value
            default: parts.2 = value
            }
        }
        var micro = 0
        if count > 6 {
            guard self[6] == UInt8(ascii: ".") else { return nil }
            var scale = 100_000
            var index = 7
            while index < count {
                let digit = self[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                micro += Int(digit) * scale
                scale /= 10
                index += 1
            }
        }
        return TimeOfDay(hour: parts.0, minute: parts.1, second: parts.2, microsecond: micro)
    }

    /// A date `ddmmyy` with the two-digit year pivot of NMEA (< 80 → 20yy, else 19yy).
    func date() -> CivilDate? {
        guard count == 6, let value = integer(), value >= 0 else { return nil }
        let year = value % 100
        return CivilDate(year: year < 80 ? 2000 + year : 1900 + year, month: value / 100 % 100, day: value / 10_000)
    }

    /// Degrees from NMEA `(d)ddmm.mmmm` with 1–3 degree digits, minutes below 60; nil if empty or malformed.
    func degreesMinutes(maxDegreeDigits: Int) -> Double? {
        guard count >= 3 else { return nil }
        var point = count
        for index in 0..<count where self[index] == UInt8(ascii: ".") {
            point = index
            break
        }
        let degreeDigits = point - 2
        guard degreeDigits >= 1, degreeDigits <= maxDegreeDigits else { return nil }
        var degrees = 0
        for index in 0..<degreeDigits {
            let digit = self[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            degrees = degrees * 10 + Int(digit)
        }
        let minutesField = Field(base: base.unsafelyUnwrapped + degreeDigits, count: count - degreeDigits)
        guard minutesField[0] &- UInt8(ascii: "0") < 10, minutesField[1] &- UInt8(ascii: "0") < 10,
            let minutes = minutesField.decimal(), minutes < 60
        else { return nil }
        return Double(degrees) + minutes / 60
    }
}

private let powersOfTen: [Double] = (0...40).map { exponent in
    var value = 1.0
    for _ in 0..<exponent { value *= 10 }
    return value
}

/// Reads the fields of one sentence in order.
struct FieldCursor {
    private var position: UnsafePointer<UInt8>?
    private let end: UnsafePointer<UInt8>?
    /// The number of fields after the address.
    let count: Int
    /// The 1-based number of the field `next()` returned last.
    private(set) var index = 0

    init(fields: UnsafeBufferPointer<UInt8>, count: Int) {
        position = fields.baseAddress
        end = fields.baseAddress.map { $0 + fields.count }
        self.count = count
    }

    /// The next field, or an empty field past the end.
    mutating func next() -> Field {
        index += 1
        guard index <= count, let start = position, let end else { return .empty }
        var cursor = start
        while cursor < end && cursor.pointee != UInt8(ascii: ",") { cursor += 1 }
        position = cursor < end ? cursor + 1 : end
        return Field(base: start, count: cursor - start)
    }

    /// Skips `n` fields.
    mutating func skip(_ n: Int) {
        for _ in 0..<n { _ = next() }
    }
}
