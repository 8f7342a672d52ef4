import Foundation
import PresigndHTTPClient
import XCTest

/// Drives the libcurl client against a real HTTP server (Python's http.server on loopback).
final class HTTPClientTests: XCTestCase {
    var server: Process!
    var port = 0

    override func setUpWithError() throws {
        let script = """
        import http.server, sys
        class H(http.server.BaseHTTPRequestHandler):
            def reply(self, status, body, extra=()):
                self.send_response(status)
                self.send_header("X-Echo-Method", self.command)
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra: self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD": self.wfile.write(body)
            def do_GET(self):
                if self.path == "/big": return self.reply(200, b"x" * 5000)
                self.reply(200, ("got " + self.headers.get("X-Test", "")).encode())
            def do_HEAD(self): self.reply(200, b"12345", [("ETag", '"abc"')])
            def do_PUT(self):
                n = int(self.headers.get("Content-Length", "0"))
                data = self.rfile.read(n)
                self.reply(201, data + b"|" + (self.headers.get("Content-Type") or "none").encode())
            def do_DELETE(self): self.reply(204, b"")
            def log_message(self, *a): pass
        server = http.server.HTTPServer(("127.0.0.1", 0), H)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """
        server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", script]
        // The server picks a free port and says which: a random port could belong to another
        // process, whose answers the readiness probe below would take for this server's.
        let output = Pipe()
        server.standardOutput = output
        try server.run()
        var line: [UInt8] = []
        while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { line.append(byte) }
        port = Int(String(decoding: line, as: UTF8.self)) ?? 0
        XCTAssertGreaterThan(port, 0, "the test server did not report its port")
        for _ in 0..<100 {
            if (try? HTTPClient().send(OutboundRequest(method: "GET", url: url("/"), timeoutMilliseconds: 200))) != nil { return }
            usleep(50_000)
        }
        XCTFail("test server did not start")
    }

    override func tearDown() {
        server.terminate()
        server.waitUntilExit()
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func testGetSendsHeadersAndReadsBody() throws {
        let response = try HTTPClient().send(OutboundRequest(method: "GET", url: url("/"), headers: [("X-Test", "hello")]))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), "got hello")
        XCTAssertEqual(response.header("x-echo-method"), "GET")
    }

    func testHeadReadsHeadersWithoutBody() throws {
        let response = try HTTPClient().send(OutboundRequest(method: "HEAD", url: url("/object")))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Content-Length"), "5")
        XCTAssertEqual(response.header("ETag"), "\"abc\"")
        XCTAssertTrue(response.body.isEmpty)
    }

    func testPutSendsBodyWithoutInventedContentType() throws {
        let client = HTTPClient()
        let plain = try client.send(OutboundRequest(method: "PUT", url: url("/x"), body: Array("data".utf8)))
        XCTAssertEqual(plain.status, 201)
        XCTAssertEqual(String(decoding: plain.body, as: UTF8.self), "data|none")
        let typed = try client.send(OutboundRequest(method: "PUT", url: url("/x"), headers: [("Content-Type", "text/xml")], body: Array("<a/>".utf8)))
        XCTAssertEqual(String(decoding: typed.body, as: UTF8.self), "<a/>|text/xml")
    }

    func testDelete() throws {
        let response = try HTTPClient().send(OutboundRequest(method: "DELETE", url: url("/x")))
        XCTAssertEqual(response.status, 204)
        XCTAssertEqual(response.header("X-Echo-Method"), "DELETE")
    }

    func testOversizedResponseIsRefused() {
        XCTAssertThrowsError(try HTTPClient(maxResponseBytes: 1000).send(OutboundRequest(method: "GET", url: url("/big")))) { error in
            XCTAssertTrue("\(error)".contains("larger than 1000"))
        }
    }

    func testUnreachablePeerFailsFast() {
        let start = Date()
        XCTAssertThrowsError(try HTTPClient().send(OutboundRequest(method: "GET", url: "http://127.0.0.1:1/", timeoutMilliseconds: 1000)))
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
    }

    func testOnlyHTTPSchemesAreAllowed() {
        XCTAssertThrowsError(try HTTPClient().send(OutboundRequest(method: "GET", url: "file:///etc/passwd")))
    }

    /// Issue 13, defect 8: no curl_easy_setopt result was checked, so an option libcurl refused
    /// was silently dropped and the request sent anyway. A URL over libcurl's 8 MB input limit is
    /// one option it refuses: the request now fails, naming the option, and is never sent.
    func testRegressionRefusedCurlOptionFailsTheRequest() {
        let huge = url("/") + "?" + String(repeating: "a", count: 9 << 20)
        XCTAssertThrowsError(try HTTPClient().send(OutboundRequest(method: "GET", url: huge, timeoutMilliseconds: 2_000))) { error in
            XCTAssertTrue("\(error)".hasPrefix("libcurl refused option"), "\(error)")
        }
        XCTAssertEqual(try HTTPClient().send(OutboundRequest(method: "GET", url: url("/"))).status, 200, "the next request is unaffected")
    }
}
