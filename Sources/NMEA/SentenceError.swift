/// Why one NMEA line was rejected. Hot paths throw these (typed throws) and callers count them by case.
public enum SentenceError: Error, Equatable, Sendable {
    /// The `*hh` checksum does not match the XOR of the sentence body.
    case checksumMismatch(expected: UInt8, actual: UInt8)
    /// Something other than exactly two hex digits follows `*`, or text follows the checksum.
    case malformedChecksum
    /// The sentence has no `*hh` checksum and the policy requires one.
    case missingChecksum
    /// The sentence was cut off by the start of another before its checksum or line end.
    case truncated
    /// A byte outside printable ASCII (0x20–0x7E) inside the sentence.
    case invalidCharacter(byte: UInt8)
    /// The line holds no `$`/`!` sentence start and is not a device identity.
    case noSentenceStart
    /// Text that is not a device identity precedes a sentence that has no checksum to vouch for it.
    case garbageBeforeSentence
    /// The address field is not a talker + formatter (`GPRMC`) or a proprietary `P…` address.
    case malformedAddress
    /// The sentence is longer than the accepted maximum.
    case tooLong(length: Int)
    /// The sentence has fewer fields than its type needs.
    case tooFewFields(sentence: SentenceType, count: Int)
    /// A field could not be decoded (numbered from 1 after the address).
    case badField(sentence: SentenceType, field: Int)
    /// A well-formed sentence of a type Orbita does not know.
    case unknownSentence

    /// A short stable name for counters and logs.
    public var reason: String {
        switch self {
        case .checksumMismatch: "checksum_mismatch"
        case .malformedChecksum: "malformed_checksum"
        case .missingChecksum: "missing_checksum"
        case .truncated: "truncated"
        case .invalidCharacter: "invalid_character"
        case .noSentenceStart: "no_sentence_start"
        case .garbageBeforeSentence: "garbage_before_sentence"
        case .malformedAddress: "malformed_address"
        case .tooLong: "too_long"
        case .tooFewFields: "too_few_fields"
        case .badField: "bad_field"
        case .unknownSentence: "unknown_sentence"
        }
    }
}
