import PresigndCrypto
import XCTest

/// ECDSA signature encodings and JWK key import at the libcrypto boundary.
final class JWTCryptoTests: XCTestCase {
    func testRawAndDERRoundTripAndStayStrict() {
        let raw: [UInt8] = [0x80] + Array(repeating: 1, count: 31) + Array(repeating: 0, count: 31) + [5]
        let der = ECDSASignature.der(fromRaw: raw, coordinateSize: 32)!
        XCTAssertEqual(Array(der.prefix(5)), [0x30, 0x26, 0x02, 0x21, 0x00], "high bit gets a zero byte")
        XCTAssertEqual(Array(der.suffix(3)), [0x02, 0x01, 0x05], "leading zeros are dropped")
        XCTAssertEqual(ECDSASignature.raw(fromDER: der, coordinateSize: 32), raw)
        XCTAssertNil(ECDSASignature.der(fromRaw: Array(raw.dropLast()), coordinateSize: 32))
        XCTAssertNil(ECDSASignature.der(fromRaw: raw + [0], coordinateSize: 32))
        XCTAssertNil(ECDSASignature.der(fromRaw: Array(repeating: 0, count: 64), coordinateSize: 32))
        XCTAssertNil(ECDSASignature.raw(fromDER: der + [0], coordinateSize: 32), "trailing bytes")
        XCTAssertNil(ECDSASignature.raw(fromDER: [0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01], coordinateSize: 32), "negative")
        XCTAssertNil(ECDSASignature.raw(fromDER: [0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01], coordinateSize: 32), "non-minimal")
        XCTAssertNil(ECDSASignature.raw(fromDER: der, coordinateSize: 16), "too wide for the curve")
    }

    func testLongSignaturesUseTheLongLengthForm() {
        let p384 = [UInt8](repeating: 0xFF, count: 96)
        XCTAssertEqual(Array(ECDSASignature.der(fromRaw: p384, coordinateSize: 48)!.prefix(2)), [0x30, 0x66])
        let p521 = [UInt8](repeating: 0xFF, count: 132)
        let der = ECDSASignature.der(fromRaw: p521, coordinateSize: 66)!
        XCTAssertEqual(Array(der.prefix(3)), [0x30, 0x81, 0x8A])
        XCTAssertEqual(ECDSASignature.raw(fromDER: der, coordinateSize: 66), p521)
    }

    func testJWKImportRefusesBadMaterial() {
        XCTAssertThrowsError(try AsymmetricKey.ecPublicKey(curve: "P-256", x: Array(repeating: 1, count: 32), y: Array(repeating: 2, count: 32)))
        XCTAssertThrowsError(try AsymmetricKey.ecPublicKey(curve: "P-256", x: Array(repeating: 1, count: 31), y: Array(repeating: 2, count: 32)))
        XCTAssertThrowsError(try AsymmetricKey.ecPublicKey(curve: "secp256k1", x: Array(repeating: 1, count: 32), y: Array(repeating: 2, count: 32)))
        XCTAssertThrowsError(try AsymmetricKey.ed25519PublicKey(Array(repeating: 1, count: 31)))
        XCTAssertEqual(try AsymmetricKey.rsaPublicKey(modulus: [0xC1] + Array(repeating: 0x55, count: 255), exponent: [1, 0, 1]).family, .rsa(bits: 2048))
    }
}
