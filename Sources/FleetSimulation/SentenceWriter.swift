import NMEA
import OrbitaModel

/// Writes NMEA sentences into a growing byte buffer: `begin` writes `$`, the field writers append, `end` appends the
/// XOR checksum and CR LF. Raw memory, not an array: the simulator writes ≈ 100 million bytes a second.
public struct SentenceWriter {
    private final class Storage {
        var base: UnsafeMutablePointer<UInt8>
        var capacity: Int
        var count = 0

        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(capacity: capacity)
        }

        deinit { base.deallocate() }

        @inline(__always) func reserve(_ extra: Int) {
            guard count + extra > capacity else { return }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: max(capacity * 2, count + extra))
            grown.update(from: base, count: count)
            base.deallocate()
            base = grown
            capacity = max(capacity * 2, count + extra)
        }
    }

    private let storage = Storage(capacity: 2_048)
    private var start = 0

    /// A writer holding `out` so far.
    public init(out: [UInt8]) { append(out) }

    /// The bytes written.
    public var out: [UInt8] { Array(UnsafeBufferPointer(start: storage.base, count: storage.count)) }

    /// Appends the bytes written to `array`.
    public func appendOut(to array: inout [UInt8]) {
        array.append(contentsOf: UnsafeBufferPointer(start: storage.base, count: storage.count))
    }

    /// Empties the writer (its memory is kept).
    public mutating func clear() {
        storage.count = 0
        start = 0
    }

    /// Starts a sentence: `$` and the address.
    public mutating func begin(_ literal: StaticString) {
        byte(UInt8(ascii: "$"))
        start = storage.count
        append(literal)
    }

    /// Starts a sentence: `$` and the address.
    public mutating func begin(text: String) {
        byte(UInt8(ascii: "$"))
        start = storage.count
        append(text: text)
    }

    /// A whole `$PGID,ID*hh` identity line, the form the simulated trackers name themselves with.
    public mutating func identity(_ id: String) {
        begin("PGID,")
        append(text: id)
        end()
    }

    /// Ends the sentence: `*`, the checksum and CR LF.
    public mutating func end() {
        let digits = NMEAChecksum.digits(
            NMEAChecksum.of(UnsafeBufferPointer(start: storage.base + start, count: storage.count - start)))
        storage.reserve(5)
        let end = storage.base + storage.count
        end[0] = UInt8(ascii: "*")
        end[1] = digits.high
        end[2] = digits.low
        end[3] = 13
        end[4] = 10
        storage.count += 5
    }

    /// Appends one byte.
    @inline(__always) public mutating func byte(_ value: UInt8) {
        storage.reserve(1)
        storage.base[storage.count] = value
        storage.count += 1
    }

    /// Appends bytes as they are.
    public mutating func append(_ literal: StaticString) {
        append(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Appends text as UTF-8.
    public mutating func append(text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// Appends bytes as they are.
    public mutating func append(_ bytes: [UInt8]) { bytes.withUnsafeBufferPointer { append($0) } }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        storage.reserve(bytes.count)
        (storage.base + storage.count).update(from: source, count: bytes.count)
        storage.count += bytes.count
    }

    /// A non-negative integer, zero-padded to `width` digits (at most 20).
    public mutating func integer(_ value: Int, width: Int = 1) {
        var rest = UInt64(max(0, value))
        var digits = 1
        var probe = rest
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        let length = max(digits, min(width, 20))
        storage.reserve(length)
        let end = storage.base + storage.count + length
        for index in 1...length {
            end[-index] = UInt8(48 + rest % 10)
            rest /= 10
        }
        storage.count += length
    }

    /// `value` with `decimals` decimals (rounded half away from zero, as `TextFormat.fixed`), zero-padded to `width`
    /// characters.
    public mutating func fixed(_ value: Double, decimals: Int, width: Int = 0) {
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * Double(scale)).rounded()
        guard value.isFinite, scaled < 9e18 else { return append(text: TextFormat.fixed(value, decimals: decimals)) }
        let integer = UInt64(scaled)
        if value < 0 && integer != 0 { byte(UInt8(ascii: "-")) }
        let whole = Int(integer / scale)
        let wholeWidth = max(1, width - (decimals > 0 ? decimals + 1 : 0))
        self.integer(whole, width: wholeWidth)
        if decimals > 0 {
            byte(UInt8(ascii: "."))
            self.integer(Int(integer % scale), width: decimals)
        }
    }
}
