import Foundation
import PresigndSupport
import PresigndHTTP
import PresigndSigning
import XCTest

/// The two official AWS SigV4 suites: the classic one (via botocore) and aws-c-auth's v4 suite.
final class SigningAWSSuiteTests: XCTestCase {
    static let time = UTCDateTime.parse("20150830T123600Z")!.unixSeconds

    /// A raw HTTP request from a suite's `.req` / `request.txt`.
    struct RawRequest {
        var method = "", path = ""
        var query: [(name: String, value: String)] = []
        var headers = HTTPHeaders()
        var body: [UInt8] = []

        init(_ text: String) {
            var lines = text.components(separatedBy: "\n")
            let requestLine = lines.removeFirst()
            method = String(requestLine.prefix { $0 != " " })
            var target = requestLine.dropFirst(method.count + 1)
            if let range = target.range(of: " HTTP/", options: .backwards) { target = target[..<range.lowerBound] }
            let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            path = String(parts[0])
            if parts.count > 1 {
                for item in parts[1].split(separator: "&") {
                    let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    query.append((name: String(kv[0]).removingPercentEncoding!, value: (kv.count > 1 ? String(kv[1]) : "").removingPercentEncoding!))
                }
            }
            var fields: [(String, String)] = []
            var index = 0
            while index < lines.count, !lines[index].isEmpty {
                let line = lines[index]
                if line.first == " " || line.first == "\t", !fields.isEmpty {
                    // An obsolete folded header line continues the previous value.
                    fields[fields.count - 1].1 += " " + line.trimmingCharacters(in: .whitespaces)
                } else if let colon = line.firstIndex(of: ":") {
                    fields.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
                }
                index += 1
            }
            for (name, value) in fields { headers.add(name, value) }
            if index < lines.count { body = Array(lines[(index + 1)...].joined(separator: "\n").utf8) }
        }
    }

    func directories(_ root: String) -> [String] {
        let base = SigningVectors.directory.appendingPathComponent(root)
        let enumerator = FileManager.default.enumerator(atPath: base.path)!
        var found: [String] = []
        while let item = enumerator.nextObject() as? String {
            if item.hasSuffix(".req") { found.append(root + "/" + (item as NSString).deletingLastPathComponent) }
        }
        return found.sorted()
    }

    func testClassicSuite() throws {
        let cases = directories("aws-sig-v4-test-suite")
        XCTAssertEqual(cases.count, 34)
        for directory in cases {
            let name = (directory as NSString).lastPathComponent
            let file = { (ext: String) in SigningVectors.text(directory + "/" + name + "." + ext)! }
            var request = RawRequest(file("req"))
            // A token in the request is the caller's session token; "after" cases add it unsigned.
            let token = request.headers["X-Amz-Security-Token"]
                ?? (name == "get-vanilla-with-session-token" ? "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267" : nil)
            request.headers.remove("X-Amz-Security-Token")
            let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                             sessionToken: token)
            let signer = GenericSigV4Signer(signer: SigV4Signer(credentials: credentials), region: "us-east-1", service: "service")
            let signed = try signer.signHeaders(
                SigV4Request(method: request.method, path: request.path, query: request.query, headers: request.headers),
                payloadHash: SigningVectors.sha256Hex(request.body), at: Self.time, signSessionToken: name != "post-sts-header-after")
            XCTAssertEqual(signed.signature.canonicalRequest, file("creq"), "\(name): canonical request")
            XCTAssertEqual(signed.signature.stringToSign, file("sts"), "\(name): string to sign")
            XCTAssertEqual(signed.authorization, file("authz"), "\(name): Authorization")
        }
    }

    func testAWSCAuthSuite() throws {
        let base = SigningVectors.directory.appendingPathComponent("aws-signing-test-suite/v4")
        let cases = try FileManager.default.contentsOfDirectory(atPath: base.path).sorted()
        XCTAssertEqual(cases.count, 38)
        for name in cases {
            let file = { (leaf: String) in SigningVectors.text("aws-signing-test-suite/v4/\(name)/\(leaf)")! }
            let context = try JSONParser().parse(file("context.json"))
            let creds = context["credentials"]!
            let credentials = AWSCredentials(accessKeyID: creds["access_key_id"]!.stringValue!,
                                             secretAccessKey: creds["secret_access_key"]!.stringValue!,
                                             sessionToken: creds["token"]?.stringValue)
            let time = UTCDateTime.parse(context["timestamp"]!.stringValue!)!.unixSeconds
            let signer = GenericSigV4Signer(
                signer: SigV4Signer(credentials: credentials), region: context["region"]!.stringValue!, service: context["service"]!.stringValue!,
                pathRule: context["normalize"]!.boolValue! ? .normalizedDoubleEncoded : .doubleEncoded)
            let raw = RawRequest(file("request.txt"))
            let request = SigV4Request(method: raw.method, path: raw.path, query: raw.query, headers: raw.headers)
            let payloadHash = SigningVectors.sha256Hex(raw.body)
            let signToken = context["omit_session_token"]?.boolValue != true

            let headerSigned = try signer.signHeaders(request, payloadHash: payloadHash, at: time,
                                                      contentSHA256Header: context["sign_body"]?.boolValue == true, signSessionToken: signToken)
            XCTAssertEqual(headerSigned.signature.canonicalRequest, file("header-canonical-request.txt"), "\(name): header canonical request")
            XCTAssertEqual(headerSigned.signature.stringToSign, file("header-string-to-sign.txt"), "\(name): header string to sign")
            XCTAssertEqual(headerSigned.signature.signature, file("header-signature.txt"), "\(name): header signature")

            let querySigned = try signer.presign(request, payloadHash: payloadHash, at: time,
                                                 expires: Int(context["expiration_in_seconds"]!.int64Value!), signSessionToken: signToken)
            XCTAssertEqual(querySigned.signature.canonicalRequest, file("query-canonical-request.txt"), "\(name): query canonical request")
            XCTAssertEqual(querySigned.signature.stringToSign, file("query-string-to-sign.txt"), "\(name): query string to sign")
            XCTAssertEqual(querySigned.signature.signature, file("query-signature.txt"), "\(name): query signature")
            // The signed request's query holds the same parameters (the order is the SDK's choice).
            let expectedLine = file("query-signed-request.txt").components(separatedBy: "\n")[0]
            let expectedQuery = expectedLine.components(separatedBy: "?").dropFirst().joined(separator: "?").components(separatedBy: " HTTP/")[0]
            let decoded = { (query: String) in Set(query.split(separator: "&").map { String($0).removingPercentEncoding! }) }
            XCTAssertEqual(decoded(querySigned.query), decoded(expectedQuery), "\(name): signed query")
        }
    }
}
