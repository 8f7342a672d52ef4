import PresigndSupport
import PresigndHTTP
import PresigndSigning
import PresigndUploads
import XCTest

/// Bad input gets a clear 400 with a stable code, never a signature over something else.
final class SigningBadInputTests: XCTestCase {
    static let credentials = AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let time = UTCDateTime.parse("20260314T150926Z")!.unixSeconds

    func presigner(_ credentials: AWSCredentials = credentials) throws -> S3Presigner {
        S3Presigner(endpoint: try S3Endpoint(region: "us-east-1"), credentials: credentials)
    }

    func assertRefused(_ code: ErrorCode, _ message: String = "", file: StaticString = #filePath, line: UInt = #line,
                       _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), message, file: file, line: line) { error in
            guard let error = error as? SigningError else { return XCTFail("not a SigningError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.code, code, "\(message): \(error.message)", file: file, line: line)
            XCTAssertEqual(error.status, 400, file: file, line: line)
            XCTAssertFalse(error.message.contains("wJalrXUtnFEMI"), "a message must not carry the secret", file: file, line: line)
        }
    }

    /// A caller's query cannot carry the signer's own parameters, in any case; S3's own names
    /// (and other names starting with x) pass.
    func testAuthParametersInTheQueryAreRefused() throws {
        let presigner = try presigner()
        func presign(_ name: String) throws {
            _ = try presigner.presign(S3PresignRequest(method: "GET", bucket: "b-1", key: "k", expires: 60,
                                                       query: [(name: "response-content-type", value: "text/plain"), (name: name, value: "1")]),
                                      at: Self.time)
        }
        for name in ["X-Amz-Signature", "x-amz-date", "X-AMZ-EXPIRES", "x-Amz-Credential", "X-Amz-Algorithm", "x-amz-signedheaders",
                     "X-Amz-Security-Token"] {
            assertRefused("invalid_query", name) { try presign(name) }
        }
        for name in ["response-content-disposition", "partNumber", "xylophone", "X-Amz-Meta-Thing", "x-id", "versionId"] {
            XCTAssertNoThrow(try presign(name), name)
        }
    }

    func testKeysBucketsAndExpiry() throws {
        let presigner = try presigner()
        assertRefused("invalid_key", "empty key") { _ = try presigner.presign(S3PresignRequest(method: "GET", bucket: "b-1", key: "", expires: 60), at: Self.time) }
        assertRefused("invalid_key", "1025-byte key") {
            _ = try presigner.presign(S3PresignRequest(method: "GET", bucket: "b-1", key: String(repeating: "é", count: 513), expires: 60), at: Self.time)
        }
        XCTAssertNoThrow(try presigner.presign(S3PresignRequest(method: "GET", bucket: "b-1", key: String(repeating: "k", count: 1024), expires: 60), at: Self.time))
        for bucket in ["ab", "Upper", "under_score", "-lead", "trail-", "a..b", "192.168.1.1", String(repeating: "a", count: 64), "sp ace"] {
            assertRefused("invalid_bucket", bucket) { _ = try presigner.presign(S3PresignRequest(method: "GET", bucket: bucket, key: "k", expires: 60), at: Self.time) }
        }
        for expires in [0, -5, 604_801, Int.max] {
            assertRefused("invalid_expiry", "expires \(expires)") {
                _ = try presigner.presign(S3PresignRequest(method: "GET", bucket: "bucket", key: "k", expires: expires), at: Self.time)
            }
        }
        assertRefused("invalid_method") { _ = try presigner.presign(S3PresignRequest(method: "get", bucket: "bucket", key: "k", expires: 60), at: Self.time) }
    }

    func testHeadersAndQuery() throws {
        let presigner = try presigner()
        assertRefused("invalid_header", "non-ASCII value") {
            _ = try presigner.presign(S3PresignRequest(method: "PUT", bucket: "bucket", key: "k", expires: 60, headers: ["x-amz-meta-name": "zoë"]), at: Self.time)
        }
        assertRefused("invalid_header", "CR LF injection") {
            _ = try presigner.presign(S3PresignRequest(method: "PUT", bucket: "bucket", key: "k", expires: 60, headers: ["content-type": "a\r\nx: y"]), at: Self.time)
        }
        assertRefused("invalid_header", "bad name") {
            _ = try presigner.presign(S3PresignRequest(method: "PUT", bucket: "bucket", key: "k", expires: 60, headers: ["bad name": "v"]), at: Self.time)
        }
        assertRefused("invalid_header", "host is the signer's") {
            _ = try presigner.presign(S3PresignRequest(method: "PUT", bucket: "bucket", key: "k", expires: 60, headers: ["Host": "evil.example"]), at: Self.time)
        }
        assertRefused("invalid_query", "smuggled expiry") {
            _ = try presigner.presign(S3PresignRequest(method: "GET", bucket: "bucket", key: "k", expires: 60, query: [("X-Amz-Expires", "604800")]), at: Self.time)
        }
    }

    func testEndpoints() {
        for endpoint in ["ftp://x", "http://", "http://h:0", "http://h:99999", "http://user@h", "http://h/base", "http://[::1", "http://h?x=1", "http://h o"] {
            XCTAssertThrowsError(try S3Endpoint(region: "us-east-1", endpoint: endpoint, addressing: .path), endpoint)
        }
        XCTAssertThrowsError(try S3Endpoint(region: "US East", endpoint: nil))
        XCTAssertThrowsError(try S3Endpoint(region: "us-east-1", endpoint: "http://127.0.0.1:9000", addressing: .virtual), "virtual needs a DNS name")
    }

    func testIPv6EndpointAndPorts() throws {
        let presigner = S3Presigner(endpoint: try S3Endpoint(region: "us-east-1", endpoint: "http://[::1]:9000", addressing: .path), credentials: Self.credentials)
        let signed = try presigner.presign(S3PresignRequest(method: "GET", bucket: "bucket", key: "k", expires: 60), at: Self.time)
        XCTAssertTrue(signed.url.hasPrefix("http://[::1]:9000/bucket/k?"), signed.url)
        XCTAssertTrue(signed.signature.canonicalRequest.contains("\nhost:[::1]:9000\n"))
        let https = S3Presigner(endpoint: try S3Endpoint(region: "us-east-1", endpoint: "https://S3.Example.TEST:443", addressing: .path), credentials: Self.credentials)
        let signedHTTPS = try https.presign(S3PresignRequest(method: "GET", bucket: "bucket", key: "k", expires: 60), at: Self.time)
        XCTAssertTrue(signedHTTPS.signature.canonicalRequest.contains("\nhost:s3.example.test\n"), "default port left out of the signed host")
    }

    func testPostPolicyMistakes() throws {
        let signer = S3PostSigner(endpoint: try S3Endpoint(region: "us-east-1"), signer: SigV4Signer(credentials: Self.credentials))
        var policy = PostPolicy(bucket: "bucket", key: "k", expires: 60)
        policy.condition(.contentLengthRange(10, 1))
        assertRefused("invalid_policy", "inverted range") { _ = try signer.sign(policy, at: Self.time) }
        policy = PostPolicy(bucket: "bucket", key: "k", expires: 60)
        policy.contentLength(0...(6 * 1024 * 1024 * 1024))
        assertRefused("invalid_policy", "over 5 GiB") { _ = try signer.sign(policy, at: Self.time) }
        policy = PostPolicy(bucket: "bucket", key: "k", expires: 60)
        policy.field("policy", "x")
        assertRefused("invalid_policy", "reserved field") { _ = try signer.sign(policy, at: Self.time) }
        policy = PostPolicy(bucket: "bucket", key: "k", expires: 60)
        policy.successActionStatus(302)
        assertRefused("invalid_policy", "bad status") { _ = try signer.sign(policy, at: Self.time) }
        assertRefused("invalid_expiry") { _ = try signer.sign(PostPolicy(bucket: "bucket", key: "k", expires: 604_801), at: Self.time) }
        assertRefused("invalid_key") { _ = try signer.sign(PostPolicy(bucket: "bucket", key: "", expires: 60), at: Self.time) }
    }

    /// Regression: POST form field values were signed as given, CR/LF and non-ASCII included,
    /// though S3 turns them into the object's headers; a presigned PUT refused the same values.
    func testRegressionPostFieldValuesMustBePrintableASCII() throws {
        let signer = S3PostSigner(endpoint: try S3Endpoint(region: "us-east-1"), signer: SigV4Signer(credentials: Self.credentials))
        for (name, value) in [("Content-Disposition", "attachment\r\nX-Evil: 1"), ("x-amz-meta-name", "zoë"), ("Content-Type", "text/plain\u{0}")] {
            var policy = PostPolicy(bucket: "bucket", key: "k", expires: 60)
            policy.field(name, value)
            assertRefused("invalid_policy", "\(name) value \(value.debugDescription)") { _ = try signer.sign(policy, at: Self.time) }
        }
        var policy = PostPolicy(bucket: "bucket", key: "k", expires: 60)
        policy.contentDisposition(ContentDisposition.header(.attachment, fileName: "résumé\r\n.pdf"))
        XCTAssertNoThrow(try signer.sign(policy, at: Self.time), "the flows' Content-Disposition is ASCII by construction")
    }
}
