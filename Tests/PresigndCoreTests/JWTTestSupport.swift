import Foundation
import PresigndSupport
import PresigndJWT
import PresigndCrypto
import XCTest

/// Loads files under `Vectors/jose/` next to this source file.
enum JOSEVectors {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/jose")

    static func text(_ name: String) -> String {
        try! String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func json(_ name: String) -> JSONValue {
        try! JSONParser().parse(text(name))
    }

    static func privateKey(_ name: String) -> AsymmetricKey {
        try! AsymmetricKey.privateKey(pem: text("test-keys/\(name).pem"))
    }

    static func publicPEM(_ name: String) -> String { text("test-keys/\(name).pub.pem") }
}

/// Mints compact JWS in the tests, with libcrypto, for algorithms the RFC examples do not cover.
enum TokenMinter {
    static let hmacSecret = Array("an HS512-sized secret for the presignd JWT tests, 64+ bytes long!".utf8)

    static func encode(_ json: String) -> String { Base64.encodeURL(Array(json.utf8)) }

    /// `header.payload.signature`, the header and payload given as JSON text.
    static func mint(header: String, claims: String, sign: ([UInt8]) -> [UInt8]) -> String {
        let input = encode(header) + "." + encode(claims)
        return input + "." + Base64.encodeURL(sign(Array(input.utf8)))
    }

    /// The signature `algorithm` makes with the test key for its family.
    static func signer(_ algorithm: JWSAlgorithm) -> ([UInt8]) -> [UInt8] {
        switch algorithm.family {
        case .hmac:
            return { HMAC.authenticationCode(algorithm.digest!, key: hmacSecret, data: $0) }
        case .rsaPKCS1:
            return { try! privateKey(algorithm).sign($0, digest: algorithm.digest, padding: .pkcs1v15) }
        case .rsaPSS:
            return { try! privateKey(algorithm).sign($0, digest: algorithm.digest, padding: .pss) }
        case .ecdsa:
            return { input in
                let der = try! privateKey(algorithm).sign(input, digest: algorithm.digest)
                return ECDSASignature.raw(fromDER: der, coordinateSize: algorithm.curve!.coordinateSize)!
            }
        case .edDSA:
            return { try! privateKey(algorithm).sign($0, digest: nil) }
        }
    }

    static func keyName(_ algorithm: JWSAlgorithm) -> String {
        switch algorithm.family {
        case .hmac: return "hmac"
        case .rsaPKCS1, .rsaPSS: return "rsa2048"
        case .ecdsa: return algorithm == .es256 ? "p256" : "p384"
        case .edDSA: return "ed25519"
        }
    }

    static func privateKey(_ algorithm: JWSAlgorithm) -> AsymmetricKey { JOSEVectors.privateKey(keyName(algorithm)) }

    /// The verification key for `algorithm`'s test key.
    static func verificationKey(_ algorithm: JWSAlgorithm, keyID: String? = nil) -> VerificationKey {
        if algorithm.family == .hmac { return try! .hmac(hmacSecret, algorithm: algorithm, keyID: keyID) }
        return try! .publicKey(pem: JOSEVectors.publicPEM(keyName(algorithm)), algorithm: algorithm, keyID: keyID)
    }

    static func token(_ algorithm: JWSAlgorithm, kid: String? = nil, claims: String = #"{"sub":"user-1","exp":2000000000}"#) -> String {
        let kidField = kid.map { #","kid":"\#($0)""# } ?? ""
        return mint(header: #"{"alg":"\#(algorithm.rawValue)","typ":"JWT"\#(kidField)}"#, claims: claims, sign: signer(algorithm))
    }
}

/// A fixed point in time well inside the test tokens' validity.
let testNow: UnixSeconds = 1_700_000_000

func XCTAssertRefused(_ expected: JWTRefusal, _ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) {
    do {
        let value = try body()
        XCTFail("expected refusal \"\(expected.rawValue)\", got \(value)", file: file, line: line)
    } catch {
        XCTAssertEqual(error as? JWTRefusal, expected, file: file, line: line)
    }
}
