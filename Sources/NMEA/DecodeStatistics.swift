/// What a decoder saw: counts of lines, sentences, fixes and every reject reason.
public struct DecodeStatistics: Sendable, Hashable {
    /// Lines read (LF-terminated, or the last unterminated one).
    public var lines = 0
    /// Sentences that framed and decoded (including known-but-ignored and proprietary ones).
    public var sentences = 0
    /// Fixes emitted.
    public var fixes = 0
    /// Sentences accepted without a checksum (lenient framing only).
    public var withoutChecksum = 0
    /// Known sentences passed over on purpose.
    public var ignored = 0
    /// Proprietary `$P…` sentences passed over.
    public var proprietary = 0
    /// Comment lines (`#…`) skipped.
    public var comments = 0
    /// Device identities read (prefixes, identity lines and sentences).
    public var identities = 0
    /// Rejected sentences and lines, by `SentenceError.reason`.
    public var rejects: [String: Int] = [:]

    /// Creates zero counts.
    public init() {}

    /// Rejects for a bad, malformed or (in strict mode) missing checksum.
    public var checksumErrors: Int {
        (rejects["checksum_mismatch"] ?? 0) + (rejects["malformed_checksum"] ?? 0) + (rejects["missing_checksum"] ?? 0)
    }

    /// Well-formed sentences of an unknown type.
    public var unknown: Int { rejects["unknown_sentence"] ?? 0 }

    /// Every other reject: framing, fields, garbage.
    public var malformed: Int { rejects.values.reduce(0, +) - checksumErrors - unknown }

    mutating func count(_ error: SentenceError) { rejects[error.reason, default: 0] += 1 }

    /// The one-line summary `orbita decode` prints.
    public var summary: String {
        "lines=\(lines) sentences=\(sentences) fixes=\(fixes) checksum_errors=\(checksumErrors) "
            + "malformed=\(malformed) unknown=\(unknown)"
    }

    /// Adds another decoder's counts to these.
    public mutating func merge(_ other: DecodeStatistics) {
        lines += other.lines
        sentences += other.sentences
        fixes += other.fixes
        withoutChecksum += other.withoutChecksum
        ignored += other.ignored
        proprietary += other.proprietary
        identities += other.identities
        comments += other.comments
        rejects.merge(other.rejects, uniquingKeysWith: +)
    }
}
