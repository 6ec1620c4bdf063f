import Foundation
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
    /// theirs, a vehicle a transaction; the vehicles are shared out over `store` and the `more` connections to the
    /// same database, a thread each (a vehicle's derivation is independent of the others').
    /// - Parameter crs: the fleet's metric frame as the pipeline uses it (nil: the UTM zone of the fleet's last
    ///   positions, as a server without `--crs` picks the zone of the first position it meets).
    public static func run(
        store: any TrackStore & ReportStore, more: [any TrackStore & ReportStore] = [], vehicles: [String] = [],
        crs: String? = nil, settings: TripSettings = TripSettings(),
        tracking: TrackingConfiguration = TrackingConfiguration()
    ) throws(StoreError) -> Result {
        let ids = vehicles.isEmpty ? try store.vehicles().map(\.id) : vehicles
        var result = Result()
        let positions = crs == nil ? try store.lastPositions().map(\.coordinate) : []
        if crs == nil && positions.isEmpty { return result }
        let crsName: String
        do throws(ProjError) {
            if let crs {
                crsName = crs
            } else {
                crsName = try LocalFrame.utm(for: positions).crs
            }
        } catch {
            throw .io("cannot build the frame: \(error)")
        }
        result.crs = crsName
        let stores = [store] + more
        let workers = (0..<stores.count).map { index in
            Worker(
                store: stores[index], ids: ids.enumerated().filter { $0.offset % stores.count == index }.map(\.element),
                crs: crsName, settings: settings, tracking: tracking)
        }
        if workers.count == 1 {
            workers[0].run()
        } else {
            let done = DispatchGroup()
            for worker in workers {
                done.enter()
                Thread.detachNewThread {
                    worker.run()
                    done.leave()
                }
            }
            done.wait()
        }
        for worker in workers {
            if let failure = worker.failure { throw failure }
            result.vehicles += worker.result.vehicles
            result.fixes += worker.result.fixes
            result.trips += worker.result.trips
            result.halts += worker.result.halts
        }
        return result
    }

    /// One thread's share: its own connection, frame and vehicles.
    private final class Worker: @unchecked Sendable {
        // @unchecked: used by one thread at a time (the one that runs it, then the caller after it finished).
        let store: any TrackStore & ReportStore
        let ids: [String]
        let crs: String
        let settings: TripSettings
        let tracking: TrackingConfiguration
        var result = Result()
        var failure: StoreError?

        init(
            store: any TrackStore & ReportStore, ids: [String], crs: String, settings: TripSettings,
            tracking: TrackingConfiguration
        ) {
            self.store = store
            self.ids = ids
            self.crs = crs
            self.settings = settings
            self.tracking = tracking
        }

        func run() {
            do throws(StoreError) {
                let frame: LocalFrame
                do throws(ProjError) { frame = try LocalFrame(crs: crs) } catch {
                    throw .io("cannot build the frame \(crs): \(error)")
                }
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
            } catch {
                failure = error
            }
        }
    }
}
