public import Foundation
import OrbitaModel

/// What a run sent.
public struct FleetRunReport: Sendable, Equatable {
    /// Cycles sent (one per vehicle per period; one per logged cycle when replaying).
    public var cycles = 0
    /// Cycles the server acknowledged (TCP with acknowledgements), else nil.
    public var acknowledged: Int?
    /// Wall time of the run, seconds.
    public var seconds = 0.0
}

/// A simulated fleet sent in real time: every 1/`rate` s one cycle per vehicle, spread over ≈ 20 ms slices of the
/// period, stamped with the UTC time it was due — not when it went out, so a sender that stalls and catches up still
/// stamps each cycle one period after the one before (stamped at sending, a burst of catch-up cycles shared one time
/// and all but one were duplicates).
public struct LiveFleetRun {
    private var fleet: FleetLogGenerator
    private let vehicles: Int
    private let rate: Double
    private let duration: Double

    /// A run of `fleet` (of `vehicles` vehicles) at `rate` cycles per second per vehicle for `duration` seconds.
    public init(fleet: FleetLogGenerator, vehicles: Int, rate: Double, duration: Double) {
        self.fleet = fleet
        self.vehicles = vehicles
        self.rate = rate
        self.duration = duration
    }

    /// Sends the fleet through `sender`; every cycle sent is also written to `log` when given. `progress` is called
    /// every ten periods with the cycles and periods sent so far. With `expectAcknowledgements` the report counts
    /// the server's acknowledgements (waiting up to 5 s for them at the end).
    public mutating func run(
        through sender: any FleetSender, log: FileHandle? = nil, expectAcknowledgements: Bool = false,
        progress: (_ cycles: Int, _ periods: Int) -> Void = { _, _ in }
    ) async throws -> FleetRunReport {
        let clock = ContinuousClock()
        let start = clock.now
        let wallStart = UTCInstant.now
        let period = 1 / rate
        let slices = max(1, min(vehicles, Int(50 * period)))
        var report = FleetRunReport()
        var tick = 0
        var logBuffer: [UInt8] = []
        var scratch: [UInt8] = []
        while Double(tick) * period < duration {
            for slice in 0..<slices {
                let offset = Double(tick) * period + Double(slice) * period / Double(slices)
                let due = start + .seconds(offset)
                if due > clock.now { try await Task.sleep(until: due, clock: clock) }
                let stamp = FleetLogGenerator.Stamp(wallStart.adding(seconds: offset))
                var batch = sender.batch()
                var index = slice
                while index < vehicles {
                    scratch.removeAll(keepingCapacity: true)
                    fleet.cycle(index, dt: period, stamp: stamp, into: &scratch)
                    batch.add(scratch, vehicle: index)
                    if log != nil { logBuffer.append(contentsOf: scratch) }
                    report.cycles += 1
                    index += slices
                }
                sender.send(batch)
                if logBuffer.count > 1 << 20, let log {
                    log.write(Data(logBuffer))
                    logBuffer.removeAll(keepingCapacity: true)
                }
            }
            tick += 1
            if tick % max(1, Int(rate * 10)) == 0 { progress(report.cycles, tick) }
        }
        if let log { log.write(Data(logBuffer)) }
        let acknowledged = await sender.finish(expecting: expectAcknowledgements ? report.cycles : nil)
        if expectAcknowledgements { report.acknowledged = acknowledged }
        report.seconds = start.duration(to: clock.now).seconds
        return report
    }
}

extension ReplayLog {
    /// Sends the log cycle by cycle at its own pace divided by `speed` (0: as fast as possible), up to `duration`
    /// seconds of the log's time when given. Over TCP everything goes through one connection, so that the file's
    /// order is kept.
    /// With `expectAcknowledgements` (TCP), waits for the server's acknowledgement of every cycle sent (up to 5 s).
    public func play(
        through sender: any FleetSender, speed: Double, duration: Double?, expectAcknowledgements: Bool = false
    ) async throws -> FleetRunReport {
        let clock = ContinuousClock()
        let start = clock.now
        var first: Double?
        var batch = sender.batch()
        var report = FleetRunReport()
        for cycle in cycles {
            if let seconds = cycle.seconds, speed > 0 {
                let origin = first ?? seconds
                first = origin
                if let duration, (seconds - origin) / speed > duration { break }
                let due = start + .seconds((seconds - origin) / speed)
                if due > clock.now {
                    sender.send(batch)
                    batch = sender.batch()
                    try await Task.sleep(until: due, clock: clock)
                }
            }
            batch.add(cycle.bytes, vehicle: 0)
            report.cycles += 1
            if batch.buffers.count >= 256 {
                sender.send(batch)
                batch = sender.batch()
            }
        }
        sender.send(batch)
        let acknowledged = await sender.finish(expecting: expectAcknowledgements ? report.cycles : nil)
        if expectAcknowledgements { report.acknowledged = acknowledged }
        report.seconds = start.duration(to: clock.now).seconds
        return report
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
