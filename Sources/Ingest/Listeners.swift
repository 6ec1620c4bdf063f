public import Logging
public import NIOCore
import NIOPosix
import NMEA
import OrbitaModel

/// Where and how ingest listens.
public struct IngestSettings: Sendable {
    /// UDP listening address (nil: no UDP).
    public var udp: HostPort?
    /// TCP listening address (nil: no TCP).
    public var tcp: HostPort?
    /// Fixes per second one device identity may send, always in force (0: no limit): a tracker sends a fix every
    /// second or few; one sending hundreds a second is broken. Over it, UDP fixes are dropped (`rate_limited`) and
    /// a TCP connection is slowed down. Between sources there is no rate limit, only fair shares of a saturated
    /// queue (`IngestQueue`).
    public var deviceRate: Double
    /// Fixes one device may send at once beyond its rate (a tracker back in coverage sending its buffer).
    public var deviceBurst: Double
    /// TCP: answer `OK` for each fix once it is committed (or decided not to be stored).
    public var acknowledge: Bool
    /// TCP: a cycle still open this long after the last byte is emitted (a tracker's next cycle normally closes it).
    public var idleFlush: TimeAmount
    /// TCP: a connection that sends nothing for this many seconds is closed (0: never). Trackers report at least
    /// every few minutes, parked ones too (a heartbeat); ten minutes is also when a vehicle counts as stale.
    public var tcpIdleTimeoutSeconds: Double
    /// TCP: open connections at most (further ones wait in the kernel's backlog until one closes). The server
    /// lowers it to fit the process's descriptor limit (`ConnectionLimiter.fitted`).
    public var tcpMaximumConnections: Int
    /// TCP: open connections from one IP address at most. A private APN or a carrier's NAT puts many trackers
    /// behind one address: raise it for those.
    public var tcpMaximumPerSource: Int

    /// Creates settings.
    public init(
        udp: HostPort? = HostPort(host: "127.0.0.1", port: 5005),
        tcp: HostPort? = HostPort(host: "127.0.0.1", port: 5005), deviceRate: Double = 100, deviceBurst: Double = 1_000,
        acknowledge: Bool = false,
        idleFlush: TimeAmount = .seconds(2), tcpIdleTimeoutSeconds: Double = 600, tcpMaximumConnections: Int = 10_000,
        tcpMaximumPerSource: Int = 1_000
    ) {
        self.udp = udp
        self.tcp = tcp
        self.deviceRate = deviceRate
        self.deviceBurst = deviceBurst
        self.acknowledge = acknowledge
        self.idleFlush = idleFlush
        self.tcpIdleTimeoutSeconds = tcpIdleTimeoutSeconds
        self.tcpMaximumConnections = tcpMaximumConnections
        self.tcpMaximumPerSource = tcpMaximumPerSource
    }
}

/// A host and port (`HOST:PORT`, `[V6]:PORT`, or `:PORT` for 127.0.0.1).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// The host or address.
    public var host: String
    /// The port (0: any free port).
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; nil when it is not one.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "127.0.0.1" : host
        self.port = port
    }

    /// `HOST:PORT`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The UDP and TCP listeners: NMEA in, fixes out to a sink. Decoding runs on the event loop (it is pure and fast);
/// everything that touches PROJ or SQLite runs behind the sink, on other threads.
public final class IngestListeners: Sendable {
    /// The bound UDP address (its real port when 0 was asked).
    public let udpAddress: SocketAddress?
    /// The bound TCP address.
    public let tcpAddress: SocketAddress?
    /// Counters of the UDP listener.
    public let udpCounters: IngestCounters
    /// Counters of the TCP listener.
    public let tcpCounters: IngestCounters
    /// The TCP connection limits in force.
    public let connections: ConnectionLimiter
    private let channels: [any Channel]

    private init(
        udpAddress: SocketAddress?, tcpAddress: SocketAddress?, udpCounters: IngestCounters,
        tcpCounters: IngestCounters, connections: ConnectionLimiter, channels: [any Channel]
    ) {
        self.udpAddress = udpAddress
        self.tcpAddress = tcpAddress
        self.udpCounters = udpCounters
        self.tcpCounters = tcpCounters
        self.connections = connections
        self.channels = channels
    }

    /// Binds the listeners without reading from them yet: a listener that cannot be brought up throws before any
    /// data is accepted (the ones already bound are closed again). `startReading()` opens them to traffic.
    /// - Throws: `ListenerError` naming the listener, its address and the cause.
    public static func start(
        _ settings: IngestSettings, sink: any IngestSink, group: any EventLoopGroup, logger: Logger
    ) async throws(ListenerError) -> IngestListeners {
        let udpCounters = IngestCounters(transport: "udp")
        let tcpCounters = IngestCounters(transport: "tcp")
        let connections = ConnectionLimiter(
            maximum: settings.tcpMaximumConnections, maximumPerSource: settings.tcpMaximumPerSource, logger: logger)
        let parts = Parts(
            settings: settings, sink: sink, udpCounters: udpCounters, tcpCounters: tcpCounters,
            connections: connections, devices: DeviceRateLimiter(rate: settings.deviceRate, burst: settings.deviceBurst)
        )
        var channels: [any Channel] = []
        var udpAddress: SocketAddress?
        var tcpAddress: SocketAddress?
        do {
            if let udp = settings.udp {
                let channel = try await bindUDP(udp, parts, group: group)
                channels.append(channel)
                udpAddress = channel.localAddress
                await sizeReceiveBuffer(channel, logger: logger)
                logger.info("listening", metadata: ["udp": "\(udp.host):\(channel.localAddress?.port ?? udp.port)"])
            }
            if let tcp = settings.tcp {
                let channel = try await bindTCP(tcp, parts, group: group)
                connections.manage(channel)
                channels.append(channel)
                tcpAddress = channel.localAddress
                logger.info("listening", metadata: ["tcp": "\(tcp.host):\(channel.localAddress?.port ?? tcp.port)"])
            }
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
        return IngestListeners(
            udpAddress: udpAddress, tcpAddress: tcpAddress, udpCounters: udpCounters, tcpCounters: tcpCounters,
            connections: connections, channels: channels)
    }

    /// Opens the bound listeners to traffic (datagrams and connections that arrived meanwhile waited in the
    /// kernel's queues).
    public func startReading() async {
        if let udp = channels.first(where: { $0.localAddress == udpAddress && udpAddress != nil }) {
            try? await udp.setOption(.autoRead, value: true).get()
        }
        await connections.startAccepting()
    }

    /// What the channel handlers share.
    private struct Parts: Sendable {
        var settings: IngestSettings
        var sink: any IngestSink
        var udpCounters: IngestCounters
        var tcpCounters: IngestCounters
        var connections: ConnectionLimiter
        var devices: DeviceRateLimiter
    }

    private static func bindUDP(
        _ address: HostPort, _ parts: Parts, group: any EventLoopGroup
    ) async throws(ListenerError) -> any Channel {
        // No SO_REUSEADDR: on Linux it lets a second UDP socket bind the same port and take its datagrams, so two
        // servers started on one port would split the traffic silently instead of the second one failing.
        // recvmmsg reads up to 32 datagrams at once; NIO splits one buffer between them, so it is sized at 32
        // slots of 2 KiB (a datagram over 1,500 bytes still shows as oversized when cut at 2 KiB).
        do {
            return try await DatagramBootstrap(group: group)
                .channelOption(.autoRead, value: false)
                .channelOption(.socketOption(.so_rcvbuf), value: 8 << 20)
                .channelOption(.datagramVectorReadMessageCount, value: 32)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 2_048))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            UDPIngestHandler(devices: parts.devices, counters: parts.udpCounters, sink: parts.sink))
                    }
                }
                .bind(host: address.host, port: address.port).get()
        } catch {
            throw ListenerError(listener: "UDP", address: address, error: error)
        }
    }

    private static func bindTCP(
        _ address: HostPort, _ parts: Parts, group: any EventLoopGroup
    ) async throws(ListenerError) -> any Channel {
        let seconds = parts.settings.tcpIdleTimeoutSeconds
        let idle = seconds > 0 ? TimeAmount.milliseconds(Int64(seconds * 1000)) : nil
        do {
            return try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.autoRead, value: false)
                // A tracker that sends and then shuts down its side still gets its acknowledgements.
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                // Out of descriptors anyway (another part of the process took them): retry accepting after a
                // second instead of spinning on EMFILE.
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(AcceptBackoffHandler())
                    }
                }
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let idle {
                            try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            TCPIngestHandler(
                                settings: parts.settings, counters: parts.tcpCounters, connections: parts.connections,
                                devices: parts.devices, sink: parts.sink))
                    }
                }
                .bind(host: address.host, port: address.port).get()
        } catch {
            throw ListenerError(listener: "TCP", address: address, error: error)
        }
    }

    /// Bursts wait in the kernel's receive buffer: asks for 32 MiB, beyond net.core.rmem_max when the process may
    /// (CAP_NET_ADMIN); otherwise the kernel caps it at rmem_max (raise it with sysctl, see the README).
    private static func sizeReceiveBuffer(_ channel: any Channel, logger: Logger) async {
        let force = ChannelOptions.Types.SocketOption(
            level: .socket, name: NIOBSDSocket.Option(rawValue: SO_RCVBUFFORCE))
        if (try? await channel.setOption(force, value: 32 << 20).get()) == nil {
            logger.notice("UDP receive buffer limited by net.core.rmem_max")
        }
        if let size = try? await channel.getOption(.socketOption(.so_rcvbuf)).get() {
            logger.info("UDP receive buffer", metadata: ["bytes": "\(size)"])
        }
    }

    /// Stops accepting: closes the listening channels (open TCP connections are closed with their server channel's
    /// children only when they end; their last cycles are emitted on close).
    public func close() async {
        for channel in channels { try? await channel.close() }
    }
}

/// `udp:ADDRESS:PORT` for a peer.
func sourceName(_ address: SocketAddress?, _ transport: String) -> String {
    guard let address, let ip = address.ipAddress else { return "\(transport):unknown" }
    return address.protocol == .inet6
        ? "\(transport):[\(ip)]:\(address.port ?? 0)" : "\(transport):\(ip):\(address.port ?? 0)"
}

/// Seconds on a monotonic clock.
@inline(__always)
func monotonicSeconds() -> Double { Double(NIODeadline.now().uptimeNanoseconds) / 1e9 }

/// One datagram at a time: screen and decode, keep the fixes of devices within their rate; the fixes of a read
/// burst (up to a few hundred datagrams that arrived together) are offered to the queue, and counted, at once at its
/// end. While the queue is saturated, a datagram from a source over its share is refused before it is decoded.
final class UDPIngestHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let devices: DeviceRateLimiter
    private let counters: IngestCounters
    private let sink: any IngestSink
    private var tally = IngestCounters.Tally()
    private var pending: [(batch: IngestBatch, rejectedLines: Int)] = []
    /// The last peer and its name: a tracker sends many datagrams from one address, formatting it once is enough.
    private var lastPeer: (address: SocketAddress, name: String)?
    private let decoder = NMEADecoder(options: .lenient)

    init(devices: DeviceRateLimiter, counters: IngestCounters, sink: any IngestSink) {
        self.devices = devices
        self.counters = counters
        self.sink = sink
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        let source: String
        if let lastPeer, lastPeer.address == envelope.remoteAddress {
            source = lastPeer.name
        } else {
            source = sourceName(envelope.remoteAddress, "udp")
            lastPeer = (envelope.remoteAddress, source)
        }
        tally.received(size: envelope.data.readableBytes, from: source)
        if sink.isOverShare(source, adding: 1) {
            tally.dropped(.overShare, from: source)
            return
        }
        var reading = envelope.data.withUnsafeReadableBytes { DatagramReader.read($0, using: decoder) }
        if let drop = reading.drop { tally.dropped(drop, count: reading.dropped, from: source) }
        let overRate = devices.screen(&reading.fixes, from: source, now: monotonicSeconds())
        if overRate > 0 { tally.dropped(.rateLimited, count: overRate, from: source) }
        guard !reading.fixes.isEmpty else {
            tally.passed(0, rejectedLines: reading.rejectedLines, from: source)
            return
        }
        pending.append(
            (IngestBatch(fixes: reading.fixes, source: source, pushedOut: counters), reading.rejectedLines))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !pending.isEmpty {
            let admissions = sink.offer(pending.map(\.batch))
            for ((batch, rejected), admission) in zip(pending, admissions) {
                switch admission {
                case .accepted: tally.passed(batch.fixes.count, rejectedLines: rejected, from: batch.source)
                case .refused(let reason): tally.dropped(reason, count: batch.fixes.count, from: batch.source)
                }
            }
            pending.removeAll(keepingCapacity: true)
        }
        counters.record(&tally)
        context.fireChannelReadComplete()
    }
}

/// One TCP connection: line framing by the decoder, identity once per connection or per line, optional `OK` per
/// committed fix. A cycle left open by the last line is emitted after `idleFlush` or when the connection closes.
///
/// TCP has flow control, so nothing a connection sends is dropped for load: fixes over their device's rate, or
/// refused by a saturated queue, are held and the connection stops reading until they can be handed on (the
/// tracker is slowed down, and buffers, as on a slow network).
final class TCPIngestHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let settings: IngestSettings
    private let counters: IngestCounters
    private let connections: ConnectionLimiter
    private let devices: DeviceRateLimiter
    private let sink: any IngestSink
    private let decoder = NMEADecoder(options: .lenient)
    private var source = "tcp:unknown"
    /// The peer's IP address while the connection counts as open (nil: refused, or not yet active).
    private var admittedAddress: String?
    private var rejectedBefore = 0
    private var reads = 0
    /// Fixes decoded and identified, not yet handed on (see the type's notes).
    private var held: [Fix] = []
    /// Whether reading is paused for them.
    private var throttled = false
    private var retry: Scheduled<Void>?
    /// Batches handed on whose acknowledgement has not been written yet (with `--ack`).
    private var unacknowledged = 0
    /// The peer shut down its sending side: close once everything is handed on and acknowledged.
    private var inputClosed = false
    /// Seconds a half-closed connection waits for its acknowledgements at most.
    static let halfCloseGrace: TimeAmount = .seconds(30)

    init(
        settings: IngestSettings, counters: IngestCounters, connections: ConnectionLimiter,
        devices: DeviceRateLimiter, sink: any IngestSink
    ) {
        self.settings = settings
        self.counters = counters
        self.connections = connections
        self.devices = devices
        self.sink = sink
    }

    func channelActive(context: ChannelHandlerContext) {
        source = sourceName(context.channel.remoteAddress, "tcp")
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard connections.admit(address) == .accepted else {
            context.close(promise: nil)
            return
        }
        admittedAddress = address
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read, !throttled {
            guard !inputClosed else { return }
            connections.closedIdle()
            context.close(promise: nil)
            return
        }
        if case .inputClosed = event as? ChannelEvent {
            // Everything is sent: decode the last line, hand it on, and close when it is acknowledged.
            inputClosed = true
            var last: [Fix] = []
            decoder.finish { last.append($0) }
            hand(last, context: context)
            context.eventLoop.assumeIsolated().scheduleTask(in: Self.halfCloseGrace) {
                context.close(promise: nil)
            }
            closeIfDone(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Closes a half-closed connection once nothing is held or waiting for its acknowledgement.
    private func closeIfDone(context: ChannelHandlerContext) {
        guard inputClosed, held.isEmpty, retry == nil, unacknowledged == 0, context.channel.isActive else { return }
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admittedAddress != nil else { return }
        let buffer = Self.unwrapInboundIn(data)
        counters.received(size: buffer.readableBytes, from: source)
        let binary = buffer.withUnsafeReadableBytes { DatagramReader.isBinary($0) }
        if binary {
            // Not NMEA: the connection is closed rather than guessed at (its earlier fixes are kept).
            counters.dropped(.binary, from: source)
            context.close(promise: nil)
            return
        }
        var fixes: [Fix] = []
        buffer.withUnsafeReadableBytes { decoder.decode($0) { fixes.append($0) } }
        hand(fixes, context: context)
        reads += 1
        let read = reads
        let loop = context.eventLoop.assumeIsolated()
        loop.scheduleTask(in: settings.idleFlush) { [self] in
            guard read == self.reads, context.channel.isActive else { return }
            var open: [Fix] = []
            decoder.flushAll { open.append($0) }
            hand(open, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard let address = admittedAddress else {
            context.fireChannelInactive()
            return
        }
        admittedAddress = nil
        connections.release(address)
        retry?.cancel()
        var last: [Fix] = []
        decoder.finish { last.append($0) }
        hand(last, context: context)
        // The connection is gone: what is still held is offered once more, past its devices' rate, and counted
        // by the queue's answer when refused.
        if !held.isEmpty {
            switch sink.offer(batch(held, context: context)) {
            case .accepted: counters.passed(held.count, from: source)
            case .refused(let reason): counters.dropped(reason, count: held.count, from: source)
            }
            held.removeAll()
        }
        context.fireChannelInactive()
    }

    private func hand(_ decoded: [Fix], context: ChannelHandlerContext) {
        let rejected = decoder.statistics.rejects.values.reduce(0, +)
        counters.passed(0, rejectedLines: rejected - rejectedBefore, from: source)
        rejectedBefore = rejected
        let identified = decoded.filter { $0.device != nil }
        counters.dropped(.noIdentity, count: decoded.count - identified.count, from: source)
        held += identified
        if retry == nil { deliver(context: context) }
    }

    /// Hands on what is held while devices are within their rate and the queue takes it; otherwise stops reading
    /// and tries again when the rate allows (or in 20 ms, for a saturated queue).
    private func deliver(context: ChannelHandlerContext) {
        retry = nil
        while !held.isEmpty {
            let now = monotonicSeconds()
            let (count, wait) = devices.admissible(held, from: source, now: now)
            guard count > 0 else { return pause(for: wait, context: context) }
            let fixes = Array(held.prefix(count))
            guard sink.offer(batch(fixes, context: context)) == .accepted else {
                return pause(for: 0.02, context: context)
            }
            devices.consume(fixes, from: source, now: now)
            counters.passed(count, from: source)
            held.removeFirst(count)
            if settings.acknowledge { unacknowledged += 1 }
        }
        closeIfDone(context: context)
        if throttled {
            throttled = false
            context.channel.setOption(.autoRead, value: true).whenComplete { _ in }
        }
    }

    private func pause(for seconds: Double, context: ChannelHandlerContext) {
        if !throttled {
            throttled = true
            connections.throttled()
            context.channel.setOption(.autoRead, value: false).whenComplete { _ in }
        }
        let delay = TimeAmount.milliseconds(Int64(max(5, min(1_000, seconds * 1_000))))
        retry = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            guard context.channel.isActive else { return }
            deliver(context: context)
        }
    }

    private func batch(_ fixes: [Fix], context: ChannelHandlerContext) -> IngestBatch {
        guard settings.acknowledge else { return IngestBatch(fixes: fixes, source: source) }
        let channel = context.channel
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        return IngestBatch(fixes: fixes, source: source) { count in
            channel.eventLoop.execute {
                if count > 0 {
                    var reply = channel.allocator.buffer(capacity: 4 * count)
                    for _ in 0..<count { reply.writeString("OK\r\n") }
                    channel.writeAndFlush(reply, promise: nil)
                }
                handler.value.unacknowledged -= 1
                handler.value.closeIfDone(context: bound.value)
            }
        }
    }
}
