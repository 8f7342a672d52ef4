import PresigndSupport
import XCTest

final class SupportTests: XCTestCase {
    func testBase64RoundTripsAndIsStrict() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + 11) % 256) }
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes)
            XCTAssertEqual(Base64.decodeURL(Base64.encodeURL(bytes)), bytes)
        }
        XCTAssertEqual(Base64.encode(Array("any carnal pleasure.".utf8)), "YW55IGNhcm5hbCBwbGVhc3VyZS4=")
        XCTAssertEqual(Base64.encodeURL([0xFB, 0xFF]), "-_8")
        XCTAssertNil(Base64.decode("YW55=IGN"))       // padding in the middle
        XCTAssertNil(Base64.decode("YQ"))             // padding required in standard mode
        XCTAssertNil(Base64.decodeURL("YR"))          // non-zero trailing bits: not canonical
        XCTAssertNil(Base64.decodeURL("a+b/"))        // wrong alphabet
        XCTAssertNil(Base64.decode("YW 5"))           // whitespace
        XCTAssertNil(Base64.decodeURL("A"))           // impossible length
    }

    func testPercentEncodingMatchesAWSRules() {
        XCTAssertEqual(PercentEncoding.encode("a b+c=d!*'()~_.-/é"), "a%20b%2Bc%3Dd%21%2A%27%28%29~_.-%2F%C3%A9")
        XCTAssertEqual(PercentEncoding.encode("dir/a b", keepSlash: true), "dir/a%20b")
        XCTAssertEqual(PercentEncoding.decode("a%20b%2Fc"), "a b/c")
        XCTAssertEqual(PercentEncoding.decodeFormComponent("a+b%2B"), "a b+")
        XCTAssertNil(PercentEncoding.decode("%zz"))
        XCTAssertNil(PercentEncoding.decode("%C3"))  // truncated UTF-8
        XCTAssertNil(PercentEncoding.decode("abc%2"))
    }

    func testHex() {
        XCTAssertEqual(Hex.encode([0x00, 0xAB, 0xFF]), "00abff")
        XCTAssertEqual(Hex.decode("00ABff"), [0x00, 0xAB, 0xFF])
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertNil(Hex.decode("zz"))
    }

    func testUTCDateTimeFormatsAndParses() {
        let t = UTCDateTime(1_773_500_966)  // 2026-03-14T15:09:26Z
        XCTAssertEqual(t.amzDate, "20260314T150926Z")
        XCTAssertEqual(t.dateStamp, "20260314")
        XCTAssertEqual(t.iso8601, "2026-03-14T15:09:26Z")
        XCTAssertEqual(t.iso8601Milliseconds, "2026-03-14T15:09:26.000Z")
        XCTAssertEqual(t.httpDate, "Sat, 14 Mar 2026 15:09:26 GMT")
        XCTAssertEqual(UTCDateTime.parse("20260314T150926Z")?.unixSeconds, 1_773_500_966)
        XCTAssertEqual(UTCDateTime.parse("2024-02-29T00:00:00Z")?.unixSeconds, 1_709_164_800)
        XCTAssertEqual(UTCDateTime.parse("2026-12-31T23:59:59.000Z")?.unixSeconds, 1_798_761_599)
        XCTAssertEqual(UTCDateTime(0).httpDate, "Thu, 01 Jan 1970 00:00:00 GMT")
        XCTAssertNil(UTCDateTime.parse("2023-02-29T00:00:00Z"))
        XCTAssertNil(UTCDateTime.parse("20260314T150926"))
        XCTAssertNil(UTCDateTime.parse("2026-03-14 15:09:26Z"))
        XCTAssertNil(UTCDateTime.parse("2026-13-14T15:09:26Z"))
        for time: UnixSeconds in [-1, 0, 951_782_400, 4_102_444_800, 1_773_500_966] {
            XCTAssertEqual(UTCDateTime(time).unixSeconds, time)
        }
    }

    func testEnvironmentReadsSecretsFromFiles() throws {
        let files = ["/run/secret": "s3cr3t\n", "/run/empty": "\n"]
        let env = Environment(["A_FILE": "/run/secret", "B": "x", "B_FILE": "/run/secret", "C_FILE": "/missing", "D_FILE": "/run/empty"],
                              readFile: { files[$0] })
        XCTAssertEqual(try env.secret("A"), "s3cr3t")
        XCTAssertThrowsError(try env.secret("B")) { XCTAssertEqual("\($0)", "B: set either B or B_FILE, not both") }
        XCTAssertThrowsError(try env.secret("C")) { XCTAssertEqual("\($0)", "C_FILE: cannot read the file /missing") }
        XCTAssertThrowsError(try env.secret("D")) { XCTAssertEqual("\($0)", "D_FILE: the file /run/empty is empty") }
        XCTAssertNil(try env.secret("E"))
    }

    func testEnvironmentIntegersAndBooleansNameTheVariable() {
        let env = Environment(["N": "12x", "M": "99", "F": "maybe", "T": "yes"])
        XCTAssertThrowsError(try env.integer("N", default: 1, range: 1...10)) {
            XCTAssertEqual("\($0)", #"N: expected a whole number, got "12x""#)
        }
        XCTAssertThrowsError(try env.integer("M", default: 1, range: 1...10)) {
            XCTAssertEqual("\($0)", "M: must be between 1 and 10, got 99")
        }
        XCTAssertEqual(try env.integer("UNSET", default: 7, range: 1...10), 7)
        XCTAssertThrowsError(try env.boolean("F", default: false))
        XCTAssertEqual(try env.boolean("T", default: false), true)
    }

    func testAnEnvironmentThatCollectsNamesEveryBadVariableAndGoesOnWithTheDefaults() throws {
        let problems = ConfigProblems()
        let env = Environment(["N": "12x", "M": "99", "F": "maybe", "S_FILE": "/missing"], reportingTo: problems)
        XCTAssertEqual(try env.integer("N", default: 1, range: 1...10), 1)
        XCTAssertEqual(try env.integer("M", default: 2, range: 1...10), 2)
        XCTAssertEqual(try env.boolean("F", default: true), true)
        XCTAssertNil(try env.secret("S"))
        try env.refuse(ConfigError(variable: "N", problem: "a second problem with N"))
        XCTAssertEqual(problems.take().map(\.description), [
            #"N: expected a whole number, got "12x""#, "M: must be between 1 and 10, got 99",
            #"F: expected true or false, got "maybe""#, "S_FILE: cannot read the file /missing",
        ])
        XCTAssertEqual(problems.take(), [])
        XCTAssertThrowsError(try env.throwing.integer("N", default: 1, range: 1...10))
    }

    func testConfigEntryMasksSecrets() {
        XCTAssertEqual(ConfigEntry("KEY", "hunter2", secret: true).value, "****** (7 bytes)")
        XCTAssertEqual(ConfigEntry("PLAIN", "v").value, "v")
        XCTAssertEqual(ConfigEntry("NONE", nil, secret: true).value, "(unset)")
    }
}

/// Each text masks to the expected one, and no part of the password `s3cr3t` is left.
func assertMasked(_ cases: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
    for (text, expected) in cases {
        let masked = ConnectionString.masked(text)
        XCTAssertEqual(masked, expected, text, file: file, line: line)
        XCTAssertFalse(masked.contains("s3") || masked.contains("cr3t"), masked, file: file, line: line)
    }
}

final class ConnectionStringTests: XCTestCase {
    func testPasswordsAreMaskedInBothForms() {
        XCTAssertEqual(ConnectionString.masked("postgres://app:s3cr3t@db:5432/presignd"), "postgres://app:******@db:5432/presignd")
        XCTAssertEqual(ConnectionString.masked("postgresql://app:p@ss@db/x"), "postgresql://app:******@db/x")
        XCTAssertEqual(ConnectionString.masked("postgres://app@db/x"), "postgres://app@db/x")
        XCTAssertEqual(ConnectionString.masked("host=db user=app Password=s3cr3t dbname=x"), "host=db user=app password=****** dbname=x")
        XCTAssertEqual(ConnectionString.masked("host=/run/postgresql dbname=x"), "host=/run/postgresql dbname=x")
    }

    /// Regression: a password in the URI's query, spelled with spaces around `=`, or quoted with
    /// a space in it was printed by check-config in full (or in part).
    func testRegressionEveryLibpqPasswordSpellingIsMasked() {
        let cases = [
            ("postgresql://db/x?sslmode=require&password=s3cr3t", "postgresql://db/x?sslmode=require&password=******"),
            ("postgresql://app@db/x?password=s3cr3t&connect_timeout=3", "postgresql://app@db/x?password=******&connect_timeout=3"),
            ("host=db password = s3cr3t dbname=x", "host=db password = ****** dbname=x"),
            ("host=db password='s3 cr3t' dbname=x", "host=db password=****** dbname=x"),
            ("host=db password='s3\\' cr3t' dbname=x", "host=db password=****** dbname=x"),
            ("host=db password=s3\\ cr3t dbname=x", "host=db password=****** dbname=x"),
            ("password=s3cr3t", "password=******"),
            ("password=", "password=******"),
            ("host=db password='unterminated", "host=db password=******"),
        ]
        assertMasked(cases)
    }
}
