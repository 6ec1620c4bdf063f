import Geodesy
public import OrbitaModel
public import Tracking

/// Keeps report rows up to date as fixes are stored, so that a report reads rows instead of tracks. Fixes that
/// continue a vehicle's track are fed to its derivation in memory and only the rows they changed are written; older
/// fixes (late, imported, shuffled), or a vehicle not seen since the process started, make it derive the vehicle's
/// rows again from the last parking restart before them, from the stored track. Either way the rows are those a
/// derivation of the whole stored track gives.
///
/// Used on the thread that stores fixes, right after each batch commits: the rows are written in a transaction of
/// their own, so a crash between the two leaves rows behind their fixes, and the next start derives them again from
/// the last restart (every vehicle starts cold).
public final class ReportMaintainer {
    /// The thresholds.
    public let settings: TripSettings
    private let store: any TrackStore & ReportStore
    private let tracking: TrackingConfiguration
    private var frame: LocalFrame?

    /// A vehicle's derivation in memory, and where its rows that may still change begin.
    private struct Warm {
        var deriver: ReportDeriver
        var pendingFrom: UTCInstant?
    }

    private var warm: [String: Warm] = [:]

    /// Vehicles whose rows were derived again from the stored track (a late fix, a cold start).
    public private(set) var rederivations = 0
    /// Stored fixes read for those derivations.
    public private(set) var fixesRederived = 0

    /// A maintainer over `store`, cutting tracks with `settings`; `tracking` must be the pipeline's configuration
    /// (its outlier rule and parking hold are re-applied to fixes stored out of order).
    public init(
        store: any TrackStore & ReportStore, settings: TripSettings = TripSettings(),
        tracking: TrackingConfiguration = TrackingConfiguration()
    ) {
        self.store = store
        self.settings = settings
        self.tracking = tracking
    }

    /// Brings the rows of the vehicles of `points` — fixes just stored, in the order they were — up to date.
    /// - Parameter frameCRS: the pipeline's metric frame (distances and the parking hold are measured in it).
    /// - Throws: when the store or the frame fails; the vehicles of the batch are then derived again at their next
    ///   fixes.
    public func committed(_ points: [TrackPoint], frameCRS: String) throws(StoreError) {
        guard points.contains(where: { !$0.flags.contains(.ahead) }) else { return }
        let frame = try frame(frameCRS)
        var order: [String] = []
        var byVehicle: [String: [TrackPoint]] = [:]
        for point in points where !point.flags.contains(.ahead) {
            if byVehicle[point.vehicleID] == nil { order.append(point.vehicleID) }
            byVehicle[point.vehicleID, default: []].append(point)
        }
        var changes: [ReportRowsChange] = []
        changes.reserveCapacity(order.count)
        do throws(StoreError) {
            for vehicleID in order {
                guard let fixes = byVehicle[vehicleID] else { continue }
                if var vehicle = warm[vehicleID], Self.continues(fixes, after: vehicle.deriver.lastTime) {
                    for fix in fixes { vehicle.deriver.add(fix) }
                    let ended = vehicle.deriver.drainEnded()
                    let open = vehicle.deriver.openRows()
                    changes.append(
                        ReportRowsChange(
                            vehicleID: vehicleID, from: vehicle.pendingFrom, trips: ended.trips + (open?.trips ?? []),
                            halts: ended.halts + (open?.halts ?? [])))
                    vehicle.pendingFrom = Self.earliestStart(open) ?? vehicle.pendingFrom
                    warm[vehicleID] = vehicle
                } else {
                    let earliest = fixes.lazy.map(\.time).min() ?? fixes[0].time
                    changes.append(try rederive(vehicleID, before: earliest, frame: frame))
                }
            }
            try store.replaceReportRows(changes)
        } catch {
            for vehicleID in order { warm[vehicleID] = nil }
            throw error
        }
    }

    /// Forgets the vehicles' derivations (another cluster node maintains them now): their next fixes here derive
    /// them again from the store.
    public func forget(_ vehicleIDs: some Sequence<String>) {
        for vehicleID in vehicleIDs { warm[vehicleID] = nil }
    }

    /// Derives a vehicle's rows again from the last restart taken before `time` (from the start of its track when
    /// there is none), and keeps the derivation warm.
    private func rederive(_ vehicleID: String, before time: UTCInstant, frame: LocalFrame) throws(StoreError)
        -> ReportRowsChange
    {
        var deriver = ReportDeriver(vehicleID: vehicleID, frame: frame, settings: settings, tracking: tracking)
        var from: UTCInstant?
        var readFrom: UTCInstant?
        if let parking = try store.reportRestart(vehicleID: vehicleID, before: time), let restart = parking.restart,
            let resumed = ReportDeriver(
                vehicleID: vehicleID, frame: frame, settings: settings, tracking: tracking, restart: restart)
        {
            deriver = resumed
            from = parking.start
            readFrom = UTCInstant(microsecondsSinceEpoch: restart.after.microsecondsSinceEpoch + 1)
        }
        let track = try store.track(vehicleID: vehicleID, from: readFrom, to: nil)
        for point in track { deriver.add(point) }
        let rows = deriver.rows()
        _ = deriver.drainEnded()
        rederivations += 1
        fixesRederived += track.count
        warm[vehicleID] = Warm(deriver: deriver, pendingFrom: Self.earliestStart(deriver.openRows()) ?? from)
        return ReportRowsChange(vehicleID: vehicleID, from: from, trips: rows.trips, halts: rows.halts)
    }

    private func frame(_ crs: String) throws(StoreError) -> LocalFrame {
        if let frame, frame.crs == crs { return frame }
        do throws(ProjError) {
            let made = try LocalFrame(crs: crs)
            frame = made
            warm = [:]
            return made
        } catch {
            throw .io("report rows: cannot build the frame \(crs): \(error)")
        }
    }

    /// Whether fixes continue a derivation that last took a fix at `last`: all later, in time order.
    private static func continues(_ fixes: [TrackPoint], after last: UTCInstant?) -> Bool {
        guard var previous = last else { return false }
        for fix in fixes {
            guard fix.time > previous else { return false }
            previous = fix.time
        }
        return true
    }

    private static func earliestStart(_ open: (trips: [Trip], halts: [Halt])?) -> UTCInstant? {
        guard let open else { return nil }
        return (open.trips.map(\.start.time) + open.halts.map(\.start)).min()
    }
}
