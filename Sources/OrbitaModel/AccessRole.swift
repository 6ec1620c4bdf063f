/// What an API token may do: a viewer reads; a dispatcher also acknowledges events and approves detours; an admin
/// also edits geofences, routes and vehicles.
public enum AccessRole: String, CaseIterable, Sendable, Hashable, Comparable {
    /// Reads.
    case viewer
    /// Reads, acknowledges events, approves detours.
    case dispatcher
    /// Everything.
    case admin

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .dispatcher: 1
        case .admin: 2
        }
    }

    /// Whether `lhs` may do less than `rhs`.
    public static func < (lhs: AccessRole, rhs: AccessRole) -> Bool { lhs.rank < rhs.rank }
}

/// An API token as stored: never the secret, only its hash.
public struct APIToken: Sendable, Hashable {
    /// Its number.
    public var id: Int64
    /// Who or what it is for.
    public var name: String
    /// What it may do.
    public var role: AccessRole
    /// When it was created.
    public var created: UTCInstant
    /// When it was revoked (nil: in force).
    public var revoked: UTCInstant?

    /// Creates a token record.
    public init(id: Int64, name: String, role: AccessRole, created: UTCInstant, revoked: UTCInstant? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.created = created
        self.revoked = revoked
    }
}

/// A stored event with its number: the cursor for paging and for a live feed's resume, and the key to acknowledge it.
public struct StoredEvent: Sendable, Hashable {
    /// Its number (increasing in the order events were stored).
    public var id: Int64
    /// The event.
    public var event: VehicleEvent

    /// Pairs an event with its number.
    public init(id: Int64, event: VehicleEvent) {
        self.id = id
        self.event = event
    }
}
