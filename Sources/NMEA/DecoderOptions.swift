/// How strictly lines are framed.
public struct DecoderOptions: Sendable, Hashable {
    /// Strict NMEA 0183 framing: a `*hh` checksum is required, exactly one leading `$`, nothing before it
    /// but a device identity. Off by default: a missing checksum is accepted (and counted), a present one is
    /// always verified, `$$` is read as `$`, and a sentence with a valid checksum may lack its `$`.
    public var strict: Bool
    /// The longest sentence accepted, in bytes from `$` to the checksum (NMEA says 82; high-precision
    /// receivers send more).
    public var maximumSentenceLength: Int

    /// Creates options.
    public init(strict: Bool = false, maximumSentenceLength: Int = 255) {
        self.strict = strict
        self.maximumSentenceLength = maximumSentenceLength
    }

    /// The default, tolerant options.
    public static let lenient = DecoderOptions()
    /// Strict NMEA framing.
    public static let strictFraming = DecoderOptions(strict: true)
}
