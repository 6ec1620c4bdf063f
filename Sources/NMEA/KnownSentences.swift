/// Standard sentences that are well formed but carry nothing Orbita uses, listed explicitly so that they are
/// counted as ignored rather than unknown.
public enum KnownSentences {
    /// Formatters of known-but-ignored sentences: navigation (waypoints, routes, cross-track), heading,
    /// marine instruments, AIS, almanac, range residuals and the like.
    public static let ignored: [String] = [
        "AAM", "ABK", "ACK", "ALM", "ALR", "APA", "APB", "BOD", "BWC", "BWR", "BWW", "DBK", "DBS", "DBT", "DPT",
        "EPV", "GFA", "GRS", "HCC", "HCD", "HDG", "HDM", "HDT", "MDA", "MSK", "MSS", "MTW", "MWD", "MWV", "OSD",
        "RLM", "RMA", "RMB", "ROT", "RPM", "RSA", "RSD", "RTE", "STN", "THS", "TLL", "TRF", "TTM", "VBW", "VDM",
        "VDO", "VDR", "VHW", "VLW", "VPW", "VWR", "WCV", "WNC", "WPL", "XDR", "XTE", "XTR", "ZFO", "ZTG",
    ]

    static let ignoredFormatters: Set<UInt32> = Set(
        ignored.map { name in
            let bytes = Array(name.utf8)
            return UInt32(bytes[0]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[2])
        })
}
