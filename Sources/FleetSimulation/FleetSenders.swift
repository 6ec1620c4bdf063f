public import NIOCore
import NIOPosix
import Synchronization

/// Sends cycles to a server.
public protocol FleetSender: AnyObject {
    /// Datagrams (UDP) or writes (TCP) sent.
    var messages: Int { get }
    /// Bytes sent.
    var bytes: Int { get }
    /// Writes that failed (TCP: the server closed or reset the connection); UDP has no such feedback: 0.
    var failedWrites: Int { get }
    /// An empty batch for this sender.
    func batch() -> FleetBatch
    /// Sends a batch (one cycle per vehicle, each beginning with the vehicle's `$PGID` line).
    func send(_ batch: FleetBatch)
    /// Flushes; with `expecting`, waits (≤ 5 s) for that many acknowledgements. Returns the acknowledgements seen.
    func finish(expecting: Int?) async -> Int
}

/// Cycles on their way out: UDP gives each cycle its own datagrams; TCP appends it to its vehicle's connection.
public struct FleetBatch {
    /// Over UDP, one buffer per datagram; over TCP, one buffer per connection.
    public var buffers: [ByteBuffer]
    let allocator: ByteBufferAllocator
    /// TCP: the connection count (a vehicle always uses the same one); 0 for UDP.
    public let connections: Int
    /// The largest datagram the UDP sender writes; longer cycles are split at line ends.
    public static let datagramLimit = 1_400

    /// Adds one vehicle's cycle.
    public mutating func add(_ cycle: [UInt8], vehicle: Int) {
        if connections > 0 {
            buffers[vehicle % connections].writeBytes(cycle)
        } else if cycle.count <= Self.datagramLimit {
            buffers.append(allocator.buffer(bytes: cycle))
        } else {
            for part in Self.split(cycle) { buffers.append(allocator.buffer(bytes: part)) }
        }
    }

    /// Splits a cycle at line ends into parts of at most `limit` bytes, each part after the first repeating the
    /// first line (the identity).
    public static func split(_ cycle: [UInt8], limit: Int = datagramLimit) -> [ArraySlice<UInt8>] {
        guard cycle.count > limit else { return [cycle[...]] }
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = 0
        for (offset, byte) in cycle.enumerated() where byte == UInt8(ascii: "\n") {
            lines.append(cycle[lineStart...offset])
            lineStart = offset + 1
        }
        if lineStart < cycle.count { lines.append(cycle[lineStart...]) }
        guard let header = lines.first else { return [] }
        var parts: [ArraySlice<UInt8>] = []
        var current: [UInt8] = []
        var onlyHeader = true
        for line in lines {
            if !current.isEmpty && current.count + line.count > limit {
                parts.append(current[...])
                current = Array(header)
                onlyHeader = true
            }
            current += line
            onlyHeader = onlyHeader && current.count == header.count
        }
        if !current.isEmpty && !onlyHeader { parts.append(current[...]) }
        return parts
    }
}

/// UDP: one datagram per cycle, split at line boundaries (each part repeating the identity) when over 1,400 bytes.
public final class UDPFleetSender: FleetSender {
    private let channel: any Channel
    private let remote: SocketAddress
    /// Datagrams (UDP) or writes (TCP) sent.
    public private(set) var messages = 0
    /// Bytes sent.
    public private(set) var bytes = 0

    private init(channel: any Channel, remote: SocketAddress) {
        self.channel = channel
        self.remote = remote
    }

    /// A sender bound to loopback (the address family of `host`), writing to `host`:`port`.
    public static func open(host: String, port: Int, group: any EventLoopGroup) async throws -> UDPFleetSender {
        let remote = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .channelOption(.writeBufferWaterMark, value: .init(low: 32 << 20, high: 64 << 20))
            .bind(host: remote.protocol == .inet6 ? "::1" : "127.0.0.1", port: 0).get()
        return UDPFleetSender(channel: channel, remote: remote)
    }

    /// Writes that failed.
    public let failedWrites = 0

    /// An empty batch for this sender.
    public func batch() -> FleetBatch { FleetBatch(buffers: [], allocator: channel.allocator, connections: 0) }

    /// Sends a batch.
    public func send(_ batch: FleetBatch) {
        messages += batch.buffers.count
        for buffer in batch.buffers { bytes += buffer.readableBytes }
        let channel = self.channel
        let remote = self.remote
        let parcels = batch.buffers
        channel.eventLoop.execute {
            for datagram in parcels {
                channel.write(AddressedEnvelope(remoteAddress: remote, data: datagram), promise: nil)
            }
            channel.flush()
        }
    }

    /// Flushes; with `expecting`, waits (≤ 5 s) for that many acknowledgements.
    public func finish(expecting: Int?) async -> Int {
        _ = try? await channel.eventLoop.submit {}.get()
        try? await Task.sleep(for: .milliseconds(100))
        try? await channel.close()
        return 0
    }
}

/// TCP: a few connections, each carrying several vehicles (identity per cycle); counts `OK` replies.
public final class TCPFleetSender: FleetSender {
    private let channels: [any Channel]
    private let counter: AcknowledgementCounter
    private let failures = AcknowledgementCounter()
    /// Each connection's last write: writes complete in order, so `finish` waits for these before closing (a close
    /// fails the writes still queued: what a fast sender would lose).
    private var lastWrites: [EventLoopFuture<Void>?]
    /// Datagrams (UDP) or writes (TCP) sent.
    public private(set) var messages = 0
    /// Bytes sent.
    public private(set) var bytes = 0
    /// Writes that failed.
    public var failedWrites: Int { failures.value }

    private init(channels: [any Channel], counter: AcknowledgementCounter) {
        self.channels = channels
        self.counter = counter
        lastWrites = Array(repeating: nil, count: channels.count)
    }

    /// `connections` connections to `host`:`port`.
    public static func connect(host: String, port: Int, connections: Int, group: any EventLoopGroup) async throws
        -> TCPFleetSender
    {
        let counter = AcknowledgementCounter()
        var channels: [any Channel] = []
        for _ in 0..<max(1, connections) {
            let channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(AcknowledgementHandler(counter: counter))
                    }
                }
                .connect(host: host, port: port).get()
            channels.append(channel)
        }
        return TCPFleetSender(channels: channels, counter: counter)
    }

    /// An empty batch for this sender.
    public func batch() -> FleetBatch {
        let allocator = channels[0].allocator
        return FleetBatch(
            buffers: channels.map { _ in allocator.buffer(capacity: 0) }, allocator: allocator,
            connections: channels.count)
    }

    /// Sends a batch.
    public func send(_ batch: FleetBatch) {
        for (index, buffer) in batch.buffers.enumerated() where buffer.readableBytes > 0 {
            messages += 1
            bytes += buffer.readableBytes
            let promise = channels[index].eventLoop.makePromise(of: Void.self)
            let failures = self.failures
            promise.futureResult.whenFailure { _ in failures.add(1) }
            lastWrites[index] = promise.futureResult
            channels[index].writeAndFlush(buffer, promise: promise)
        }
    }

    /// Waits until every write went out; with `expecting`, also for that many acknowledgements while they keep
    /// coming (until none came for 5 s: a server still working through a long replay is waited for); then closes.
    public func finish(expecting: Int?) async -> Int {
        for write in lastWrites { _ = try? await write?.get() }
        if let expecting {
            var seen = counter.value
            var idle = 0
            while counter.value < expecting && idle < 500 {
                try? await Task.sleep(for: .milliseconds(10))
                if counter.value != seen {
                    seen = counter.value
                    idle = 0
                } else {
                    idle += 1
                }
            }
        }
        for channel in channels { try? await channel.close() }
        return counter.value
    }
}

/// `OK` lines received over all connections.
final class AcknowledgementCounter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func add(_ number: Int) { count.add(number, ordering: .relaxed) }
}

/// Counts the acknowledgement lines a TCP server sends back.
final class AcknowledgementHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let counter: AcknowledgementCounter
    init(counter: AcknowledgementCounter) { self.counter = counter }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        let newlines = buffer.readableBytesView.count { $0 == UInt8(ascii: "\n") }
        counter.add(newlines)
    }
}
