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
    /// A device identity over its rate (`IngestSettings.deviceRate`, always in force: one device sending hundreds of
    /// fixes a second is broken). TCP connections are slowed down instead, so this counts UDP only.
    case rateLimited = "rate_limited"
    /// A source over its fair share of a queue at least half full (the server is saturated): refused on arrival,
    /// or pushed out of the queue to make room for a source under its share. UDP only (TCP is slowed down).
    case overShare = "over_share"
    /// The processing queue was full (the server is behind) and no source over its share was left to cut.
    case queueFull = "queue_full"
    // Devices that are not registered are dropped later, by the processor (`orbita_fixes_dropped_total`,
    // reason `unregistered`): ingest does not know the registry.
}
