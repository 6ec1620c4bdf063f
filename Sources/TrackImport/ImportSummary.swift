/// What an import did for one file.
public struct FileImportReport: Sendable, Hashable {
    /// The file as given.
    public var path: String
    /// `nmea` or `gpx`.
    public var format: String
    /// Bytes read.
    public var bytes = 0
    /// Fixes decoded.
    public var fixes = 0
    /// NMEA lines rejected by the decoder (by reason), or GPX points that could not be read.
    public var rejects: [String: Int] = [:]
    /// Why the file could not be (fully) read, with the line where known; nil when it was read to the end.
    public var error: String?
}

/// Progress of an import, for a progress bar.
public struct ImportProgress: Sendable {
    /// Bytes read so far over all files.
    public var bytesDone: Int
    /// Total bytes of all files (regular files; nil when unknown).
    public var bytesTotal: Int?
    /// Fixes processed so far.
    public var fixes: Int
    /// Seconds since the import started.
    public var elapsedSeconds: Double
    /// The file being read.
    public var file: String
}
