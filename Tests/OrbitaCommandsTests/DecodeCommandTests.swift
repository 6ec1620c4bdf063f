import Foundation
import OrbitaTesting
import Testing

/// Runs the built `orbita` binary, as a user would.
struct OrbitaProcess {
    let status: Int32
    let stdout: String
    let stderr: String

    static var binary: URL { Corpus.projectRoot.appendingPathComponent(".build/debug/orbita") }

    /// Runs `orbita` with `arguments`; `timeout` seconds, when given, ends it with SIGKILL (a test of something that
    /// must stop by itself then fails instead of hanging).
    static func run(_ arguments: [String], stdin: Data? = nil, timeout: Double? = nil) throws -> OrbitaProcess {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = Corpus.projectRoot
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let timeout {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [weak process] in
                if process?.isRunning == true { kill(pid, SIGKILL) }
            }
        }
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return OrbitaProcess(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

@Suite("orbita decode (the binary)", .serialized)
struct DecodeCommandTests {
    static let fixture = "fixtures/nmea/demo-fleet.nmea"

    @Test func decodesTheFleetFixtureIntoOneJSONObjectPerEpoch() throws {
        let result = try OrbitaProcess.run(["decode", Self.fixture])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 12)  // 12 `$PGID` cycles in the fixture
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["class"] as? String == "TPV")
            #expect((object["device"] as? String)?.hasPrefix("351") == true)
        }
        // The first cycle: $GNRMC,080000.00,A,5556.49460,N,03742.78824,E,24.558,182.40,090624 and its GGA/GSA/GSV.
        let expected: String = [
            #"{"class":"TPV","device":"35100000000000","time":"2024-06-09T08:00:00.000Z","mode":3,"#,
            #""lat":55.941576667,"lon":37.713137333,"altMSL":141.1,"altHAE":155.4,"geoidSep":14.3,"#,
            #""speed":12.634,"track":182.4,"sats":25,"hdop":1.49,"pdop":2.66,"vdop":2.2,"#,
            #""satsUsed":{"GPS":10,"GLONASS":8,"Galileo":7},"satsInView":{"GPS":10,"GLONASS":8,"Galileo":7},"#,
            #""datum":"WGS84"}"#,
        ].joined()
        #expect(lines.first.map(String.init) == expected)
        #expect(
            result.stderr == "lines=150 sentences=150 fixes=12 checksum_errors=0 malformed=0 unknown=0\n")
    }

    @Test func readsStandardInputWhenNoFileIsGiven() throws {
        let input = Data(
            """
            $GPGGA,123308.2,5521.76474,N,03731.92553,E,1,08,2.2,211.5,M,13.1,M,,*52
            $GPXTE,A,A,0.67,L,N*6e
            $GPZZZ,1,2*4E
            $GPRMC,,V,,,,,,,,,,N*53

            """.utf8)
        let result = try OrbitaProcess.run(["decode", "-"], stdin: input)
        #expect(result.status == 0)
        let expected: String = [
            #"{"class":"TPV","timeOfDay":"12:33:08.200","mode":3,"lat":55.362745667,"lon":37.532092167,"#,
            #""altMSL":211.5,"altHAE":224.6,"geoidSep":13.1,"sats":8,"hdop":2.2,"datum":"WGS84"}"#, "\n",
        ].joined()
        #expect(result.stdout == expected)
        #expect(result.stderr == "lines=4 sentences=2 fixes=1 checksum_errors=1 malformed=0 unknown=1\n")
    }

    @Test func strictModeCountsMissingChecksums() throws {
        let input = Data("$GPGLL,4916.45,N,12311.12,W,225444,A\n".utf8)
        let lenient = try OrbitaProcess.run(["decode"], stdin: input)
        #expect(lenient.stdout.contains(#""lat":49.274166667"#))
        let strict = try OrbitaProcess.run(["decode", "--strict"], stdin: input)
        #expect(strict.stdout.isEmpty)
        #expect(strict.stderr == "lines=1 sentences=0 fixes=0 checksum_errors=1 malformed=0 unknown=0\n")
    }

    @Test func anUnreadableFileIsNamedAndFailsTheRunButOthersAreDecoded() throws {
        let result = try OrbitaProcess.run(["decode", "/nonexistent/track.nmea", Self.fixture])
        #expect(result.status == 1)
        #expect(result.stdout.split(separator: "\n").count == 12)
        let errors = result.stderr.split(separator: "\n")
        #expect(
            errors.first
                == "orbita decode: cannot read /nonexistent/track.nmea: No such file or directory; check the path and permissions"
        )
        #expect(errors.last == "lines=150 sentences=150 fixes=12 checksum_errors=0 malformed=0 unknown=0")
    }

    @Test func namesTheDeviceOfAnonymousData() throws {
        let input = Data("$GPGLL,4916.45,N,12311.12,W,225444,A*31\n".utf8)
        let result = try OrbitaProcess.run(["decode", "--device", "bus-42"], stdin: input)
        #expect(result.stdout.hasPrefix(#"{"class":"TPV","device":"bus-42","timeOfDay":"22:54:44.000","mode":2"#))
    }
}
