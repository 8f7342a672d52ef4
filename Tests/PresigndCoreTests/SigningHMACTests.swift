import PresigndCrypto
import XCTest
@testable import PresigndSupport

/// The allocation-free SHA-256/HMAC the signer uses, against RFC 4231 and FIPS 180 vectors
/// (the SigV4 vectors only exercise keys shorter than a block).
final class SigningHMACTests: XCTestCase {
    func testRFC4231() {
        let cases: [(key: [UInt8], data: [UInt8], mac: String)] = [
            (Array(repeating: 0x0B, count: 20), Array("Hi There".utf8), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            // Case 6: a 131-byte key, longer than SHA-256's block, is hashed first.
            (Array(repeating: 0xAA, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ]
        for (index, item) in cases.enumerated() {
            XCTAssertEqual(Hex.encode(HMACSHA256Key(item.key).authenticate(item.data)), item.mac, "RFC 4231 case \(index)")
            XCTAssertEqual(Hex.encode(HMAC.sha256(key: item.key, data: item.data)), item.mac, "EVP HMAC case \(index)")
        }
    }

    func testSHA256() {
        var state = SHA256State()
        state.update(Array("abc".utf8))
        XCTAssertEqual(Hex.encode(state.finalize()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = SHA256State()
        for _ in 0..<1000 { long.update(Array(repeating: UInt8(ascii: "a"), count: 1000)) }
        XCTAssertEqual(Hex.encode(long.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The kernel's random bytes: the length asked for (past getrandom's 256-byte single read
    /// too), and 2,000 16-byte draws (document ids) all different and not all zero.
    func testSystemRandomFillsAndDiffers() {
        XCTAssertEqual(SecureBytes.systemRandom(count: 0), [])
        XCTAssertEqual(SecureBytes.systemRandom(count: 300).count, 300)
        XCTAssertNotEqual(SecureBytes.systemRandom(count: 300), [UInt8](repeating: 0, count: 300))
        let draws = (0..<2000).map { _ in SecureBytes.systemRandom(count: 16) }
        XCTAssertEqual(Set(draws).count, 2000)
        XCTAssertTrue(draws.allSatisfy { $0.count == 16 })
    }
}
