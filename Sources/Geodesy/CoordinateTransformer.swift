import CProj
public import OrbitaModel

/// A PROJ coordinate operation between two CRSs, created once and reused.
///
/// Each transformer owns its own PROJ context, so different transformers may be used on different threads, but one
/// transformer must not be used by two threads at once (PROJ contexts are not thread-safe). Resources are freed when
/// the transformer is released. Coordinates are in the traditional GIS order: longitude/easting first.
public final class CoordinateTransformer {
    private let context: OpaquePointer
    private let operation: OpaquePointer
    /// The PROJ definition of the operation PROJ chose.
    public let definition: String

    /// An operation between two CRSs given as anything PROJ accepts (`EPSG:4326`, `+proj=utm +zone=37`, WKT).
    /// - Throws: `ProjError` when PROJ knows no CRS or no operation for them.
    public init(source: String, target: String) throws(ProjError) {
        guard let context = proj_context_create() else {
            throw ProjError(code: 0, message: "cannot create a PROJ context", operation: "create context")
        }
        guard let raw = proj_create_crs_to_crs(context, source, target, nil) else {
            let error = ProjError(context: context, operation: "create operation \(source) → \(target)")
            proj_context_destroy(context)
            throw error
        }
        guard let normalized = proj_normalize_for_visualization(context, raw) else {
            let error = ProjError(context: context, operation: "normalize axis order of \(source) → \(target)")
            proj_destroy(raw)
            proj_context_destroy(context)
            throw error
        }
        proj_destroy(raw)
        self.context = context
        self.operation = normalized
        self.definition = proj_pj_info(normalized).definition.map { String(cString: $0) } ?? ""
    }

    /// An operation given as a PROJ string or pipeline (`+proj=pipeline +step …`), used as written.
    /// - Throws: `ProjError` when PROJ cannot instantiate it.
    public init(pipeline: String) throws(ProjError) {
        guard let context = proj_context_create() else {
            throw ProjError(code: 0, message: "cannot create a PROJ context", operation: "create context")
        }
        guard let raw = proj_create(context, pipeline) else {
            let error = ProjError(context: context, operation: "create \(pipeline)")
            proj_context_destroy(context)
            throw error
        }
        self.context = context
        self.operation = raw
        self.definition = pipeline
    }

    deinit {
        proj_destroy(operation)
        proj_context_destroy(context)
    }

    /// Transforms one point forward.
    /// - Throws: `ProjError` when the point is outside what the operation can handle.
    public func forward(_ x: Double, _ y: Double) throws(ProjError) -> PlanarPoint {
        try transform(x, y, direction: PJ_FWD)
    }

    /// Transforms one point backward (target to source).
    public func inverse(_ x: Double, _ y: Double) throws(ProjError) -> PlanarPoint {
        try transform(x, y, direction: PJ_INV)
    }

    private func transform(_ x: Double, _ y: Double, direction: PJ_DIRECTION) throws(ProjError) -> PlanarPoint {
        var coordinate = PJ_COORD()
        coordinate.xyzt = PJ_XYZT(x: x, y: y, z: 0, t: .infinity)
        let result = proj_trans(operation, direction, coordinate)
        guard result.xy.x.isFinite, result.xy.y.isFinite else {
            let error = ProjError(context: context, operation: "transform (\(x), \(y))")
            proj_errno_reset(operation)
            throw error
        }
        return PlanarPoint(x: result.xy.x, y: result.xy.y)
    }

    /// Transforms many points forward in place, in one call to PROJ.
    /// - Returns: how many points failed; those are set to infinity.
    @discardableResult
    public func forward(_ points: inout [PlanarPoint]) -> Int {
        let count = points.count
        points.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            let stride = MemoryLayout<PlanarPoint>.stride
            _ = proj_trans_generic(
                operation, PJ_FWD, base.assumingMemoryBound(to: Double.self), stride, count,
                (base + 8).assumingMemoryBound(to: Double.self), stride, count, nil, 0, 0, nil, 0, 0)
        }
        return points.reduce(0) { $0 + ($1.x.isFinite && $1.y.isFinite ? 0 : 1) }
    }
}
