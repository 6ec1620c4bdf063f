import Geodesy
public import OrbitaModel
public import Tracking

/// Keeps report rows up to date as fixes are stored, so that a report reads rows instead of tracks. Fixes that
/// continue a vehicle's track are fed to its derivation in memory; older fixes (late, imported, shuffled), or a
/// vehicle not seen since the process started, make it derive the vehicle's rows again from the last parking restart
/// before them, from the stored track. Either way the rows are those a derivation of the whole stored track gives.
///
/// Rows that ended are written at the next commit; the rows still going on (the current trip, stop or parking) at
/// most every `openRowsInterval`, and by `flush` — so that a fleet whose every vehicle sends at every commit does
/// not rewrite every vehicle's open rows at every commit. Used on the thread that stores fixes, right after each batch
/// commits, in a transaction of its own. A failed write is remembered: the vehicle's next derivation starts before
/// the earliest fix it missed. A crash between the two transactions leaves rows behind their fixes: every vehicle
/// starts cold and is derived again from the last restart before its next fix, which misses late fixes of the lost
/// batch older than that restart (`orbita report rebuild` mends them).
public final class ReportMaintainer {
    /// The thresholds.
    public let settings: TripSettings
    /// How long a vehicle's rows still going on may lag its fixes (rows that ended are written at once).
    public var openRowsInterval: Duration = .seconds(30)
    private let store: any TrackStore & ReportStore
    private let tracking: TrackingConfiguration
    private var frame: LocalFrame?
    private let clock = ContinuousClock()

    /// A vehicle's derivation in memory, and what of it is written. A value kept in `WarmVehicles` and changed in place
    /// there (not copied, nor a reference retained and released, per fix).
    private struct Warm {
        var deriver: ReportDeriver
        /// Where its written rows that may still change begin (nil: all of its rows).
        var pendingFrom: UTCInstant?
        /// Rows that ended from `pendingFrom` on (a stop inside the trip still going on): written again with the
        /// open rows each time, since a change replaces everything from `pendingFrom`.
        var settled: (trips: [Trip], halts: [Halt]) = ([], [])
        /// When its rows were last written.
        var written: ContinuousClock.Instant
        /// Fixes fed since then.
        var dirty = false

        init(deriver: ReportDeriver, pendingFrom: UTCInstant?, written: ContinuousClock.Instant) {
            self.deriver = deriver
            self.pendingFrom = pendingFrom
            self.written = written
        }

        /// After writing `trips` and `halts` that ended and the `open` rows: the next change begins at the earliest
        /// open row, and keeps the ended rows from there on.
        mutating func keep(trips: [Trip], halts: [Halt], open: (trips: [Trip], halts: [Halt])?) {
            guard let open else { return }
            let from = (open.trips.map(\.start.time) + open.halts.map(\.start)).min() ?? pendingFrom
            pendingFrom = from
            if let from {
                settled = (trips.filter { $0.start.time >= from }, halts.filter { $0.start >= from })
            } else {
                settled = (trips, halts)
            }
        }
    }

    /// The vehicles derived in memory: values in an array, found by a dictionary from vehicle to position (a value in
    /// a dictionary would be copied out to be read), or, faster, by the pipeline's slot for the vehicle.
    private struct WarmVehicles {
        private var positions: [String: Int] = [:]
        /// Position in `all` by pipeline slot (`PipelineHint.vehicleSlot`), -1 for none; an entry may be stale
        /// (the vehicle moved or left), so a hit is checked against the vehicle ID.
        private var bySlot: [Int32] = []
        /// The vehicles, in no order.
        var all: [Warm] = []

        /// Slots beyond this are not remembered (4 bytes each): a process that met more vehicles looks them up by
        /// name.
        static let slotLimit: Int32 = 1 << 22

        /// Where a vehicle is in `all`.
        func position(of id: String) -> Int? { positions[id] }

        /// Where a vehicle is in `all`, by its pipeline slot when that is known and current, else by name (and the
        /// slot remembered).
        mutating func position(of id: String, slot: Int32) -> Int? {
            if slot >= 0, Int(slot) < bySlot.count {
                let at = Int(bySlot[Int(slot)])
                if at >= 0, at < all.count, all[at].deriver.vehicleID == id { return at }
            }
            guard let at = positions[id] else { return nil }
            if slot >= 0, slot < Self.slotLimit {
                if Int(slot) >= bySlot.count {
                    bySlot.append(
                        contentsOf: repeatElement(-1, count: max(Int(slot) + 1, bySlot.count * 2) - bySlot.count))
                }
                bySlot[Int(slot)] = Int32(at)
            }
            return at
        }

        /// A vehicle's derivation, copied.
        subscript(id: String) -> Warm? { positions[id].map { all[$0] } }

        /// Adds a vehicle's derivation, or replaces it.
        mutating func insert(_ vehicle: Warm) {
            if let at = positions[vehicle.deriver.vehicleID] {
                all[at] = vehicle
            } else {
                positions[vehicle.deriver.vehicleID] = all.count
                all.append(vehicle)
            }
        }

        /// Forgets a vehicle's derivation (the last one takes its position).
        mutating func remove(_ id: String) {
            guard let at = positions.removeValue(forKey: id) else { return }
            let last = all.count - 1
            if at != last {
                all.swapAt(at, last)
                positions[all[at].deriver.vehicleID] = at
            }
            all.removeLast()
        }
    }

    private var warm = WarmVehicles()
    /// Vehicles with fixes fed and not written.
    private var dirty: Set<String> = []
    /// Vehicles whose rows a failed write left behind their fixes, from when: their next derivation starts before it.
    private var staleFrom: [String: UTCInstant] = [:]

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
    /// - Parameters:
    ///   - hints: for each point, what the pipeline knew of it: its vehicle's slot, and for a fix accepted in order
    ///     its planar position in the frame (not projected again); empty: all looked up and projected here.
    ///   - frameCRS: the pipeline's metric frame (distances and the parking hold are measured in it).
    /// - Throws: when the store or the frame fails; the vehicles of the batch are then derived again at their next
    ///   fixes.
    public func committed(_ points: [TrackPoint], hints: [PipelineHint] = [], frameCRS: String) throws(StoreError) {
        let frame = try frame(frameCRS)
        var changes: [ReportRowsChange] = []
        var settled: [ReportRowsChange] = []
        var cold: [String: UTCInstant] = [:]
        var coldOrder: [String] = []
        // The loop works on the vehicles taken out of `warm` (put back below): changed in place, found once per
        // run of one vehicle's points.
        var vehicles = warm
        warm = WarmVehicles()
        var currentID: String?
        var current: Int?
        // The points are read in place, through a buffer pointer, not copied out: they are large, and this runs for
        // every fix.
        points.withUnsafeBufferPointer { points in
            for index in points.indices where !points[index].flags.contains(.ahead) {
                let id = points[index].vehicleID
                let time = points[index].time
                if currentID != id {
                    currentID = id
                    let slot = index < hints.count ? hints[index].vehicleSlot : -1
                    current = cold.isEmpty || cold[id] == nil ? vehicles.position(of: id, slot: slot) : nil
                }
                if let at = current, vehicles.all[at].deriver.lastTime.map({ time > $0 }) ?? true {
                    if index < hints.count, hints[index].planar.x.isFinite {
                        var input = StoredTrackFilter.Input(points[index])
                        if let after = hints[index].segmentAfter {
                            input.pipelineSegment = (after, points[index].segmentMeters ?? 0)
                        }
                        vehicles.all[at].deriver.add(input, planar: hints[index].planar)
                    } else {
                        vehicles.all[at].deriver.add(points[index])
                    }
                    if !vehicles.all[at].dirty {
                        vehicles.all[at].dirty = true
                        dirty.insert(id)
                    }
                    continue
                }
                // Older than what it took, or not in memory: derived again from the store (which holds the batch).
                if let earliest = cold[id] {
                    if time < earliest { cold[id] = time }
                } else {
                    cold[id] = min(time, staleFrom[id] ?? time)
                    coldOrder.append(id)
                    // What it derived and did not write yet is written first: the derivation again starts from a
                    // restart the store holds, and rewrites only the rows from there on.
                    if let at = current {
                        if let change = change(id, &vehicles.all[at], now: clock.now, force: true) {
                            settled.append(change)
                        }
                        vehicles.remove(id)
                    }
                    dirty.remove(id)
                    current = nil
                }
            }
        }
        warm = vehicles
        vehicles = WarmVehicles()  // else a change below would copy every vehicle (a second reference)
        do throws(StoreError) {
            try store.replaceReportRows(settled)
            for id in coldOrder {
                guard let earliest = cold[id] else { continue }
                changes.append(try rederive(id, before: earliest, frame: frame))
            }
            let now = clock.now
            for id in dirty {
                guard let at = warm.position(of: id) else { continue }
                if let change = change(id, &warm.all[at], now: now, force: false) { changes.append(change) }
            }
            try store.replaceReportRows(changes)
        } catch {
            // Nothing of this batch's rows was written: each vehicle is derived again at its next fix, from before
            // the earliest fix this batch brought (a late one included).
            for id in coldOrder { markStale(id, from: cold[id]) }
            for change in changes { markStale(change.vehicleID, from: change.from) }
            for id in dirty { markStale(id, from: warm[id]?.pendingFrom) }
            dirty = []
            throw error
        }
        for id in coldOrder { staleFrom[id] = nil }
    }

    /// Forgets a vehicle's derivation after a failed write, remembering that its rows may be wrong from `time` on
    /// (nil: from its first row).
    private func markStale(_ id: String, from time: UTCInstant?) {
        warm.remove(id)
        let from = time ?? UTCInstant(microsecondsSinceEpoch: .min)
        staleFrom[id] = min(from, staleFrom[id] ?? from)
    }

    /// Writes every vehicle's rows still going on (at the end of an import, before a server stops).
    public func flush() throws(StoreError) {
        let now = clock.now
        var changes: [ReportRowsChange] = []
        for id in dirty {
            guard let at = warm.position(of: id), let change = change(id, &warm.all[at], now: now, force: true)
            else { continue }
            changes.append(change)
        }
        do throws(StoreError) {
            try store.replaceReportRows(changes)
        } catch {
            for change in changes { markStale(change.vehicleID, from: change.from) }
            throw error
        }
    }

    /// Forgets the vehicles' derivations without writing what was not written (another cluster node may maintain them
    /// already: its rows are newer): their next fixes here derive them again from the store.
    public func forget(_ vehicleIDs: some Sequence<String>) {
        for vehicleID in vehicleIDs {
            warm.remove(vehicleID)
            dirty.remove(vehicleID)
        }
    }

    /// Hands the vehicles over (another cluster node maintains them now): writes what was derived for them and not
    /// yet written — the new owner derives them again only at their next fix, which may not come soon (a vehicle that
    /// parked for the night) — and forgets them: their next fixes here derive them again from the store.
    /// - Throws: when the rows cannot be written; the vehicles are forgotten all the same.
    public func handOver(_ vehicleIDs: [String]) throws(StoreError) {
        let now = clock.now
        let changes = vehicleIDs.compactMap { vehicleID in
            warm.position(of: vehicleID).flatMap { change(vehicleID, &warm.all[$0], now: now, force: true) }
        }
        forget(vehicleIDs)
        try store.replaceReportRows(changes)
    }

    /// The change to write for a vehicle fed since it was written: when rows ended, when its open rows are older
    /// than `openRowsInterval`, or when forced; nil otherwise (it stays dirty).
    private func change(_ id: String, _ vehicle: inout Warm, now: ContinuousClock.Instant, force: Bool)
        -> ReportRowsChange?
    {
        guard vehicle.dirty else {
            dirty.remove(id)
            return nil
        }
        let ended = vehicle.deriver.hasEnded
        guard force || ended || vehicle.written.duration(to: now) >= openRowsInterval else { return nil }
        let closed = vehicle.deriver.drainEnded()
        let open = vehicle.deriver.openRows()
        let trips = vehicle.settled.trips + closed.trips
        let halts = vehicle.settled.halts + closed.halts
        let change = ReportRowsChange(
            vehicleID: id, from: vehicle.pendingFrom, trips: trips + (open?.trips ?? []),
            halts: halts + (open?.halts ?? []))
        vehicle.keep(trips: trips, halts: halts, open: open)
        vehicle.written = now
        vehicle.dirty = false
        dirty.remove(id)
        return change
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
        if readFrom == nil {
            // From the first stored fix: rows before it (their fixes dropped by retention) are kept.
            from = track.first?.time ?? UTCInstant(microsecondsSinceEpoch: .max)
        }
        for point in track { deriver.add(point) }
        let closed = deriver.drainEnded()
        let open = deriver.openRows()
        rederivations += 1
        fixesRederived += track.count
        var vehicle = Warm(deriver: deriver, pendingFrom: from, written: clock.now)
        vehicle.keep(trips: closed.trips, halts: closed.halts, open: open)
        warm.insert(vehicle)
        return ReportRowsChange(
            vehicleID: vehicleID, from: from, trips: closed.trips + (open?.trips ?? []),
            halts: closed.halts + (open?.halts ?? []))
    }

    private func frame(_ crs: String) throws(StoreError) -> LocalFrame {
        if let frame, frame.crs == crs { return frame }
        do throws(ProjError) {
            let made = try LocalFrame(crs: crs)
            frame = made
            warm = WarmVehicles()
            dirty = []
            return made
        } catch {
            throw .io("report rows: cannot build the frame \(crs): \(error)")
        }
    }
}
