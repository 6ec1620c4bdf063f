public import OrbitaModel

/// Writes JSON into a byte array without Foundation: numbers with a fixed count of decimals (trailing zeros dropped,
/// one kept), times as ISO 8601 with milliseconds, strings escaped as `TextFormat.jsonString` escapes them (so JSON
/// shown on a terminal is safe). Fast enough for the decoder's output (tens of MB/s): no `String` per value.
///
/// Members: `objectStart()`, then `key("name")` and a value for each, then `objectEnd()`; commas are written for you.
public struct JSONWriter {
    /// The bytes written so far.
    public var bytes: [UInt8] = []
    private var first = true

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// Empties the writer, keeping its memory.
    public mutating func clear() {
        bytes.removeAll(keepingCapacity: true)
        first = true
    }

    /// Starts the next value without a comma: for writing one document after another (JSON lines).
    public mutating func clearSeparator() { first = true }

    /// `{`.
    @inline(__always) public mutating func objectStart() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        first = true
    }

    /// `}`.
    @inline(__always) public mutating func objectEnd() {
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    /// `[`.
    @inline(__always) public mutating func arrayStart() {
        separate()
        bytes.append(UInt8(ascii: "["))
        first = true
    }

    /// `]`.
    @inline(__always) public mutating func arrayEnd() {
        bytes.append(UInt8(ascii: "]"))
        first = false
    }

    /// A member's name (a literal: names are never escaped), followed by its value.
    @inline(__always) public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        first = true
    }

    /// A string value, escaped.
    public mutating func string(_ text: String) {
        separate()
        var text = text
        let plain = text.withUTF8 { utf8 -> Bool in
            // ASCII without quotes, backslashes or control characters is written as it is.
            for byte in utf8 where byte < 0x20 || byte >= 0x7F || byte == 0x22 || byte == 0x5C { return false }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if !plain { bytes.append(contentsOf: TextFormat.jsonString(text).utf8) }
        first = false
    }

    /// A literal value written as it is (`"position"` with its quotes, `true`, a ready-made document).
    @inline(__always) public mutating func raw(_ literal: StaticString) {
        separate()
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        first = false
    }

    /// JSON text made elsewhere, written as it is.
    public mutating func raw(text: String) {
        separate()
        bytes.append(contentsOf: text.utf8)
        first = false
    }

    /// `true` or `false`.
    public mutating func bool(_ value: Bool) { value ? raw("true") : raw("false") }

    /// `null`.
    public mutating func null() { raw("null") }

    /// An integer.
    public mutating func integer(_ value: Int64) {
        separate()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        digits(value.magnitude, width: 1)
        first = false
    }

    /// A number rounded half away from zero to `decimals` decimals (at most 9), trailing zeros dropped but one kept
    /// (`56.1`, `0.0`); `null` when it is not finite (JSON has no NaN).
    public mutating func number(_ value: Double, decimals: Int) { decimal(value, decimals: decimals, trimmed: true) }

    /// A number with exactly `decimals` decimals (at most 9; none and no point for 0), rounded half away from zero:
    /// `55.941576667`; `null` when it is not finite.
    public mutating func fixed(_ value: Double, decimals: Int) { decimal(value, decimals: decimals, trimmed: false) }

    @inline(__always) private mutating func decimal(_ value: Double, decimals: Int, trimmed: Bool) {
        separate()
        first = false
        let decimals = min(max(decimals, 0), 9)
        let scale = Self.powers[decimals]
        let scaled = (value.magnitude * Double(scale)).rounded()
        guard value.isFinite else { return append("null") }
        guard scaled < 9e18 else {
            var text = TextFormat.fixed(value, decimals: decimals)
            if trimmed, text.contains(".") {
                while text.hasSuffix("0") && !text.hasSuffix(".0") { text.removeLast() }
            }
            return bytes.append(contentsOf: text.utf8)
        }
        let whole = UInt64(scaled)
        if value < 0 && whole != 0 { bytes.append(UInt8(ascii: "-")) }
        digits(whole / scale, width: 1)
        guard decimals > 0 else {
            if trimmed { append(".0") }
            return
        }
        bytes.append(UInt8(ascii: "."))
        var fraction = whole % scale
        var width = decimals
        while trimmed && width > 1 && fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        digits(fraction, width: width)
    }

    /// A number, or `null` when there is none.
    public mutating func number(_ value: Double?, decimals: Int) {
        if let value { number(value, decimals: decimals) } else { null() }
    }

    /// An instant as an ISO 8601 string with milliseconds (rounded down) and `Z`: `"2024-06-09T08:02:15.000Z"`.
    public mutating func time(_ instant: UTCInstant) {
        separate()
        first = false
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
        bytes.append(UInt8(ascii: "\""))
        digits(UInt64(max(0, date.year)), width: 4)
        bytes.append(UInt8(ascii: "-"))
        digits(UInt64(date.month), width: 2)
        bytes.append(UInt8(ascii: "-"))
        digits(UInt64(date.day), width: 2)
        bytes.append(UInt8(ascii: "T"))
        digits(seconds / 3600, width: 2)
        bytes.append(UInt8(ascii: ":"))
        digits(seconds / 60 % 60, width: 2)
        bytes.append(UInt8(ascii: ":"))
        digits(seconds % 60, width: 2)
        bytes.append(UInt8(ascii: "."))
        digits(ms % 1000, width: 3)
        bytes.append(contentsOf: [UInt8(ascii: "Z"), UInt8(ascii: "\"")])
    }

    /// The text written so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    private static let powers: [UInt64] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
    ]

    @inline(__always) private mutating func separate() {
        if !first { bytes.append(UInt8(ascii: ",")) }
    }

    @inline(__always) private mutating func append(_ literal: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// A non-negative integer, zero-padded to `width` digits.
    @inline(__always) private mutating func digits(_ value: UInt64, width: Int) {
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: enough for 20 digits
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &buffer) { raw in
            repeat {
                count += 1
                raw[24 - count] = UInt8(48 + rest % 10)
                rest /= 10
            } while rest > 0 || count < width
            bytes.append(contentsOf: raw[(24 - count)...])
        }
    }
}
