import Foundation
import PresigndSupport
import PresigndSigning
import Synchronization
import XCTest

/// Where credentials come from, and a URL never outliving them.
final class SigningCredentialsTests: XCTestCase {
    static let time = UTCDateTime.parse("20260314T150926Z")!.unixSeconds

    func testEnvironmentWins() throws {
        let environment = Environment([
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret/key+1", "AWS_SESSION_TOKEN": "tok/en==",
            "AWS_CREDENTIAL_EXPIRATION": "2026-03-14T16:00:00+00:00", "AWS_SHARED_CREDENTIALS_FILE": "/creds",
        ], readFile: { _ in "[default]\naws_access_key_id = AKIAFILEFILEFILEFILE\naws_secret_access_key = x\n" })
        let credentials = try CredentialsLoader.load(from: environment)
        XCTAssertEqual(credentials.accessKeyID, "AKIAIOSFODNN7EXAMPLE")
        XCTAssertEqual(credentials.sessionToken, "tok/en==")
        XCTAssertEqual(credentials.expiresAt, UTCDateTime.parse("2026-03-14T16:00:00Z")!.unixSeconds)
        XCTAssertFalse("\(credentials)".contains("secret/key"), "description must mask the secret")
    }

    func testSecretFromFile() throws {
        let environment = Environment(["AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY_FILE": "/run/secret"],
                                      readFile: { $0 == "/run/secret" ? "from-file\n" : nil })
        XCTAssertEqual(try CredentialsLoader.load(from: environment).secretAccessKey, "from-file")
    }

    func testSharedCredentialsFileWithProfile() throws {
        let file = """
            # comment
            [default]
            aws_access_key_id = AKIADEFAULTDEFAULT00
            aws_secret_access_key = defaultsecret

            [uploads]
            aws_access_key_id=AKIAUPLOADSUPLOADS00
            aws_secret_access_key = upload/secret
            aws_session_token = session+token
            aws_expiration = 2026-03-14T15:19:26Z
            """
        let read: @Sendable (String) -> String? = { $0 == "/home/op/.aws/credentials" ? file : nil }
        let base = Environment(["HOME": "/home/op"], readFile: read)
        XCTAssertEqual(try CredentialsLoader.load(from: base).accessKeyID, "AKIADEFAULTDEFAULT00")
        let uploads = try CredentialsLoader.load(from: Environment(["HOME": "/home/op", "AWS_PROFILE": "uploads"], readFile: read))
        XCTAssertEqual(uploads.accessKeyID, "AKIAUPLOADSUPLOADS00")
        XCTAssertEqual(uploads.secretAccessKey, "upload/secret")
        XCTAssertEqual(uploads.sessionToken, "session+token")
        XCTAssertEqual(uploads.expiresAt, Self.time + 600)
        XCTAssertThrowsError(try CredentialsLoader.load(from: Environment(["HOME": "/home/op", "AWS_PROFILE": "nope"], readFile: read))) { error in
            XCTAssertEqual((error as? ConfigError)?.variable, "AWS_PROFILE")
        }
    }

    func testMissingOrBrokenCredentialsNameTheVariable() {
        let cases: [([String: String], String)] = [
            ([:], "AWS_ACCESS_KEY_ID"),
            (["AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"], "AWS_SECRET_ACCESS_KEY"),
            (["AWS_SECRET_ACCESS_KEY": "x"], "AWS_ACCESS_KEY_ID"),
            (["AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "x", "AWS_CREDENTIAL_EXPIRATION": "tomorrow"], "AWS_CREDENTIAL_EXPIRATION"),
            (["AWS_ACCESS_KEY_ID": "has/slash", "AWS_SECRET_ACCESS_KEY": "x"], "AWS_ACCESS_KEY_ID"),
            (["AWS_ACCESS_KEY_ID": String(repeating: "A", count: 129), "AWS_SECRET_ACCESS_KEY": "x"], "AWS_ACCESS_KEY_ID"),
        ]
        for (variables, variable) in cases {
            XCTAssertThrowsError(try CredentialsLoader.load(from: Environment(variables)), "\(variables)") { error in
                XCTAssertEqual((error as? ConfigError)?.variable, variable, "\(variables)")
            }
        }
    }

    /// S3-compatible stores issue access keys shorter than AWS's 16 characters.
    func testShortAccessKeysOfS3CompatibleStoresAreAccepted() throws {
        for key in ["minioadmin", "test", "GK31c2f218a2e44f485b94239e"] {
            let credentials = try CredentialsLoader.load(from: Environment(["AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": "minioadmin"]))
            XCTAssertEqual(credentials.accessKeyID, key)
        }
    }

    func testURLNeverOutlivesTemporaryCredentials() throws {
        let credentials = AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "s", sessionToken: "t", expiresAt: Self.time + 120)
        let presigner = S3Presigner(endpoint: try S3Endpoint(region: "us-east-1"), credentials: credentials)
        let clamped = try presigner.presign(S3PresignRequest(method: "GET", bucket: "bucket", key: "k", expires: 3600), at: Self.time)
        XCTAssertEqual(clamped.expiresIn, 120)
        XCTAssertEqual(clamped.expiresAt, Self.time + 120)
        XCTAssertTrue(clamped.clampedByCredentials)
        XCTAssertTrue(clamped.url.contains("&X-Amz-Expires=120&"))
        XCTAssertTrue(clamped.url.contains("&X-Amz-Security-Token=t&"))
        let short = try presigner.presign(S3PresignRequest(method: "GET", bucket: "bucket", key: "k", expires: 60), at: Self.time)
        XCTAssertFalse(short.clampedByCredentials)
        XCTAssertEqual(short.expiresIn, 60)

        let post = try S3PostSigner(endpoint: try S3Endpoint(region: "us-east-1"), signer: SigV4Signer(credentials: credentials))
            .sign(PostPolicy(bucket: "bucket", key: "k", expires: 3600), at: Self.time)
        XCTAssertTrue(post.clampedByCredentials)
        XCTAssertTrue(post.policyJSON.hasPrefix(#"{"expiration":"2026-03-14T15:11:26Z""#), post.policyJSON)

        XCTAssertThrowsError(try presigner.presign(S3PresignRequest(method: "GET", bucket: "bucket", key: "k", expires: 60), at: Self.time + 120)) { error in
            XCTAssertEqual((error as? SigningError)?.code, "credentials_expired")
            XCTAssertEqual((error as? SigningError)?.status, 503)
        }
    }

    func testSigningKeyCacheIsSharedSafelyAcrossThreads() throws {
        let presigner = S3Presigner(endpoint: try S3Endpoint(region: "eu-west-2"),
                                    credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
        let request = S3PresignRequest(method: "GET", bucket: "examplebucket", key: "k.txt", expires: 300)
        let expected = try presigner.presign(request, at: Self.time).url
        let results = Mutex<[Bool]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            var same = true
            for step in 0..<500 {
                // Alternate days so the key cache is written while others read it.
                let day = Int64(step % 3) * 86_400
                let url = try! presigner.presign(request, at: Self.time + day).url
                if day == 0 { same = same && url == expected }
            }
            results.withLock { $0.append(same) }
        }
        XCTAssertEqual(results.withLock { $0 }, Array(repeating: true, count: 8))
    }
}
