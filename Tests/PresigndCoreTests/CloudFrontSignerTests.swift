import PresigndSupport
import PresigndSigning
import PresigndCrypto
import XCTest

/// CloudFront beyond the botocore vectors: SHA-256, ECDSA P-256, and keys CloudFront would refuse.
final class CloudFrontSignerTests: XCTestCase {
    // Test-only keys generated for these tests with openssl; they protect nothing.
    static let ecP256 = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgu0LRmwMMkL4rNejE
        abaV5XNmWy/V06Q1+sSwIfYRFiihRANCAASIScu+2Kk6O+B9Wg1Wm0geVSD/msLR
        YI2H94JATVG9RL9MKT5W9F8UhR8dNboajd7idHoF6NYbA3gteHGVtEj6
        -----END PRIVATE KEY-----
        """
    static let ecP384 = """
        -----BEGIN PRIVATE KEY-----
        MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDPPZMruBCppWdvUGcE
        HtQxLMFXrE3tQS11JAa46so7ez0gOdtME6LCllIoiYNhPoihZANiAARAuZh0xCsf
        W/YXSET/PAoWW5n3ND75ofKkrs94CMG1/upNletniWZCaglQymO7OJFJZXCamKnN
        LfAwEQ7BrPZNRSPgWcMUSb+eepjHJVSqsMyx9p9eiKlXGUEZgVmg7h0=
        -----END PRIVATE KEY-----
        """
    static let ed25519 = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIP3EATs+Q62GK5XTlVH/if6eQes1zry/feXwclK/zPi4
        -----END PRIVATE KEY-----
        """
    static var rsaPEM: String { SigningVectors.publicFile["cloudfront_key"]!["private_key_pem"]!.stringValue! }
    static var rsaPublicPEM: String { SigningVectors.publicFile["cloudfront_key"]!["public_key_pem"]!.stringValue! }

    static func decodeCloudFrontBase64(_ text: String) -> [UInt8] {
        Base64.decode(String(text.map { $0 == "-" ? "+" : $0 == "_" ? "=" : $0 == "~" ? "/" : $0 }))!
    }

    static func cookie(_ cookies: [(name: String, value: String)], _ name: String) -> String? {
        cookies.first { $0.name == name }?.value
    }

    func testRSASHA256CookiesVerifyAndNameTheHash() throws {
        let signer = try CloudFrontSigner(keyPairID: "K2JCJMDEHXQW5F", privateKeyPEM: Self.rsaPEM, hashAlgorithm: .sha256)
        let cookies = try signer.cookies(policy: .custom(resource: "https://d1.cloudfront.net/private/*", dateLessThan: 1_773_532_800))
        XCTAssertEqual(cookies.map(\.name), ["CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id", "CloudFront-Hash-Algorithm"])
        XCTAssertEqual(Self.cookie(cookies, "CloudFront-Hash-Algorithm"), "SHA256")
        let policy = Self.decodeCloudFrontBase64(Self.cookie(cookies, "CloudFront-Policy")!)
        let signature = Self.decodeCloudFrontBase64(Self.cookie(cookies, "CloudFront-Signature")!)
        let publicKey = try AsymmetricKey.publicKey(pem: Self.rsaPublicPEM)
        XCTAssertTrue(publicKey.verify(signature, message: policy, digest: .sha256))
        XCTAssertFalse(publicKey.verify(signature, message: policy, digest: .sha1), "the hash named must be the hash used")
    }

    func testECDSAP256SignedURLVerifies() throws {
        let key = try AsymmetricKey.privateKey(pem: Self.ecP256)
        let publicKey = try AsymmetricKey.publicKey(pem: key.publicKeyPEM())
        let signer = try CloudFrontSigner(keyPairID: "KEC256", privateKeyPEM: Self.ecP256, hashAlgorithm: .sha256)
        let url = try signer.signedURL("https://d1.cloudfront.net/a.txt", policy: .canned(resource: "https://d1.cloudfront.net/a.txt", expires: 1_773_532_800))
        XCTAssertTrue(url.hasPrefix("https://d1.cloudfront.net/a.txt?Expires=1773532800&Signature="))
        XCTAssertTrue(url.hasSuffix("&Key-Pair-Id=KEC256&Hash-Algorithm=SHA256"))
        let signature = url.components(separatedBy: "Signature=")[1].components(separatedBy: "&")[0]
        let policy = #"{"Statement":[{"Resource":"https://d1.cloudfront.net/a.txt","Condition":{"DateLessThan":{"AWS:EpochTime":1773532800}}}]}"#
        XCTAssertTrue(publicKey.verify(Self.decodeCloudFrontBase64(signature), message: Array(policy.utf8), digest: .sha256))
    }

    func testRefusesKeysCloudFrontWouldNotAccept() {
        for (name, pem) in [("P-384", Self.ecP384), ("Ed25519", Self.ed25519), ("garbage", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), ("empty", "")] {
            XCTAssertThrowsError(try CloudFrontSigner(keyPairID: "K1", privateKeyPEM: pem), name) { error in
                XCTAssertEqual((error as? SigningError)?.code, "invalid_signing_key", name)
                XCTAssertFalse((error as? SigningError)?.message.contains("PRIVATE") ?? true, "\(name): the message must not echo the key")
            }
        }
    }

    // The P-256 key below, encrypted with the passphrase "x" in both PEM encryption styles.
    static let encryptedPKCS8 = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAh0QfRyGHgLvgICCAAw
        DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEEGvj8RXl9w2tXPhjH6dz79MEgZD4
        /VHfvK1RRejaE+UOJt7KCOeJ2GzJomdVtSyZP+d+zpZzUVovkgWmzuYuyr83GDHx
        GqvxQBTPyYmAIArhqmXm3++yZ0QYrObuIpqGzKbGugOXqQDKhiE5c9JmLEOk8PpS
        Z5z78EmyTU2VzWKq26kWibQtU81fte0NHPhZYjQp/a/Xe4YTam7+4G4JH7elypY=
        -----END ENCRYPTED PRIVATE KEY-----
        """
    static let encryptedSEC1 = """
        -----BEGIN EC PRIVATE KEY-----
        Proc-Type: 4,ENCRYPTED
        DEK-Info: AES-128-CBC,D8B2ADFB3215D6B35A18C33078BD736B

        yN3eOdWRsxYj4ZCro/wLJJc78+V68IIGogweWulTJiZP+u9vNywfyUU16QvfaJr9
        BUVwLlMFR+KimWr1+i3+yryVpQ0BSj6Tv8hw5aa9xRcKGgN9vUaCR+OQTJnrOEQC
        ifsgcHORXKFkrOWtan3cEbSr0v3hGBaiVhM8343S7ok=
        -----END EC PRIVATE KEY-----
        """

    /// Regression: with no passphrase callback libcrypto prompted "Enter PEM pass phrase:" and read
    /// the answer from the terminal, or from stdin when there is none, so a server could block at
    /// start-up or swallow its input. The passphrase is offered on stdin here: it must not be read.
    func testRegressionEncryptedPEMIsRefusedWithoutAskingForAPassphrase() throws {
        for (name, pem) in [("PKCS#8", Self.encryptedPKCS8), ("SEC1", Self.encryptedSEC1)] {
            let refused = try withStdin("x\nx\nx\nx\n") { () -> Bool in
                do { _ = try CloudFrontSigner(keyPairID: "K1", privateKeyPEM: pem); return false } catch { return true }
            }
            XCTAssertTrue(refused, "\(name): an encrypted key must be refused, not decrypted with a passphrase read from stdin")
        }
    }

    /// Runs `body` with fd 0 reading `input` from a pipe, then puts the real stdin back.
    func withStdin<T>(_ input: String, _ body: () throws -> T) throws -> T {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let bytes = Array(input.utf8)
        XCTAssertEqual(write(fds[1], bytes, bytes.count), bytes.count)
        close(fds[1])
        let saved = dup(0)
        dup2(fds[0], 0)
        close(fds[0])
        defer {
            dup2(saved, 0)
            close(saved)
        }
        return try body()
    }

    func testPolicyMistakesAreRefused() throws {
        let signer = try CloudFrontSigner(keyPairID: "K2JCJMDEHXQW5F", privateKeyPEM: Self.rsaPEM)
        XCTAssertThrowsError(try signer.cookies(policy: .canned(resource: "https://d1.cloudfront.net/*", expires: 10)))
        XCTAssertThrowsError(try signer.cookies(policy: .custom(resource: "https://d1.cloudfront.net/a", dateLessThan: 10, dateGreaterThan: 20)))
        XCTAssertThrowsError(try signer.cookies(policy: .custom(resource: "https://d1.cloudfront.net/a", dateLessThan: 10, ipAddress: "300.1.1.1")))
        XCTAssertThrowsError(try signer.cookies(policy: .custom(resource: "https://d1.cloudfront.net/a", dateLessThan: 10, ipAddress: "10.0.0.0/33")))
        XCTAssertThrowsError(try signer.signedURL("https://d1.cloudfront.net/a?Signature=x", policy: .custom(resource: "https://d1.cloudfront.net/a", dateLessThan: 10)))
        XCTAssertThrowsError(try signer.signedURL("https://d1.cloudfront.net/b", policy: .canned(resource: "https://d1.cloudfront.net/a", expires: 10)))
        let v6 = try signer.cookies(policy: .custom(resource: "https://d1.cloudfront.net/a", dateLessThan: 10, ipAddress: "2001:db8::1"))
        let json = String(decoding: Self.decodeCloudFrontBase64(Self.cookie(v6, "CloudFront-Policy")!), as: UTF8.self)
        XCTAssertTrue(json.contains(#""AWS:SourceIp":"2001:db8::1/128""#), json)
    }
}
