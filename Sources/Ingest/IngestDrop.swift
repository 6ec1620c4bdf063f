/// Why received data was not turned into fixes. Each is counted, per reason and per source.
public enum IngestDrop: String, CaseIterable, Sendable, Hashable {
    /// A datagram over `DatagramReader.maximumDatagram` bytes.
    case oversized
    /// Bytes that are not NMEA text (control characters other than CR, LF and tab, or bytes ≥ 0x80).
    case binary
    /// Text with no valid sentence (bad checksums, truncated or unknown sentences only).
    case noSentence = "no_sentence"
    /// Fixes without a device identity.
    case noIdentity = "no_identity"
    /// A source over its rate (the other sources are not slowed).
    case rateLimited = "rate_limited"
    /// The processing queue was full (the server is behind).
    case queueFull = "queue_full"
    /// A device that is not registered (without `--register-unknown`).
    case unregistered
}
