public import OrbitaModel

/// Numbers and times appended to bytes without Foundation, a locale or a `String` per value: what the JSON writer
/// and the track documents (GeoJSON, GPX, CSV) share.
extension [UInt8] {
    private static let powers: [UInt64] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
    ]

    /// Appends `value` rounded half away from zero to `decimals` decimals (at most 9): with `trimmed`, trailing
    /// zeros dropped but one kept (`56.1`, `0.0`), else exactly `decimals` of them (`55.941576667`; no point for 0).
    /// Appends nothing and returns false when the value is not finite.
    @inline(__always) @discardableResult
    public mutating func appendDecimal(_ value: Double, decimals: Int, trimmed: Bool) -> Bool {
        guard value.isFinite else { return false }
        let decimals = Swift.min(Swift.max(decimals, 0), 9)
        let scale = Self.powers[decimals]
        let scaled = (value.magnitude * Double(scale)).rounded()
        guard scaled < 9e18 else {
            var text = TextFormat.fixed(value, decimals: decimals)
            if trimmed, text.contains(".") {
                while text.hasSuffix("0") && !text.hasSuffix(".0") { text.removeLast() }
            }
            append(contentsOf: text.utf8)
            return true
        }
        let whole = UInt64(scaled)
        if value < 0 && whole != 0 { append(UInt8(ascii: "-")) }
        appendDigits(whole / scale, width: 1)
        guard decimals > 0 else {
            if trimmed { append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "0")]) }
            return true
        }
        append(UInt8(ascii: "."))
        var fraction = whole % scale
        var width = decimals
        while trimmed && width > 1 && fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        appendDigits(fraction, width: width)
        return true
    }

    /// Appends an instant as ISO 8601 with milliseconds (rounded down) and `Z`, without quotes:
    /// `2024-06-09T08:02:15.000Z`, as `UTCInstant.iso8601` spells it.
    @inline(__always)
    public mutating func appendTime(_ instant: UTCInstant) {
        let perDay = TimeOfDay.microsecondsPerDay
        var day = instant.microsecondsSinceEpoch / perDay
        var micros = instant.microsecondsSinceEpoch % perDay
        if micros < 0 {
            day -= 1
            micros += perDay
        }
        let date = CivilDate(daysSinceEpoch: Int(day))
        let ms = UInt64(micros / 1000)
        let seconds = ms / 1000
        appendDigits(UInt64(Swift.max(0, date.year)), width: 4)
        append(UInt8(ascii: "-"))
        appendDigits(UInt64(date.month), width: 2)
        append(UInt8(ascii: "-"))
        appendDigits(UInt64(date.day), width: 2)
        append(UInt8(ascii: "T"))
        appendDigits(seconds / 3600, width: 2)
        append(UInt8(ascii: ":"))
        appendDigits(seconds / 60 % 60, width: 2)
        append(UInt8(ascii: ":"))
        appendDigits(seconds % 60, width: 2)
        append(UInt8(ascii: "."))
        appendDigits(ms % 1000, width: 3)
        append(UInt8(ascii: "Z"))
    }

    /// Appends a non-negative integer, zero-padded to `width` digits.
    @inline(__always)
    public mutating func appendDigits(_ value: UInt64, width: Int) {
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: enough for 20 digits
        var count = 0
        var rest = value
        Swift.withUnsafeMutableBytes(of: &buffer) { raw in
            repeat {
                count += 1
                raw[24 - count] = UInt8(48 + rest % 10)
                rest /= 10
            } while rest > 0 || count < width
            append(contentsOf: raw[(24 - count)...])
        }
    }

    /// Appends a literal.
    @inline(__always)
    public mutating func append(_ literal: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
