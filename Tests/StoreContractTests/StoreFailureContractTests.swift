import OrbitaModel
import Testing

/// How every backend fails: typed `StoreError`s, and nothing committed is lost. Each test runs on the backends that
/// can provoke its fault (`StoreBackend.lockable`, `fillable`, `damageable`).
@Suite("Store contract: failures")
struct StoreFailureContractTests {
    @Test(arguments: StoreBackend.damageable)
    func aDamagedDatabaseIsReportedCorrupt(backend: StoreBackend) throws {
        let opener = try #require(backend.openDamaged)
        let error = #expect(throws: StoreError.self) { _ = try opener() }
        #expect(error?.category == "corrupt")
        #expect(error?.description.hasPrefix("the database is corrupt") == true, "\(String(describing: error))")
    }

    @Test(arguments: StoreBackend.lockable)
    func aLockedDatabaseRefusesTheBatchAndLosesNothing(backend: StoreBackend) throws {
        let holdingWriteLock = try #require(backend.holdingWriteLock)
        let database = try backend.makeDatabase()
        let store = try database.connect()
        _ = try store.insert([fix("bus-1", 0)])
        try holdingWriteLock(database) { () throws in
            let error = #expect(throws: StoreError.self) { try store.insert([fix("bus-1", 1)]) }
            #expect(error?.category == "locked")
            #expect(error?.description.hasPrefix("the database is locked by another process") == true)
            // Reading goes on while another client writes.
            #expect(try store.track(vehicleID: "bus-1", from: nil, to: nil) == [fix("bus-1", 0)])
        }
        #expect(try store.insert([fix("bus-1", 1)]) == InsertOutcome(inserted: 1))
        #expect(try store.track(vehicleID: "bus-1", from: nil, to: nil) == [fix("bus-1", 0), fix("bus-1", 1)])
        #expect(try backend.integrityProblems?(database) ?? [] == [])
    }

    @Test(arguments: StoreBackend.fillable)
    func aFullDatabaseRefusesTheBatchAndKeepsWhatWasCommitted(backend: StoreBackend) throws {
        let makeSmallDatabase = try #require(backend.makeSmallDatabase)
        let database = try makeSmallDatabase(1024 * 1024)
        let store = try database.connect()
        var committed = 0
        var failure: StoreError?
        for batch in 0..<200 where failure == nil {
            let points = (0..<100).map { fix("bus-1", Int64(batch * 100 + $0)) }
            do throws(StoreError) {
                committed += try store.insert(points).inserted
            } catch {
                failure = error
            }
        }
        #expect(failure?.category == "diskFull", "\(String(describing: failure))")
        #expect(committed > 0)
        #expect(committed % 100 == 0)  // whole batches only
        #expect(try store.track(vehicleID: "bus-1", from: nil, to: nil).count == committed)
        let reopened = try database.connect()
        #expect(try reopened.track(vehicleID: "bus-1", from: nil, to: nil).count == committed)
        #expect(try backend.integrityProblems?(database) ?? [] == [])
    }
}
