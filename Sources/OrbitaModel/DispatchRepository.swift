/// The order of an event page.
public enum EventOrder: Sendable {
    /// Newest first (a dispatcher's list); `beforeID` pages back.
    case newestFirst
    /// Oldest first (a live feed resuming after `afterID`).
    case oldestFirst
}

/// What the dispatchers' API and its live feed read and write beside tracks and zones: bounded track pages, rows by
/// their numbers (the live feed's cursor), event pages and acknowledgements, API tokens. The API reaches storage only
/// through this protocol, so that any backend that passes the storage contract serves it.
///
/// Synchronous and throwing on purpose, as `TrackStore` and `ZoneStore`: the API runs every call on NIO's blocking
/// pool, never on an event loop, so an asynchronous client (postgres-nio) is served by waiting for its futures there.
public protocol DispatchRepository: TrackStore, ZoneStore, ReportStore {
    /// The latest `limit` fixes of a vehicle in a time range, in time order, and whether older ones were left out.
    func track(vehicleID: String, from: UTCInstant?, to: UTCInstant?, latest limit: Int) throws(StoreError)
        -> (points: [TrackPoint], truncated: Bool)
    /// The numbers of the newest fix and event (0 when none).
    func latestNumbers() throws(StoreError) -> (fix: Int64, event: Int64)
    /// Fixes numbered after `afterID`, in number order, at most `limit`.
    func fixes(afterID: Int64, limit: Int) throws(StoreError) -> [(id: Int64, point: TrackPoint)]
    /// Events matching `query` with their numbers, in `order`, after `afterID` and before `beforeID` when given.
    func storedEvents(
        _ query: EventQuery, order: EventOrder, afterID: Int64?, beforeID: Int64?, unacknowledgedOnly: Bool
    ) throws(StoreError) -> [StoredEvent]
    /// The vehicles whose latest route deviation or return event is a deviation.
    func offRouteVehicles() throws(StoreError) -> Set<String>
    /// Acknowledges an event (the first acknowledgement's time is kept); nil when there is no such event.
    func acknowledgeEvent(id: Int64, at time: UTCInstant) throws(StoreError) -> StoredEvent?
    /// Stores a new API token (its secret's SHA-256 only).
    func createToken(name: String, role: AccessRole, secretSHA256: String, at time: UTCInstant) throws(StoreError)
        -> APIToken
    /// Every token, by number.
    func tokens() throws(StoreError) -> [APIToken]
    /// The token with this secret hash, revoked or not.
    func token(secretSHA256: String) throws(StoreError) -> APIToken?
    /// Revokes a token; false when there is none or it was revoked before.
    func revokeToken(id: Int64, at time: UTCInstant) throws(StoreError) -> Bool
}

extension DispatchRepository {
    /// Events matching `query`, newest first unless told otherwise, with the optional bounds left out.
    public func storedEvents(
        _ query: EventQuery, order: EventOrder = .newestFirst, beforeID: Int64? = nil, unacknowledgedOnly: Bool = false
    ) throws(StoreError) -> [StoredEvent] {
        try storedEvents(query, order: order, afterID: nil, beforeID: beforeID, unacknowledgedOnly: unacknowledgedOnly)
    }

    /// Events matching `query` after `afterID`, in `order`.
    public func storedEvents(_ query: EventQuery, order: EventOrder, afterID: Int64?) throws(StoreError)
        -> [StoredEvent]
    {
        try storedEvents(query, order: order, afterID: afterID, beforeID: nil, unacknowledgedOnly: false)
    }
}
