@testable import PresigndFastCGI
import PresigndSupport
import XCTest

final class ServerConfigTests: XCTestCase {
    func testDefaults() throws {
        let config = try ServerConfig.parse(environment: Environment([:]), cpuCount: 3)
        XCTAssertEqual(config, ServerConfig(listen: .inherited, socketMode: 0o660, workers: 3, threads: 8,
                                            bodyLimit: 65536, headerLimit: 32768, drainTimeout: 10))
    }

    func testFlagsOverrideEnvironment() throws {
        let environment = Environment(["PRESIGND_WORKERS": "2", "PRESIGND_LISTEN": "127.0.0.1:9000", "PRESIGND_SOCKET_MODE": "0600"])
        let config = try ServerConfig.parse(
            environment: environment, arguments: ["--workers", "5", "--listen=/run/presignd.sock", "--threads", "8"], cpuCount: 1)
        XCTAssertEqual(config.workers, 5)
        XCTAssertEqual(config.threads, 8)
        XCTAssertEqual(config.listen, .unixSocket(path: "/run/presignd.sock"))
        XCTAssertEqual(config.socketMode, 0o600)
        XCTAssertEqual(config.entries.first { $0.variable == "PRESIGND_SOCKET_MODE" }?.value, "0600")
    }

    func testListenAddresses() {
        XCTAssertEqual(ListenAddress.parse(":9000"), .tcp(host: "127.0.0.1", port: 9000))
        XCTAssertEqual(ListenAddress.parse("localhost:80"), .tcp(host: "127.0.0.1", port: 80))
        XCTAssertEqual(ListenAddress.parse("unix:/tmp/a.sock"), .unixSocket(path: "/tmp/a.sock"))
        XCTAssertEqual(ListenAddress.parse("inherited"), .inherited)
        XCTAssertNil(ListenAddress.parse("127.0.0.1:0"))
        XCTAssertNil(ListenAddress.parse("example.com:80"))
        XCTAssertNil(ListenAddress.parse("256.0.0.1:80"))
        XCTAssertNil(ListenAddress.parse("/" + String(repeating: "a", count: 120)))
    }

    func testErrorsNameTheFlagOrVariable() {
        XCTAssertThrowsError(try ServerConfig.parse(environment: Environment([:]), arguments: ["--workers", "0"], cpuCount: 1)) {
            XCTAssertEqual(($0 as? ConfigError)?.variable, "--workers")
        }
        XCTAssertThrowsError(try ServerConfig.parse(environment: Environment(["PRESIGND_SOCKET_MODE": "rw"]), cpuCount: 1)) {
            XCTAssertEqual(($0 as? ConfigError)?.variable, "PRESIGND_SOCKET_MODE")
        }
        XCTAssertThrowsError(try ServerConfig.parse(environment: Environment([:]), arguments: ["--bogus"], cpuCount: 1))
        XCTAssertThrowsError(try ServerConfig.parse(environment: Environment([:]), arguments: ["--threads"], cpuCount: 1))
    }
}

final class EnvironmentFileTests: XCTestCase {
    func testSystemdStyleLines() throws {
        let text = "# comment\n; also\n\nPRESIGND_WORKERS=3\r\n  export PRESIGND_LISTEN = /run/p.sock \nQUOTED=\"a b\"\nSINGLE='x=y'\nEMPTY=\n"
        let variables = try EnvironmentFile.parse(text, path: "/etc/presignd/presignd.env")
        XCTAssertEqual(variables, ["PRESIGND_WORKERS": "3", "PRESIGND_LISTEN": "/run/p.sock", "QUOTED": "a b",
                                   "SINGLE": "x=y", "EMPTY": ""])
    }

    func testBadLineNamesFileAndLine() {
        XCTAssertThrowsError(try EnvironmentFile.parse("A=1\nnot a pair\n", path: "/x.env")) { error in
            XCTAssertEqual((error as? ConfigError)?.description, "PRESIGND_ENV_FILE: /x.env line 2 is not NAME=value")
        }
        XCTAssertThrowsError(try EnvironmentFile.parse("1A=1\n", path: "/x.env"))
    }
}
