public import Geodesy
public import Geofencing
public import OrbitaModel

/// Geofences, routes, assignments and exemptions compiled for one metric frame: shapes projected once and indexed.
/// Immutable: to change zones, compile a new set and hand it to the engine (vehicles keep their state).
public final class ZoneSet: Sendable {
    /// A compiled route.
    public struct CompiledRoute: Sendable {
        /// The route as defined.
        public let route: Route
        /// Its line on the plane.
        public let line: Polyline
        /// Checkpoints on the plane with their distance along the route, in route order.
        public let checkpoints: [(checkpoint: Checkpoint, point: PlanarPoint, along: Double)]
    }

    /// The fences as defined, in index order (without the skipped ones).
    public let fences: [Geofence]
    /// Fences that were given but are not in force: over the limits, invalid, or not projectable in the frame.
    public let skipped: [SkippedFence]

    /// A fence left out of a set, and why.
    public struct SkippedFence: Sendable, CustomStringConvertible {
        /// The fence's name.
        public let name: String
        /// What is wrong with it.
        public let reason: String

        /// One line for an operator.
        public var description: String { "geofence \(name) is not in force: \(reason)" }
    }
    /// The fences' index.
    public let index: FenceIndex
    /// Generation of each fence: fences newer than a vehicle's last evaluation start silently for it.
    let generations: [Int]
    /// The generation of this set.
    public let generation: Int
    /// Routes by name.
    public let routes: [String: CompiledRoute]
    /// Assignments by vehicle, sorted by start.
    public let assignments: [String: [RouteAssignment]]
    /// Exemptions by vehicle.
    public let exemptions: [String: [RouteExemption]]
    /// Fences that apply to every vehicle (no per-vehicle filter): a fast path.
    let appliesToAll: [Bool]

    /// Compiles zones for a frame. A fence that is invalid, over `limits` (in the order given, the total budget
    /// counts the fences before it) or cannot be projected is left out and listed in `skipped`: stored data never
    /// stops the others from working.
    /// - Parameters:
    ///   - previous: the set this one replaces; fences not in it get the new generation (they start silently).
    /// - Throws: `ProjError` when a route's coordinate cannot be projected.
    public init(
        frame: LocalFrame, fences given: [Geofence] = [], routes: [Route] = [], assignments: [RouteAssignment] = [],
        exemptions: [RouteExemption] = [], previous: ZoneSet? = nil, limits: GeofenceLimits = GeofenceLimits()
    ) throws(ProjError) {
        let generation = (previous?.generation ?? 0) + 1
        self.generation = generation
        var fences: [Geofence] = []
        var skipped: [SkippedFence] = []
        var shapes: [PlanarShape] = []
        shapes.reserveCapacity(given.count)
        var total = 0
        for fence in given {
            if let problem = fence.shape.problem(limits: limits) {
                skipped.append(SkippedFence(name: fence.name, reason: problem.description))
                continue
            }
            let vertices = fence.shape.vertexCount
            if total + vertices > limits.maximumTotalVertices {
                let problem = GeofenceProblem.totalVerticesExceeded(
                    total: total + vertices, limit: limits.maximumTotalVertices)
                skipped.append(SkippedFence(name: fence.name, reason: problem.description))
                continue
            }
            do {
                shapes.append(try Self.compile(fence.shape, frame: frame))
            } catch {
                skipped.append(SkippedFence(name: fence.name, reason: "cannot be projected: \(error)"))
                continue
            }
            total += vertices
            fences.append(fence)
        }
        self.fences = fences
        self.skipped = skipped
        index = FenceIndex(shapes: shapes)
        var known: [String: Int] = [:]
        if let previous {
            for (offset, fence) in previous.fences.enumerated() { known[fence.name] = previous.generations[offset] }
        }
        // Without a previous set, every fence is as old as the set: vehicles meet them on their first fix.
        generations = fences.map { previous == nil ? generation : (known[$0.name] ?? generation) }
        appliesToAll = fences.map { $0.vehicleIDs.isEmpty && $0.kinds.isEmpty }
        var compiled: [String: CompiledRoute] = [:]
        for route in routes {
            let line = Polyline(try route.line.map { coordinate throws(ProjError) in try frame.project(coordinate) })
            var placed: [(checkpoint: Checkpoint, point: PlanarPoint, along: Double)] = []
            var from = 0.0
            for checkpoint in route.checkpoints {
                let point = try frame.project(checkpoint.coordinate)
                // In route order: the first place along the line, from the previous checkpoint on, near the point.
                let near = line.projections(
                    point, window: from...max(from, line.length), radius: max(100, checkpoint.radiusMeters * 4))
                let along = near.min(by: { $0.along < $1.along })?.along ?? line.project(point)?.along ?? from
                placed.append((checkpoint, point, along))
                from = along
            }
            compiled[route.name] = CompiledRoute(route: route, line: line, checkpoints: placed)
        }
        self.routes = compiled
        self.assignments = Dictionary(grouping: assignments, by: \.vehicleID).mapValues {
            $0.sorted {
                ($0.from ?? UTCInstant(microsecondsSinceEpoch: .min))
                    < ($1.from ?? UTCInstant(microsecondsSinceEpoch: .min))
            }
        }
        self.exemptions = Dictionary(grouping: exemptions, by: \.vehicleID)
    }

    /// A shape on the frame's plane.
    public static func compile(_ shape: GeoShape, frame: LocalFrame) throws(ProjError) -> PlanarShape {
        switch shape {
        case .polygons(let polygons):
            var compiled: [Polygon] = []
            for polygon in polygons {
                var rings: [Ring] = []
                for ring in polygon {
                    rings.append(Ring(try ring.map { coordinate throws(ProjError) in try frame.project(coordinate) }))
                }
                compiled.append(Polygon(outer: rings[0], holes: Array(rings.dropFirst())))
            }
            return .polygons(compiled)
        case .circle(let center, let radius):
            return .circle(center: try frame.project(center), radius: radius * frame.scale(at: center))
        case .corridor(let line, let halfWidth):
            let points = try line.map { coordinate throws(ProjError) in try frame.project(coordinate) }
            let scale = line.first.map { frame.scale(at: $0) } ?? 1
            return .corridor(Polyline(points), halfWidth: halfWidth * scale)
        }
    }

    /// Whether a vehicle's route judgement is suspended at an instant.
    public func isExempt(_ vehicleID: String, at time: UTCInstant) -> Bool {
        exemptions[vehicleID]?.contains { time >= $0.from && time <= $0.to } ?? false
    }
}
