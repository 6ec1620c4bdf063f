public import Tracking

/// What an import did for one vehicle.
public struct VehicleImportCounts: Sendable, Hashable {
    /// Fixes decoded for the vehicle.
    public var decoded = 0
    /// Fixes stored (new rows).
    public var stored = 0
    /// Fixes already in the database (re-imports add nothing).
    public var duplicates = 0
    /// Of the stored fixes, those older than the vehicle's last fix (flagged `late`).
    public var late = 0
    /// Of the stored fixes, those held at the parked position against drift (flagged `held`).
    public var held = 0
    /// Drops by reason.
    public var dropped: [DropReason: Int] = [:]

    /// Creates zero counts.
    public init() {}
}

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
