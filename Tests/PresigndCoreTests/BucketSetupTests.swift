import XCTest
import PresigndSupport
import PresigndHTTP
import PresigndSigning

final class BucketSetupTests: XCTestCase {
    let setup = BucketSetup(origins: ["https://app.example.com"], corsMaxAge: 600, abortAfterDays: 2)

    func body(_ change: BucketSetup.Change) -> String? {
        guard case .put(let bytes, _) = change else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    func testCORSIsSetKeepingOtherRulesAndThenUnchanged() throws {
        let existing = Array("""
            <CORSConfiguration><CORSRule><ID>analytics</ID><AllowedOrigin>https://stats.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>
            """.utf8)
        let put = try XCTUnwrap(body(setup.cors(current: existing)))
        XCTAssertTrue(put.contains("<ID>presignd-browser-uploads</ID><AllowedOrigin>https://app.example.com</AllowedOrigin>"))
        XCTAssertTrue(put.contains("<ExposeHeader>ETag</ExposeHeader><ExposeHeader>Location</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds>"))
        XCTAssertTrue(put.contains("<CORSRule><ID>analytics</ID><AllowedOrigin>https://stats.example.com</AllowedOrigin>"), "the bucket's rule is kept")
        XCTAssertEqual(setup.cors(current: Array(put.utf8)), .unchanged)
        let otherOrigins = BucketSetup(origins: ["https://new.example.com"], corsMaxAge: 600)
        XCTAssertNotNil(body(otherOrigins.cors(current: Array(put.utf8))))
        XCTAssertNotNil(body(setup.cors(current: nil)))
    }

    func testPublicAccessBlockAndLifecycle() throws {
        let open = Array("<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>".utf8)
        let blocked = try XCTUnwrap(body(setup.publicAccessBlock(current: open)))
        XCTAssertEqual(setup.publicAccessBlock(current: Array(blocked.utf8)), .unchanged)

        let lifecycle = try XCTUnwrap(body(setup.lifecycle(current: Array("<LifecycleConfiguration><Rule><ID>logs</ID><Status>Enabled</Status></Rule></LifecycleConfiguration>".utf8))))
        XCTAssertTrue(lifecycle.contains("<AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload>"))
        XCTAssertTrue(lifecycle.contains("<Rule><ID>logs</ID><Status>Enabled</Status></Rule>"))
        XCTAssertEqual(setup.lifecycle(current: Array(lifecycle.utf8)), .unchanged)
        XCTAssertNotNil(body(BucketSetup(origins: [], abortAfterDays: 3).lifecycle(current: Array(lifecycle.utf8))))
    }

    func testCORSOriginsAreExactOrigins() throws {
        let config = try CORSConfig.from(Environment(["PRESIGND_CORS_ORIGINS": " https://app.example.com, http://localhost:5173 ,https://app.example.com"]))
        XCTAssertEqual(config.origins, ["https://app.example.com", "http://localhost:5173"])
        XCTAssertEqual(config.maxAge, 3600)
        for bad in ["*", "app.example.com", "https://app.example.com/", "ftp://x", "https://a b"] {
            XCTAssertThrowsError(try CORSConfig.from(Environment(["PRESIGND_CORS_ORIGINS": bad])), bad) { error in
                XCTAssertEqual((error as? ConfigError)?.variable, "PRESIGND_CORS_ORIGINS")
            }
        }
    }
}
