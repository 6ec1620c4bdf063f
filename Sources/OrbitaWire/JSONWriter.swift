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
        bytes.appendDigits(value.magnitude, width: 1)
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
        if !bytes.appendDecimal(value, decimals: decimals, trimmed: trimmed) { append("null") }
    }

    /// A number, or `null` when there is none.
    public mutating func number(_ value: Double?, decimals: Int) {
        if let value { number(value, decimals: decimals) } else { null() }
    }

    /// An instant as an ISO 8601 string with milliseconds (rounded down) and `Z`: `"2024-06-09T08:02:15.000Z"`.
    public mutating func time(_ instant: UTCInstant) {
        separate()
        first = false
        bytes.append(UInt8(ascii: "\""))
        bytes.appendTime(instant)
        bytes.append(UInt8(ascii: "\""))
    }

    /// The text written so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always) private mutating func separate() {
        if !first { bytes.append(UInt8(ascii: ",")) }
    }

    @inline(__always) private mutating func append(_ literal: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
