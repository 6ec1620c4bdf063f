import Ingest
import OrbitaServer
import Testing
import Tracking

@Suite("orbita serve's configuration file")
struct ConfigFileTests {
    @Test func everyKeyWrittenIsReadBack() throws {
        var settings = ServerSettings()
        settings.database = "/var/lib/orbita/fleet \"one\".sqlite"
        settings.ingest.udp = HostPort(host: "::", port: 6000)
        settings.ingest.tcp = nil
        settings.crs = "EPSG:32637"
        settings.commitInterval = 0.2
        settings.tracking.maximumHDOP = 4.5
        settings.tracking.maximumAgeSeconds = 3_600
        settings.events.leaveMeters = 150
        settings.events.wrongDirectionFixes = 5
        settings.logLevel = "debug"
        let text = ConfigFile.render(settings)
        let read = try ConfigFile.apply(text, onto: ServerSettings())
        #expect(ConfigFile.render(read) == text)
        #expect(read.database == settings.database)
        #expect(read.ingest.udp == settings.ingest.udp && read.ingest.tcp == nil)
        #expect(read.tracking == settings.tracking)
        #expect(read.events == settings.events)
        #expect(read.logLevel == "debug" && read.crs == "EPSG:32637" && read.commitInterval == 0.2)
        // The defaults render as something different: the round trip above is not vacuous.
        #expect(ConfigFile.render(ServerSettings()) != text)
    }

    @Test func aFileSetsOnlyWhatItNames() throws {
        let read = try ConfigFile.apply(
            """
            http: off
            register_unknown: true
            pipeline:
              minimum_satellites: 5
            events:
              fence_margin_m: 25
            """, onto: ServerSettings())
        var expected = ServerSettings()
        expected.http = nil
        expected.registerUnknown = true
        expected.tracking.minimumSatellites = 5
        expected.events.fenceMarginMeters = 25
        #expect(ConfigFile.render(read) == ConfigFile.render(expected))
        #expect(ConfigFile.render(try ConfigFile.apply("", onto: expected)) == ConfigFile.render(expected))
    }

    @Test(arguments: [
        ("udp: 5005", "udp: expected HOST:PORT or off"),
        ("pipeline:\n  maximum_hdp: 3", "unknown key pipeline.maximum_hdp"),
        ("pipline:\n  maximum_hdop: 3", "unknown key pipline"),
        ("events:\n  leave_fixes: 2.5", "events.leave_fixes: expected a whole number"),
        ("events:\n  leave_m: -1", "events.leave_m: must not be negative"),
        ("pipeline: 3", "pipeline: expected a mapping"),
        ("commit_size: many", "commit_size: expected a whole number, got \"many\""),
        ("log_level: loud", "log_level: expected one of"),
        ("- a\n- b", "expected a mapping of settings"),
        ("udp: [", "not valid YAML"),
    ])
    func aMistakeIsRefusedNamingTheKey(text: String, message: String) {
        do {
            _ = try ConfigFile.apply(text, onto: ServerSettings(), name: "orbita.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.hasPrefix("orbita.yaml: "), "\(error.description)")
            #expect(error.description.contains(message), "\(error.description)")
        }
    }
}
