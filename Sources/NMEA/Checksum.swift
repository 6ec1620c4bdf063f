/// The NMEA 0183 checksum: the XOR of every byte between the `$` (or `!`) and the `*`, sent as two upper-case
/// hexadecimal digits. The decoder verifies it while it frames (`frameSentence`); writers use this.
public enum NMEAChecksum {
    /// The checksum of a sentence body (the bytes after `$` and before `*`).
    @inlinable public static func of(_ body: UnsafeBufferPointer<UInt8>) -> UInt8 {
        var checksum: UInt8 = 0
        for byte in body { checksum ^= byte }
        return checksum
    }

    /// The checksum of a sentence body given as text (`GPGGA,…`).
    public static func of(_ body: String) -> UInt8 {
        var body = body
        return body.withUTF8 { of($0) }
    }

    /// The two upper-case hexadecimal digits that represent `checksum` on the wire.
    @inlinable public static func digits(_ checksum: UInt8) -> (high: UInt8, low: UInt8) {
        @inline(__always) func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 48 + nibble : 55 + nibble }
        return (digit(checksum >> 4), digit(checksum & 15))
    }
}
