import Geodesy
public import OrbitaModel
public import Tracking

/// Derives report rows again, whole, from stored tracks: for a database from before report rows were kept, after
/// changing the thresholds, or to check the maintained rows (the same fixes give the same rows).
public enum ReportRebuild {
    /// What a rebuild did.
    public struct Result: Sendable, Equatable {
        /// Vehicles derived.
        public var vehicles = 0
        /// Stored fixes read.
        public var fixes = 0
        /// Trips written.
        public var trips = 0
        /// Stops and parkings written.
        public var halts = 0
        /// The frame distances were measured in.
        public var crs = ""
    }

    /// Derives the rows of `vehicles` (empty: every registered vehicle) from their whole stored tracks and replaces
    /// theirs, a vehicle a transaction.
    /// - Parameter crs: the fleet's metric frame as the pipeline uses it (nil: the UTM zone of the fleet's last
    ///   positions, as a server without `--crs` picks the zone of the first position it meets).
    public static func run(
        store: any TrackStore & ReportStore, vehicles: [String] = [], crs: String? = nil,
        settings: TripSettings = TripSettings(), tracking: TrackingConfiguration = TrackingConfiguration()
    ) throws(StoreError) -> Result {
        let ids = vehicles.isEmpty ? try store.vehicles().map(\.id) : vehicles
        var result = Result()
        let positions = crs == nil ? try store.lastPositions().map(\.coordinate) : []
        if crs == nil && positions.isEmpty { return result }
        let frame: LocalFrame
        do throws(ProjError) {
            if let crs {
                frame = try LocalFrame(crs: crs)
            } else {
                frame = try LocalFrame.utm(for: positions)
            }
        } catch {
            throw .io("cannot build the frame: \(error)")
        }
        result.crs = frame.crs
        for id in ids {
            let track = try store.track(vehicleID: id, from: nil, to: nil)
            var deriver = ReportDeriver(vehicleID: id, frame: frame, settings: settings, tracking: tracking)
            for point in track { deriver.add(point) }
            let rows = deriver.rows()
            try store.replaceReportRows([
                ReportRowsChange(vehicleID: id, from: nil, trips: rows.trips, halts: rows.halts)
            ])
            result.vehicles += 1
            result.fixes += track.count
            result.trips += rows.trips.count
            result.halts += rows.halts.count
        }
        return result
    }
}
