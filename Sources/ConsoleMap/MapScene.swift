public import OrbitaModel

/// What a vehicle's marker says (never by colour alone: each state has its own glyph).
public enum MarkerState: Int, Sendable, Comparable {
    /// No fix for a while (greyed).
    case stale
    /// Standing (a square).
    case stopped
    /// Driving (an arrow along its course).
    case moving
    /// Off its route or otherwise alarmed (`!`).
    case alarm

    /// Whether `lhs` is less urgent than `rhs`.
    public static func < (lhs: MarkerState, rhs: MarkerState) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The marker of a vehicle in `state` (never reported: stale).
    public init(_ state: LiveState) {
        switch state {
        case .moving: self = .moving
        case .stopped: self = .stopped
        case .stale, .unknown: self = .stale
        }
    }
}

/// A vehicle on the map, already projected.
public struct MapVehicle: Sendable {
    /// Its ID.
    public var id: String
    /// The label shown next to it (sanitised when drawn).
    public var label: String
    /// Where it is, in the map's metric frame.
    public var point: PlanarPoint
    /// What its marker says.
    public var state: MarkerState
    /// Course over ground, degrees (arrows for moving vehicles).
    public var courseDegrees: Double?

    /// Creates a vehicle marker.
    public init(id: String, label: String, point: PlanarPoint, state: MarkerState, courseDegrees: Double? = nil) {
        self.id = id
        self.label = label
        self.point = point
        self.state = state
        self.courseDegrees = courseDegrees
    }
}

/// A polyline or a ring (closed when `closed`), already projected, with its bounding box for culling.
public struct MapLine: Sendable {
    /// The vertices.
    public let points: [PlanarPoint]
    /// Joined back to the first vertex (polygon rings, geofences).
    public let closed: Bool
    /// Its colour (xterm-256).
    public let colour: UInt8
    /// Drawn only at this many metres per dot or closer (a basemap's level of detail; geofences: always).
    public let maximumMetresPerDot: Double
    let minimum: PlanarPoint
    let maximum: PlanarPoint

    /// Creates a line.
    public init(points: [PlanarPoint], closed: Bool = false, colour: UInt8, maximumMetresPerDot: Double = .infinity) {
        self.points = points
        self.closed = closed
        self.colour = colour
        self.maximumMetresPerDot = maximumMetresPerDot
        var low = PlanarPoint(x: .infinity, y: .infinity)
        var high = PlanarPoint(x: -.infinity, y: -.infinity)
        for point in points {
            low = PlanarPoint(x: min(low.x, point.x), y: min(low.y, point.y))
            high = PlanarPoint(x: max(high.x, point.x), y: max(high.y, point.y))
        }
        minimum = low
        maximum = high
    }
}

/// A named place of the basemap (a city), drawn as a dot and its name where the name fits.
public struct MapPlace: Sendable {
    /// Where it is, in the map's metric frame.
    public var point: PlanarPoint
    /// Its name (sanitised when drawn).
    public var name: String
    /// Drawn only at this many metres per dot or closer.
    public var maximumMetresPerDot: Double

    /// Creates a place.
    public init(point: PlanarPoint, name: String, maximumMetresPerDot: Double = .infinity) {
        self.point = point
        self.name = name
        self.maximumMetresPerDot = maximumMetresPerDot
    }
}

/// Everything a frame shows, in draw order: basemap, then geofences and routes, then vehicles and labels, then the
/// names of places where room is left.
public struct MapScene: Sendable {
    /// Basemap lines and rings (roads, water, boundaries).
    public var basemap: [MapLine] = []
    /// Basemap places, most important first (the first that fit are labelled).
    public var places: [MapPlace] = []
    /// Geofence outlines and route lines.
    public var overlays: [MapLine] = []
    /// The vehicles.
    public var vehicles: [MapVehicle] = []

    /// An empty scene.
    public init() {}
}

/// The part of the metric frame a frame shows.
public struct MapViewport: Sendable, Equatable {
    /// The centre, in the map's metric frame.
    public var center: PlanarPoint
    /// Metres per Braille dot horizontally (a cell is 2 × 4 dots, about 1:2 in a terminal font, so a dot is square).
    public var metresPerDot: Double
    /// Columns of the map area.
    public var columns: Int
    /// Rows of the map area.
    public var rows: Int

    /// Creates a viewport.
    public init(center: PlanarPoint, metresPerDot: Double, columns: Int, rows: Int) {
        self.center = center
        self.metresPerDot = metresPerDot
        self.columns = columns
        self.rows = rows
    }

    /// The dot a point falls on (may be outside the grid).
    @inline(__always)
    func dot(_ point: PlanarPoint) -> (x: Int, y: Int) {
        let x = (point.x - center.x) / metresPerDot + Double(columns)
        let y = Double(rows * 2) - (point.y - center.y) / metresPerDot
        // Far off the view (or not a number): clamped, so that the conversion to Int cannot trap.
        let far = 1e9
        return (
            Int(min(max(x.isNaN ? -far : x, -far), far).rounded(.down)),
            Int(min(max(y.isNaN ? -far : y, -far), far).rounded(.down))
        )
    }

    /// The cell a point falls in (may be outside the grid).
    public func cell(_ point: PlanarPoint) -> (column: Int, row: Int) {
        let (x, y) = dot(point)
        return (x >= 0 ? x / 2 : (x - 1) / 2, y >= 0 ? y / 4 : (y - 3) / 4)
    }
}
