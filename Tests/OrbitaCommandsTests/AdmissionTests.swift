import Foundation
import Glibc
import Testing

/// Fixes for the admission tests: vehicle `prefix` + number, the k-th fix of each one second (of fix time) after
/// the one before, moving 3 m north each time, as RMC + GGA with the `$PGID` identity, one datagram per fix.
struct FixStream {
    let prefix: String
    let vehicles: Int
    private(set) var sent = 0

    init(prefix: String, vehicles: Int) {
        self.prefix = prefix
        self.vehicles = vehicles
    }

    func vehicleID(_ index: Int) -> String { prefix + String(format: "%04d", index) }

    /// The next datagram: vehicles in turn.
    mutating func next() -> [UInt8] {
        let vehicle = sent % vehicles
        let step = sent / vehicles
        sent += 1
        let seconds = 12 * 3_600 + step
        let time = String(format: "%02d%02d%02d.00", seconds / 3_600, seconds / 60 % 60, seconds % 60)
        let minutes = 45.0 + Double(vehicle) * 0.01 + Double(step) * 0.0016
        let latitude = String(format: "55%07.4f", minutes)
        return Array(
            (sentence("PGID,\(vehicleID(vehicle))")
                + sentence("GNRMC,\(time),A,\(latitude),N,03737.0000,E,0.4,0.0,261126,,,A")
                + sentence("GNGGA,\(time),\(latitude),N,03737.0000,E,1,12,0.8,150.0,M,14.0,M,,")).utf8)
    }
}

@Suite("Admission: limits bite only under contention, then fairly (issue 13)", .serialized)
struct AdmissionTests {
    /// Sends from each socket at its rate (datagrams a second) for `seconds`, pacing every 5 ms.
    static func send(_ streams: [(socket: DatagramSocket, stream: FixStream, rate: Double)], seconds: Double)
        -> [FixStream]
    {
        var streams = streams
        let start = Date()
        while true {
            let elapsed = Date().timeIntervalSince(start)
            let done = elapsed >= seconds
            for index in streams.indices {
                let due = Int(min(elapsed, seconds) * streams[index].rate)
                while streams[index].stream.sent < due { streams[index].socket.send(streams[index].stream.next()) }
            }
            if done { break }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return streams.map(\.stream)
    }

    /// Waits until the server has decided everything it received (queue empty, nothing new for a second).
    static func drain(_ server: LiveServer) {
        var last = -1.0
        for _ in 0..<120 {
            Thread.sleep(forTimeInterval: 0.5)
            let committed = server.metric("orbita_fixes_stored_total")
            if committed == last, server.get("/health").body.contains("\"queueDepth\":0") { return }
            last = committed
        }
    }

    /// Stored fixes per vehicle-ID prefix.
    static func stored(_ db: String, prefixes: [String]) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for (vehicle, times) in try ServeCommandTests.fixes(db) {
            guard let prefix = prefixes.first(where: { vehicle.hasPrefix($0) }) else { continue }
            counts[prefix, default: 0] += times.count
        }
        return counts
    }

    /// 50 trackers behind one gateway socket at 3,000 datagrams/s for 2 s on an idle server: all 6,000 stored
    /// (before: 799 — a 200/s bucket per address and port cut the gateway while the queue was empty).
    @Test func aGatewaysTrackersOnOneSocketAreAllStoredWhileTheServerIsIdle() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("gateway.sqlite").path
        let server = try LiveServer(db: db, ["--register-unknown", "--tcp", "off"])
        let gateway = DatagramSocket(to: server.udp)
        let sent = Self.send([(gateway, FixStream(prefix: "GW", vehicles: 50), 3_000)], seconds: 2)
        gateway.close()
        Self.drain(server)
        #expect(sent[0].sent == 6_000)
        #expect(server.metric("orbita_ingest_dropped_total") == 0)
        #expect(server.stop(SIGTERM) == 0, "\(server.log)")
        #expect(try Self.stored(db, prefixes: ["GW"])["GW"] == 6_000)
    }

    /// A saturated server (every fix costs the processor 200 µs: 5,000 fixes/s) fed at once by a flood (200
    /// identities, 10,000 datagrams/s), a gateway (50 trackers, 3,000/s) and ten ordinary trackers (2 Hz each)
    /// for 4 s: the ordinary trackers lose nothing, and the gateway — asking more than half of what they leave —
    /// gets the same share as the flood.
    @Test func underSaturationOrdinaryTrackersLoseNothingAndTheGatewayKeepsItsShare() throws {
        let folder = ImportCommandTests.folder()
        let db = folder.appendingPathComponent("mixed.sqlite").path
        let server = try LiveServer(
            db: db, ["--register-unknown", "--tcp", "off", "--queue-capacity", "4000", "--commit-interval", "0.2"],
            environment: ["ORBITA_TEST_PROCESSOR_DELAY_US": "200"])
        var streams: [(socket: DatagramSocket, stream: FixStream, rate: Double)] = [
            (DatagramSocket(to: server.udp), FixStream(prefix: "FL", vehicles: 200), 10_000),
            (DatagramSocket(to: server.udp), FixStream(prefix: "GW", vehicles: 50), 3_000),
        ]
        for index in 0..<10 {
            streams.append((DatagramSocket(to: server.udp), FixStream(prefix: "NT\(index)X", vehicles: 1), 2))
        }
        let sent = Self.send(streams, seconds: 4)
        for stream in streams { stream.socket.close() }
        Self.drain(server)
        let sources = server.get("/sources").body
        #expect(server.stop(SIGTERM) == 0, "\(server.log)")
        let ordinary = (0..<10).map { "NT\($0)X" }
        let stored = try Self.stored(db, prefixes: ["FL", "GW"] + ordinary)
        for (prefix, stream) in zip(ordinary, sent.dropFirst(2)) {
            #expect(stored[prefix] == stream.sent, "\(prefix): \(stored[prefix] ?? 0) of \(stream.sent) stored")
        }
        let flood = stored["FL", default: 0]
        let gateway = stored["GW", default: 0]
        print(
            "mixed load: ordinary \(ordinary.map { stored[$0, default: 0] }.reduce(0, +)) of 80, gateway \(gateway) of "
                + "\(sent[1].sent), flood \(flood) of \(sent[0].sent) stored")
        #expect(gateway < sent[1].sent, "the server was not saturated: \(sources)")
        #expect(
            Double(gateway) >= 0.8 * Double(flood + gateway) / 2,
            "gateway \(gateway) of \(sent[1].sent), flood \(flood) of \(sent[0].sent)")
        #expect(sources.contains("over_share"))
    }
}
