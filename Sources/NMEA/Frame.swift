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

/// Packs a three-letter formatter for `switch`.
@inline(__always) func formatterCode(_ text: StaticString) -> UInt32 {
    let p = text.utf8Start
    return UInt32(p[0]) << 16 | UInt32(p[1]) << 8 | UInt32(p[2])
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
    from start: UnsafePointer<UInt8>, to end: UnsafePointer<UInt8>, hasStart: Bool, options: DecoderOptions
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
    var firstComma: UnsafePointer<UInt8>? = nil
    while cursor < end {
        let byte = cursor.pointee
        if byte == UInt8(ascii: "*") { break }
        if byte == UInt8(ascii: "$") || byte == UInt8(ascii: "!") {
            break  // a new sentence starts: this one was cut off
        }
        if byte &- 0x20 > 0x5E { throw .invalidCharacter(byte: byte) }
        if byte == UInt8(ascii: ",") {
            if firstComma == nil { firstComma = cursor }
            commas += 1
        }
        checksum ^= byte
        cursor += 1
    }
    let bodyEnd = cursor
    var hadChecksum = false
    var next = end
    if cursor < end && cursor.pointee == UInt8(ascii: "*") {
        guard end - cursor >= 3, let high = hexValue(cursor[1]), let low = hexValue(cursor[2]) else {
            throw .malformedChecksum
        }
        let expected = high << 4 | low
        guard expected == checksum else { throw .checksumMismatch(expected: expected, actual: checksum) }
        hadChecksum = true
        cursor += 3
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
    let length = (hadChecksum ? bodyEnd + 3 : bodyEnd) - start
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
        fieldCount: commas, hadChecksum: hadChecksum)
    return (frame, next)
}
