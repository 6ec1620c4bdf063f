import Foundation
public import OrbitaModel

/// Degrees of atan2.
private func atan2Degrees(_ y: Double, _ x: Double) -> Double { atan2(y, x) * 180 / .pi }

/// Writes a realistic multi-constellation fleet log: per vehicle per second a `$PGID` identity line, then
/// RMC, VTG, GGA, one GSA per constellation (NMEA 4.10 system IDs) and GSV groups for GPS, GLONASS and, for
/// some vehicles, Galileo and BeiDou. Vehicles drive around Moscow; about 1% of epochs have no fix.
public struct FleetLogGenerator {
    private struct Satellite {
        var number: Int
        var elevation: Int
        var azimuth: Int
        var snr: Int
    }

    private struct Vehicle {
        var id: String
        var latitude: Double
        var longitude: Double
        var altitude: Double
        var heading: Double
        var speed: Double
        var noFixSeconds = 0
        var constellations: [(talker: String, systemID: Int, satellites: [Satellite])]
        var route: RouteState?
        var noise = (north: 0.0, east: 0.0)
    }

    /// A vehicle driving a route: the route, how far along it is, and whether it makes a detour.
    private struct RouteState {
        var points: [Coordinate]
        var cumulative: [Double]
        var along: Double
        var detour: Bool
        var dwell = 0.0
        var backwards = false
    }

    private var rng: SeededGenerator
    /// Reused for every cycle (its memory is kept).
    private let writer = SentenceWriter(out: [])
    private var vehicles: [Vehicle] = []
    private var second = 8 * 3600

    /// A fleet of `count` vehicles from `seed`; IDs are `PREFIX0001…` with a prefix, else IMEI-like.
    public init(vehicles count: Int, seed: UInt64, prefix: String? = nil) {
        rng = SeededGenerator(seed: seed)
        for index in 0..<count {
            var systems: [(talker: String, systemID: Int, satellites: [Satellite])] = [
                ("GP", 1, satellites(1...32, rng.int(8...12))), ("GL", 2, satellites(65...88, rng.int(5...9))),
            ]
            if index % 3 == 0 { systems.append(("GA", 3, satellites(1...36, rng.int(4...8)))) }
            if index % 4 == 1 { systems.append(("GB", 4, satellites(1...37, rng.int(4...9)))) }
            var id = "35" + String(100_000_000_000 + UInt64(index) * 7_919)
            if let prefix {
                let number = String(index + 1)
                id = prefix + String(repeating: "0", count: max(0, 4 - number.count)) + number
            }
            vehicles.append(
                Vehicle(
                    id: id, latitude: 55.75 + rng.uniform(-0.2, 0.2), longitude: 37.6 + rng.uniform(-0.35, 0.35),
                    altitude: rng.uniform(120, 220), heading: rng.uniform(0, 360), speed: rng.uniform(0, 20),
                    constellations: systems))
        }
    }

    private mutating func satellites(_ numbers: ClosedRange<Int>, _ count: Int) -> [Satellite] {
        var chosen: [Int] = []
        while chosen.count < count {
            let number = rng.int(numbers)
            if !chosen.contains(number) { chosen.append(number) }
        }
        return chosen.sorted().map {
            Satellite(number: $0, elevation: rng.int(5...85), azimuth: rng.int(0...359), snr: rng.int(15...48))
        }
    }

    /// Writes whole epochs until `lines` lines are written (the last epoch is cut to fit).
    public mutating func generate(lines: Int, write: (String) -> Void) {
        var written = 0
        var block: [UInt8] = []
        while written < lines {
            for index in vehicles.indices {
                var vehicle = vehicles[index]
                step(&vehicle)
                vehicles[index] = vehicle
                emit(vehicle, into: &block)
                var lineStart = 0
                for (offset, byte) in block.enumerated() where byte == UInt8(ascii: "\n") && written < lines {
                    write(String(decoding: block[lineStart...offset], as: UTF8.self))
                    lineStart = offset + 1
                    written += 1
                }
                if written >= lines { return }
            }
            second += 1
        }
    }

    /// The vehicles' identities, in order.
    public var vehicleIDs: [String] { vehicles.map(\.id) }

    /// Puts vehicle `index` on a route (lat/lon vertices), `offset` metres from its start.
    public mutating func assign(_ index: Int, route: [Coordinate], offset: Double, detour: Bool) {
        guard route.count >= 2 else { return }
        var cumulative = [0.0]
        for i in 1..<route.count { cumulative.append(cumulative[i - 1] + Self.metres(route[i - 1], route[i])) }
        let length = max(1, cumulative[cumulative.count - 1])
        vehicles[index].route = RouteState(
            points: route, cumulative: cumulative, along: offset.truncatingRemainder(dividingBy: length), detour: detour
        )
        var vehicle = vehicles[index]
        vehicle.speed = rng.uniform(6, 12)
        place(&vehicle)
        vehicles[index] = vehicle
    }

    /// One cycle of sentences of vehicle `index` after `dt` seconds, stamped with `stamp` (its UTC time), appended
    /// to `out`.
    public mutating func cycle(_ index: Int, dt: Double, stamp: Stamp, into out: inout [UInt8]) {
        var vehicle = vehicles[index]
        if vehicle.route != nil { stepAlongRoute(&vehicle, dt: dt) } else { step(&vehicle, dt: dt) }
        vehicles[index] = vehicle
        emit(vehicle, stamp: stamp, into: &out)
    }

    /// Metres between two positions (spherical; the simulator's own motion only).
    static func metres(_ a: Coordinate, _ b: Coordinate) -> Double {
        let dLat = (b.latitude - a.latitude) * .pi / 180
        let dLon = (b.longitude - a.longitude) * .pi / 180 * _cos((a.latitude + b.latitude) / 2 * .pi / 180)
        return 6_371_008.8 * (dLat * dLat + dLon * dLon).squareRoot()
    }

    /// Drives along the route at a plausible bus speed, stopping about every 600 m for 10–30 s; a detouring vehicle
    /// leaves the route 400 m sideways between 30% and 45% of each lap and comes back.
    private mutating func stepAlongRoute(_ vehicle: inout Vehicle, dt: Double) {
        guard var route = vehicle.route else { return }
        if route.dwell > 0 {
            route.dwell -= dt
            vehicle.speed = 0
        } else {
            let target = rng.uniform(8, 14)
            vehicle.speed = min(16, max(3, 0.9 * vehicle.speed + 0.1 * target + rng.gaussian() * 0.3))
            let before = route.along
            route.along += route.backwards ? -vehicle.speed * dt : vehicle.speed * dt
            // Out and back: at a terminal the vehicle waits, turns and drives the route the other way.
            let length = route.cumulative[route.cumulative.count - 1]
            if route.along >= length || route.along <= 0 {
                route.along = min(length, max(0, route.along))
                route.backwards.toggle()
                route.dwell = rng.uniform(20, 40)
            } else if Int(before / 600) != Int(route.along / 600) {
                route.dwell = rng.uniform(10, 30)
            }
        }
        vehicle.route = route
        place(&vehicle, dt: dt)
        vehicle.altitude += rng.gaussian() * 0.2
    }

    /// Sets the position and heading from the distance along the route, with receiver noise (≈ 2 m).
    private mutating func place(_ vehicle: inout Vehicle, dt: Double = 1) {
        guard let route = vehicle.route else { return }
        var segment = 0
        while segment + 2 < route.cumulative.count && route.cumulative[segment + 1] < route.along { segment += 1 }
        let a = route.points[segment]
        let b = route.points[segment + 1]
        let span = max(1e-9, route.cumulative[segment + 1] - route.cumulative[segment])
        let t = min(1, max(0, (route.along - route.cumulative[segment]) / span))
        let north = (b.latitude - a.latitude) * .pi / 180 * 6_371_008.8
        let east = (b.longitude - a.longitude) * .pi / 180 * 6_371_008.8 * _cos(a.latitude * .pi / 180)
        let forward = (atan2Degrees(east, north) + 360).truncatingRemainder(dividingBy: 360)
        let heading = route.backwards ? (forward + 180).truncatingRemainder(dividingBy: 360) : forward
        var latitude = a.latitude + t * (b.latitude - a.latitude)
        var longitude = a.longitude + t * (b.longitude - a.longitude)
        let length = route.cumulative[route.cumulative.count - 1]
        var sideways = 0.0
        if route.detour {
            // 400 m off the route between 30% and 45% of each lap, turning off and back over 300 m of road.
            let start = 0.30 * length
            let end = 0.45 * length
            if route.along > start && route.along < end {
                sideways = 400 * min(1, min(route.along - start, end - route.along) / 300)
            }
        }
        // Receiver noise is correlated in time (multipath, atmosphere): an AR(1) walk with σ ≈ 1.5 m and a 10 s
        // correlation time, so 10 Hz fixes do not jump metres apart.
        let keep = exp(-dt / 10)
        let fresh = 1.5 * (1 - keep * keep).squareRoot()
        vehicle.noise.north = keep * vehicle.noise.north + fresh * rng.gaussian()
        vehicle.noise.east = keep * vehicle.noise.east + fresh * rng.gaussian()
        let radians = heading * .pi / 180
        let offsetNorth = vehicle.noise.north - sideways * _sin(radians)
        let offsetEast = vehicle.noise.east + sideways * _cos(radians)
        latitude += offsetNorth / 6_371_008.8 * 180 / .pi
        longitude += offsetEast / (6_371_008.8 * _cos(latitude * .pi / 180)) * 180 / .pi
        vehicle.latitude = latitude
        vehicle.longitude = longitude
        if vehicle.speed > 0.5 { vehicle.heading = heading }
    }

    private mutating func step(_ vehicle: inout Vehicle, dt: Double = 1) {
        let target = rng.unit() < 0.002 ? 0 : vehicle.speed + rng.gaussian() * 0.7
        vehicle.speed = min(max(0, 0.9 * vehicle.speed + 0.1 * target + rng.gaussian() * 0.3), 33)
        vehicle.heading = (vehicle.heading + rng.gaussian() * (vehicle.speed > 2 ? 4 : 20) + 360)
            .truncatingRemainder(dividingBy: 360)
        let radians = vehicle.heading * .pi / 180
        vehicle.latitude += vehicle.speed * dt * _cos(radians) / 6_371_008.8 * 180 / .pi
        vehicle.longitude +=
            vehicle.speed * dt * _sin(radians) / (6_371_008.8 * _cos(vehicle.latitude * .pi / 180)) * 180 / .pi
        if abs(vehicle.latitude - 55.75) > 0.27 || abs(vehicle.longitude - 37.6) > 0.45 {
            vehicle.heading = (vehicle.heading + 180).truncatingRemainder(dividingBy: 360)
        }
        vehicle.altitude += rng.gaussian() * 0.2
        if vehicle.noFixSeconds > 0 {
            vehicle.noFixSeconds -= 1
        } else if rng.unit() < 0.0005 {
            vehicle.noFixSeconds = rng.int(5...40)
        }
        for system in vehicle.constellations.indices {
            for satellite in vehicle.constellations[system].satellites.indices where rng.unit() < 0.2 {
                let snr = vehicle.constellations[system].satellites[satellite].snr + rng.int(0...4) - 2
                vehicle.constellations[system].satellites[satellite].snr = min(55, max(0, snr))
            }
        }
    }

    private mutating func emit(_ vehicle: Vehicle, into out: inout [UInt8]) {
        let stamp = Stamp(
            time: twoDigits(second / 3600 % 24) + twoDigits(second / 60 % 60) + twoDigits(second % 60) + ".00",
            date: twoDigits(9 + second / 86_400) + "0624")
        out.removeAll(keepingCapacity: true)
        emit(vehicle, stamp: stamp, into: &out)
    }

    /// Writes one cycle as bytes (no intermediate strings: the simulator formats 100,000 cycles a second).
    private mutating func emit(_ vehicle: Vehicle, stamp: Stamp, into out: inout [UInt8]) {
        var w = writer
        w.clear()
        w.identity(vehicle.id)
        let comma = UInt8(ascii: ",")
        if vehicle.noFixSeconds > 0 {
            w.begin("GNRMC,")
            w.append(stamp.time)
            w.append(",V,,,,,,,")
            w.append(stamp.date)
            w.append(",,,N,V")
            w.end()
            w.begin("GNVTG,,,,,,,,,N")
            w.end()
            w.begin("GNGGA,")
            w.append(stamp.time)
            w.append(",,,,,0,00,99.99,,,,,,")
            w.end()
            for system in vehicle.constellations {
                w.begin("GNGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99,")
                w.integer(system.systemID)
                w.end()
            }
        } else {
            let latitude = Self.coordinate(vehicle.latitude, positive: "N", negative: "S")
            let longitude = Self.coordinate(vehicle.longitude, positive: "E", negative: "W")
            let moving = vehicle.speed > 0.5
            func position(_ w: inout SentenceWriter) {
                w.integer(latitude.degrees, width: 2)
                w.fixed(latitude.minutes, decimals: 5, width: 8)
                w.byte(comma)
                w.append(latitude.hemisphere)
                w.byte(comma)
                w.integer(longitude.degrees, width: 3)
                w.fixed(longitude.minutes, decimals: 5, width: 8)
                w.byte(comma)
                w.append(longitude.hemisphere)
            }
            w.begin("GNRMC,")
            w.append(stamp.time)
            w.append(",A,")
            position(&w)
            w.byte(comma)
            w.fixed(vehicle.speed * 3600 / 1852, decimals: 3)
            w.byte(comma)
            if moving { w.fixed(vehicle.heading, decimals: 2) }
            w.byte(comma)
            w.append(stamp.date)
            w.append(",,,A,V")
            w.end()
            w.begin("GNVTG,")
            if moving { w.fixed(vehicle.heading, decimals: 2) }
            w.append(",T,,M,")
            w.fixed(vehicle.speed * 3600 / 1852, decimals: 3)
            w.append(",N,")
            w.fixed(vehicle.speed * 3.6, decimals: 3)
            w.append(",K,A")
            w.end()
            var used = 0
            for system in vehicle.constellations { used += min(system.satellites.count, 12) }
            let hdop = rng.uniform(0.6, 1.6)
            let pdop = hdop * rng.uniform(1.2, 1.8)
            let vdop = (max(pdop * pdop - hdop * hdop, 0.01)).squareRoot()
            w.begin("GNGGA,")
            w.append(stamp.time)
            w.byte(comma)
            position(&w)
            w.append(",1,")
            w.integer(min(used, 99), width: 2)
            w.byte(comma)
            w.fixed(hdop, decimals: 2)
            w.byte(comma)
            w.fixed(vehicle.altitude, decimals: 1)
            w.append(",M,14.3,M,,")
            w.end()
            for system in vehicle.constellations {
                w.begin("GNGSA,A,3,")
                for slot in 0..<12 {
                    if slot < system.satellites.count { w.integer(system.satellites[slot].number, width: 2) }
                    w.byte(comma)
                }
                w.fixed(pdop, decimals: 2)
                w.byte(comma)
                w.fixed(hdop, decimals: 2)
                w.byte(comma)
                w.fixed(vdop, decimals: 2)
                w.byte(comma)
                w.integer(system.systemID)
                w.end()
            }
        }
        for system in vehicle.constellations {
            let satellites = system.satellites
            let messages = max(1, (satellites.count + 3) / 4)
            for message in 0..<messages {
                w.begin(text: system.talker)
                w.append("GSV,")
                w.integer(messages)
                w.byte(comma)
                w.integer(message + 1)
                w.byte(comma)
                w.integer(satellites.count, width: 2)
                for satellite in satellites.dropFirst(message * 4).prefix(4) {
                    w.byte(comma)
                    w.integer(satellite.number, width: 2)
                    w.byte(comma)
                    w.integer(satellite.elevation, width: 2)
                    w.byte(comma)
                    w.integer(satellite.azimuth)
                    w.byte(comma)
                    if vehicle.noFixSeconds == 0 { w.integer(satellite.snr, width: 2) }
                }
                w.append(",1")
                w.end()
            }
        }
        w.appendOut(to: &out)
    }

    /// Whole degrees and minutes of a coordinate, and its hemisphere letter.
    private static func coordinate(_ value: Double, positive: StaticString, negative: StaticString) -> (
        degrees: Int, minutes: Double, hemisphere: StaticString
    ) {
        let magnitude = abs(value)
        var degrees = Int(magnitude)
        var minutes = (magnitude - Double(degrees)) * 60
        if (minutes * 100_000).rounded() >= 6_000_000 {
            degrees += 1
            minutes = 0
        }
        return (degrees, minutes, value < 0 ? negative : positive)
    }

    private func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}

extension FleetLogGenerator {
    /// The UTC time (`hhmmss.ss`) and date (`ddmmyy`) fields of a cycle, formatted once for many vehicles.
    public struct Stamp {
        var time: [UInt8]
        var date: [UInt8]

        /// The fields of a time and a date given as text (`hhmmss.ss`, `ddmmyy`).
        public init(time: String, date: String) {
            self.time = Array(time.utf8)
            self.date = Array(date.utf8)
        }

        /// The fields of an instant.
        public init(_ instant: UTCInstant) {
            let characters = Array(instant.iso8601.utf8)  // 2026-11-26T08:35:59.250Z
            let centiseconds = Int((instant.microsecondsSinceEpoch / 10_000) % 100)
            time = Array(characters[11...12]) + Array(characters[14...15]) + Array(characters[17...18])
            time += [UInt8(ascii: "."), UInt8(48 + centiseconds / 10), UInt8(48 + centiseconds % 10)]
            date = Array(characters[8...9]) + Array(characters[5...6]) + Array(characters[2...3])
        }
    }
}
