import Glibc

/// The bytes of one framed sentence: its address and fields, checksum verified.
struct Frame {
    /// Byte after `$` (the address start).
    var addressStart: UnsafePointer<UInt8>
    /// Address length in bytes.
    var addressLength: Int
    /// The fields after the address comma, up to `*` or the end.
    var fields: UnsafeBufferPointer<UInt8>
    /// Number of fields after the address.
    var fieldCount: Int
    /// Offsets from `addressStart` of every comma of the body (entry 0 ends the address); `fieldCount` entries.
    var commas: UnsafePointer<UInt16>
    /// Whether a checksum was present (and matched).
    var hadChecksum: Bool

    /// The address packed for switching: three formatter bytes, big-endian.
    var formatter: UInt32 {
        guard addressLength == 5 else { return 0 }
        return UInt32(addressStart[2]) << 16 | UInt32(addressStart[3]) << 8 | UInt32(addressStart[4])
    }

    var talker: Talker { Talker(addressStart[0], addressStart[1]) }

    var isProprietary: Bool { addressStart[0] == UInt8(ascii: "P") }

    var address: String {
        String(decoding: UnsafeBufferPointer(start: addressStart, count: addressLength), as: UTF8.self)
    }
}

@inline(__always) func isUpperOrDigit(_ byte: UInt8) -> Bool {
    (byte &- UInt8(ascii: "A")) < 26 || (byte &- UInt8(ascii: "0")) < 10
}

@inline(__always) func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    default: nil
    }
}

/// Frames one sentence that starts at `start` (`$` or `!`, or the address itself when `hasStart` is false).
///
/// - Returns: the frame and the position after it (the line end or the next sentence start).
@inline(__always)
func frameSentence(
    from start: UnsafePointer<UInt8>, to end: UnsafePointer<UInt8>, hasStart: Bool, options: DecoderOptions,
    commaBuffer: CommaBuffer
) throws(SentenceError) -> (Frame, UnsafePointer<UInt8>) {
    var cursor = hasStart ? start + 1 : start
    if hasStart {
        while cursor < end && cursor.pointee == UInt8(ascii: "$") {
            if options.strict { throw .malformedAddress }
            cursor += 1
        }
    }
    let addressStart = cursor
    var checksum: UInt8 = 0
    var commas = 0
    let offsets = commaBuffer.offsets
    let capacity = commaBuffer.capacity
    if let scanned = scanBody(from: cursor, to: end, commas: offsets, capacity: capacity) {
        (cursor, checksum, commas) = scanned
    } else {
        // Slow path, byte by byte, for a body with a special byte: it finds where and why.
        while cursor < end {
            let byte = cursor.pointee
            if byte == UInt8(ascii: "*") { break }
            if byte == UInt8(ascii: "$") || byte == UInt8(ascii: "!") {
                break  // a new sentence starts: this one was cut off
            }
            if byte &- 0x20 > 0x5E { throw .invalidCharacter(byte: byte) }
            if byte == UInt8(ascii: ",") {
                if commas < capacity { offsets[commas] = UInt16(truncatingIfNeeded: cursor - addressStart) }
                commas += 1
            }
            checksum ^= byte
            cursor += 1
        }
    }
    if commas > capacity { throw .tooLong(length: cursor - start) }
    let firstComma: UnsafePointer<UInt8>? = commas > 0 ? addressStart + Int(offsets[0]) : nil
    var bodyEnd = cursor
    var hadChecksum = false
    var next = end
    if cursor < end && cursor.pointee == UInt8(ascii: "*") {
        var hex = cursor + 1
        if !options.strict {
            // Some t55 trackers write `…,A * 72`: spaces after `*` are skipped (see below for those before it).
            while hex < end && hex.pointee == UInt8(ascii: " ") { hex += 1 }
        }
        guard end - hex >= 2, let high = hexValue(hex[0]), let low = hexValue(hex[1]) else {
            throw .malformedChecksum
        }
        let expected = high << 4 | low
        if expected != checksum && !options.strict {
            // …and the spaces before `*` were not part of their checksum: try again without them.
            var trimmedEnd = bodyEnd
            var trimmed = checksum
            while trimmedEnd > addressStart && (trimmedEnd - 1).pointee == UInt8(ascii: " ") {
                trimmedEnd -= 1
                trimmed ^= UInt8(ascii: " ")
            }
            if trimmedEnd != bodyEnd && trimmed == expected {
                bodyEnd = trimmedEnd
                checksum = trimmed
            }
        }
        guard expected == checksum else { throw .checksumMismatch(expected: expected, actual: checksum) }
        hadChecksum = true
        cursor = hex + 2
        if cursor < end {
            let byte = cursor.pointee
            guard byte == UInt8(ascii: "$") || byte == UInt8(ascii: "!") else { throw .malformedChecksum }
            next = cursor
        }
    } else if cursor < end {
        throw .truncated  // cut off by the next `$`; the caller resumes there
    } else if options.strict || !hasStart {
        throw .missingChecksum
    }
    let length = (hadChecksum ? cursor : bodyEnd) - start
    if length > options.maximumSentenceLength { throw .tooLong(length: length) }
    let addressEnd = firstComma ?? bodyEnd
    let addressLength = addressEnd - addressStart
    guard addressLength >= 2 else { throw .malformedAddress }
    if addressStart.pointee == UInt8(ascii: "P") {
        for index in 1..<addressLength where !isUpperOrDigit(addressStart[index]) { throw .malformedAddress }
    } else {
        guard addressLength == 5 else { throw .malformedAddress }
        for index in 0..<5 where !isUpperOrDigit(addressStart[index]) { throw .malformedAddress }
        guard (addressStart[0] &- UInt8(ascii: "A")) < 26 else { throw .malformedAddress }
    }
    let fieldsStart = firstComma.map { $0 + 1 } ?? bodyEnd
    let frame = Frame(
        addressStart: addressStart, addressLength: addressLength,
        fields: UnsafeBufferPointer(start: fieldsStart, count: bodyEnd - fieldsStart),
        fieldCount: commas, commas: UnsafePointer(offsets), hadChecksum: hadChecksum)
    return (frame, next)
}

/// The high bit of every byte of `v` that is zero, and no other bit (exact, no false positives).
@inline(__always) private func zeroBytes(_ v: UInt64) -> UInt64 {
    let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    return ~(((v & low7) &+ low7) | v | low7)
}

/// Scans a sentence body eight bytes at a time up to `*` (or the end): XOR checksum and comma count.
///
/// - Returns: the position of `*` (or the end), the checksum and the comma count; nil when the body holds a byte
///   that needs the slow path (`$`, `!`, or one outside printable ASCII).
@inline(__always)
private func scanBody(
    from start: UnsafePointer<UInt8>, to end: UnsafePointer<UInt8>, commas offsets: UnsafeMutablePointer<UInt16>,
    capacity: Int
) -> (UnsafePointer<UInt8>, UInt8, Int)? {
    let star =
        memchr(start, Int32(UInt8(ascii: "*")), end - start).map {
            UnsafePointer($0.assumingMemoryBound(to: UInt8.self))
        } ?? end
    if star - start > capacity { return nil }  // the slow path bounds every write
    let high: UInt64 = 0x8080_8080_8080_8080
    var words: UInt64 = 0
    var special: UInt64 = 0
    var commas = 0
    var cursor = start
    while star - cursor >= 8 {
        let word = UnsafeRawPointer(cursor).loadUnaligned(as: UInt64.self)
        words ^= word
        var commaBits = zeroBytes(word ^ 0x2C2C_2C2C_2C2C_2C2C)
        while commaBits != 0 {
            offsets[commas] = UInt16(truncatingIfNeeded: cursor - start + commaBits.trailingZeroBitCount >> 3)
            commas &+= 1
            commaBits &= commaBits &- 1
        }
        special |= zeroBytes(word ^ 0x2424_2424_2424_2424) | zeroBytes(word ^ 0x2121_2121_2121_2121)
        special |=
            zeroBytes(word ^ 0x7F7F_7F7F_7F7F_7F7F) | (word & high) | (~((word | high) &- 0x2020_2020_2020_2020) & high)
        cursor += 8
    }
    words ^= words >> 32
    words ^= words >> 16
    words ^= words >> 8
    var checksum = UInt8(truncatingIfNeeded: words)
    while cursor < star {
        let byte = cursor.pointee
        if byte &- 0x20 > 0x5E || byte == UInt8(ascii: "$") || byte == UInt8(ascii: "!") { return nil }
        if byte == UInt8(ascii: ",") {
            if commas < capacity { offsets[commas] = UInt16(truncatingIfNeeded: cursor - start) }
            commas &+= 1
        }
        checksum ^= byte
        cursor += 1
    }
    return special == 0 ? (star, checksum, commas) : nil
}

/// Scratch space for the comma offsets of one sentence, allocated once per decoder and reused for every line.
final class CommaBuffer {
    let offsets: UnsafeMutablePointer<UInt16>
    let capacity: Int

    /// Room for the commas of the longest line a decoder keeps (a body is scanned before its length is judged).
    init(options: DecoderOptions) {
        capacity = max(NMEADecoder.maximumLineLength, options.maximumSentenceLength) + 1
        offsets = .allocate(capacity: capacity)
    }

    deinit { offsets.deallocate() }
}
