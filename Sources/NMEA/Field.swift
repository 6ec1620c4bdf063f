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
    var text: String {
        guard let base, count > 0 else { return "" }
        return String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
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
        if count <= 9 {
            // Fast path: a short run of digits (SNR, satellites, whole seconds).
            var value = 0
            var index = 0
            while index < count {
                let digit = self[index] &- UInt8(ascii: "0")
                if digit >= 10 { break }
                value = value &* 10 &+ Int(digit)
                index += 1
            }
            if index == count { return Double(value) }
        }
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
        guard sawDigit, fractionDigits <= 40 else { return nil }
        let value = Double(mantissa) / powerOfTen(fractionDigits)
        return negative ? -value : value
    }

    /// True when the field is a number `decimal()` accepts (digits, an optional sign, at most one point): a
    /// check without computing the value, for fields a caller validates but does not keep.
    var isDecimalNumber: Bool {
        var index = 0
        if count > 0 && (self[0] == UInt8(ascii: "-") || self[0] == UInt8(ascii: "+")) { index = 1 }
        var digits = 0
        var integerDigits = 0  // significant digits before the point; `decimal()` refuses more than 18
        var points = 0
        while index < count {
            let byte = self[index]
            if byte &- UInt8(ascii: "0") < 10 {
                digits += 1
                if points == 0 && (integerDigits > 0 || byte != UInt8(ascii: "0")) { integerDigits += 1 }
            } else if byte == UInt8(ascii: ".") {
                points += 1
            } else {
                return false
            }
            index += 1
        }
        return digits > 0 && points <= 1 && integerDigits <= 18
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

/// 10^n as a Double: exact up to 10^22 (a constant table, no lazily initialised global on the hot path).
@inline(__always) private func powerOfTen(_ n: Int) -> Double {
    switch n {
    case 0: return 1
    case 1: return 1e1
    case 2: return 1e2
    case 3: return 1e3
    case 4: return 1e4
    case 5: return 1e5
    case 6: return 1e6
    case 7: return 1e7
    case 8: return 1e8
    case 9: return 1e9
    case 10: return 1e10
    case 11: return 1e11
    case 12: return 1e12
    case 13: return 1e13
    case 14: return 1e14
    case 15: return 1e15
    case 16: return 1e16
    case 17: return 1e17
    case 18: return 1e18
    default:
        var value = 1e18
        for _ in 18..<n { value *= 10 }
        return value
    }
}

/// Reads the fields of one sentence in order, using the comma offsets the framer recorded (no rescanning).
struct FieldCursor {
    private let address: UnsafePointer<UInt8>
    private let commas: UnsafePointer<UInt16>
    private let bodyEnd: UnsafePointer<UInt8>
    /// The number of fields after the address.
    let count: Int
    /// The 1-based number of the field `next()` returned last.
    private(set) var index = 0

    init(_ frame: Frame) {
        address = frame.addressStart
        commas = frame.commas
        bodyEnd = frame.fields.baseAddress.map { $0 + frame.fields.count } ?? frame.addressStart
        count = frame.fieldCount
    }

    /// The bounds of the next field, advancing the cursor; nil past the last field.
    @inline(__always)
    private mutating func advance() -> (UnsafePointer<UInt8>, UnsafePointer<UInt8>)? {
        index += 1
        guard index <= count else { return nil }
        let start = address + Int(commas[index - 1]) + 1
        let end = index < count ? address + Int(commas[index]) : bodyEnd
        return (start, end)
    }

    /// The next field, or an empty field past the end.
    @inline(__always)
    mutating func next() -> Field {
        guard let (start, end) = advance() else { return .empty }
        return Field(base: start, count: end - start)
    }

    /// Skips `n` fields.
    mutating func skip(_ n: Int) { index += n }

    /// Reads the next field as an integer in one pass (no separate comma scan): nil when empty.
    /// - Throws: `badField` when the field is not an optionally signed run of at most 18 digits.
    @inline(__always)
    mutating func nextInteger(_ type: SentenceType) throws(SentenceError) -> Int? {
        guard let (first, end) = advance() else { return nil }
        var cursor = first
        var value = 0
        var digits = 0
        var negative = false
        var signed = false
        var bad = false
        if cursor < end && (cursor.pointee == UInt8(ascii: "-") || cursor.pointee == UInt8(ascii: "+")) {
            negative = cursor.pointee == UInt8(ascii: "-")
            signed = true
            cursor += 1
        }
        while cursor < end {
            let digit = cursor.pointee &- UInt8(ascii: "0")
            if digit < 10 {
                value = value &* 10 &+ Int(digit)
                digits += 1
            } else {
                bad = true
            }
            cursor += 1
        }
        if !signed && !bad && digits == 0 { return nil }
        if bad || digits == 0 || digits > 18 { throw .badField(sentence: type, field: index) }
        return negative ? -value : value
    }

    /// Reads the next field as a decimal number in one pass, with `Field.decimal()`'s rules: nil when empty.
    /// - Throws: `badField` when the field is not a number.
    @inline(__always)
    mutating func nextDecimal(_ type: SentenceType) throws(SentenceError) -> Double? {
        guard let (first, end) = advance() else { return nil }
        var cursor = first
        let start = cursor
        var negative = false
        if cursor < end && (cursor.pointee == UInt8(ascii: "-") || cursor.pointee == UInt8(ascii: "+")) {
            negative = cursor.pointee == UInt8(ascii: "-")
            cursor += 1
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var fractionDigits = 0
        var sawDigit = false
        var points = 0
        var bad = false
        while cursor < end {
            let byte = cursor.pointee
            cursor += 1
            let digit = byte &- UInt8(ascii: "0")
            if digit >= 10 {
                if byte == UInt8(ascii: ".") { points += 1 } else { bad = true }
                continue
            }
            sawDigit = true
            if significant == 0 && digit == 0 {
                if points > 0 { fractionDigits += 1 }
            } else if significant < 18 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                significant += 1
                if points > 0 { fractionDigits += 1 }
            } else if points == 0 {
                bad = true  // far larger than any NMEA value
            }
        }
        if cursor == start { return nil }
        guard !bad, sawDigit, points <= 1, fractionDigits <= 40 else {
            throw .badField(sentence: type, field: index)
        }
        let value = Double(mantissa) / powerOfTen(fractionDigits)
        return negative ? -value : value
    }

}
