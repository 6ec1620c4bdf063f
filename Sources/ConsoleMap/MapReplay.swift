public import OrbitaModel

/// One stored fix of a replayed track, in the map's frame.
public struct ReplayFix: Sendable, Equatable {
    /// When it was taken.
    public var time: UTCInstant
    /// Where, in the map's frame.
    public var point: PlanarPoint
    /// Course over ground, degrees, when known.
    public var courseDegrees: Double?
    /// Speed, m/s, when known.
    public var speedMetersPerSecond: Double?

    /// Creates a replay fix.
    public init(time: UTCInstant, point: PlanarPoint, courseDegrees: Double?, speedMetersPerSecond: Double?) {
        self.time = time
        self.point = point
        self.courseDegrees = courseDegrees
        self.speedMetersPerSecond = speedMetersPerSecond
    }
}

/// Replay of one vehicle's stored track: a cursor on its fixes that steps (←/→) or plays (Space) at a speed
/// (`[` halves, `]` doubles; 1× is real time), drawing the trail driven so far.
public struct MapReplay: Sendable {
    /// The replayed vehicle.
    public let vehicleID: String
    /// Its fixes, oldest first (never empty).
    public let fixes: [ReplayFix]
    /// The fix shown.
    public private(set) var index = 0
    /// Playing (otherwise paused).
    public var playing = false
    /// Replay seconds per real second.
    public private(set) var speed = 8.0
    /// Replay time within the current fix's interval, seconds past the current fix.
    private var elapsed = 0.0

    /// A replay from the first fix, paused; nil without fixes.
    public init?(vehicleID: String, fixes: [ReplayFix]) {
        guard !fixes.isEmpty else { return nil }
        self.vehicleID = vehicleID
        self.fixes = fixes
    }

    /// The fix shown.
    public var current: ReplayFix { fixes[index] }

    /// Moves `count` fixes (negative: back), pausing.
    public mutating func step(_ count: Int) {
        playing = false
        elapsed = 0
        index = min(fixes.count - 1, max(0, index + count))
    }

    /// Halves (`faster == false`) or doubles the speed, between 1× and 1024×.
    public mutating func changeSpeed(faster: Bool) {
        speed = min(1_024, max(1, faster ? speed * 2 : speed / 2))
    }

    /// Advances a playing replay by `seconds` of wall time; stops at the last fix.
    public mutating func advance(seconds: Double) {
        guard playing else { return }
        elapsed += seconds * speed
        while index + 1 < fixes.count {
            let gap = fixes[index + 1].time.seconds(since: fixes[index].time)
            // Gaps longer than a minute (parked overnight, a tunnel) are skipped at once, not waited out.
            let wait = min(max(gap, 0), 60)
            guard elapsed >= wait else { break }
            elapsed -= wait
            index += 1
        }
        if index + 1 == fixes.count {
            playing = false
            elapsed = 0
        }
    }

    /// The scene as the replay shows it: the other vehicles dimmed to stale, the replayed one at its current fix,
    /// the trail driven so far as a line.
    public func scene(over live: MapScene, label: String) -> MapScene {
        var scene = live
        scene.vehicles = live.vehicles.filter { $0.id != vehicleID }.map {
            var dimmed = $0
            dimmed.state = .stale
            return dimmed
        }
        let fix = current
        scene.vehicles.append(
            MapVehicle(
                id: vehicleID, label: label, point: fix.point,
                state: MarkerState(LiveState(speedMetersPerSecond: fix.speedMetersPerSecond)),
                courseDegrees: fix.courseDegrees))
        // The trail so far in runs of one speed band each (Wialon colours tracks by speed); a segment takes the
        // band of the fix it ends at.
        if index > 0 {
            var start = 0
            for end in 1...index {
                let last = end == index
                if last || Self.band(of: fixes[end + 1]) != Self.band(of: fixes[end]) {
                    scene.overlays.append(
                        MapLine(points: fixes[start...end].map(\.point), colour: Self.band(of: fixes[end])))
                    start = end
                }
            }
        }
        return scene
    }

    /// The trail colour of a fix's speed: grey under 5 km/h, orange under 30, green under 60, cyan above.
    public static func band(of fix: ReplayFix) -> UInt8 {
        let kmh = (fix.speedMetersPerSecond ?? 0) * 3.6
        return kmh < 5 ? 244 : kmh < 30 ? 214 : kmh < 60 ? 46 : 51
    }

    /// How far through the track, as a bar of `width` cells.
    public func progressBar(width: Int) -> String {
        let filled = fixes.count > 1 ? index * width / (fixes.count - 1) : width
        return "[" + String(repeating: "=", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// The status line's replay part: vehicle, time, position in the track, speed, state.
    public var status: String {
        let clock = String(current.time.iso8601.prefix(19).map { $0 == "T" ? " " : $0 })
        let kmh = (current.speedMetersPerSecond ?? 0) * 3.6
        return
            "REPLAY \(vehicleID) \(clock) \(progressBar(width: 20)) fix \(index + 1)/\(fixes.count) \(Int(kmh.rounded())) km/h "
            + "×\(Int(speed)) \(playing ? "playing" : "paused") (←/→ step, Space play, [/] speed, r or Esc end)"
    }
}
