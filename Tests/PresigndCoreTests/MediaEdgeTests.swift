import XCTest
import PresigndSupport
import PresigndUploads

/// The media edge's pure parts: image dimensions from the first bytes, and the media session
/// cookie that names whose CloudFront cookies these are.
final class MediaEdgeTests: XCTestCase {
    func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    func le24(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF)] }

    func testDimensionsOfEachFormat() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8) + [0, 0, 0x03, 0x20, 0, 0, 0x02, 0x58]
        XCTAssertEqual(try ImageHeader.read(png).get(), ImageHeader(format: .png, width: 800, height: 600))

        let gif = Array("GIF89a".utf8) + le16(320) + le16(200) + [0xF7, 0, 0]
        XCTAssertEqual(try ImageHeader.read(gif).get(), ImageHeader(format: .gif, width: 320, height: 200))

        // SOI, an APP0 segment, a DQT segment, then SOF2 (progressive): height before width.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + be16(16) + Array("JFIF".utf8) + [0] + Array(repeating: 1, count: 9)
            + [0xFF, 0xDB] + be16(5) + [0, 1, 2] + [0xFF, 0xFF, 0xC2] + be16(17) + [8] + be16(480) + be16(640) + [3]
        XCTAssertEqual(try ImageHeader.read(jpeg).get(), ImageHeader(format: .jpeg, width: 640, height: 480))

        let riff = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBP".utf8)
        let lossy = riff + Array("VP8 ".utf8) + [0, 0, 0, 0] + [0, 0, 0] + [0x9D, 0x01, 0x2A] + le16(1024) + le16(768)
        XCTAssertEqual(try ImageHeader.read(lossy).get(), ImageHeader(format: .webp, width: 1024, height: 768))
        // VP8L: 14 bits width - 1, then 14 bits height - 1, little-endian after the 0x2F signature.
        let bits = (99) | (49 << 14)
        let lossless = riff + Array("VP8L".utf8) + [0, 0, 0, 0] + [0x2F, UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24 & 0xFF)]
        XCTAssertEqual(try ImageHeader.read(lossless + [0, 0, 0, 0, 0]).get(), ImageHeader(format: .webp, width: 100, height: 50))
        let extended = riff + Array("VP8X".utf8) + [10, 0, 0, 0] + [0, 0, 0, 0] + le24(49_999) + le24(49_999)
        XCTAssertEqual(try ImageHeader.read(extended).get().pixels, 2_500_000_000, "a bomb says what it is before it is decoded")
    }

    func testWhatIsNotAReadableImage() {
        XCTAssertEqual(ImageHeader.read(Array("%PDF-1.7\n".utf8)), .failure(.notAnImage))
        XCTAssertEqual(ImageHeader.read([]), .failure(.notAnImage))
        XCTAssertEqual(ImageHeader.read([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]), .failure(.unreadable(.png)), "truncated")
        // A JPEG whose frame header lies past the bytes read: an APP1 of 60 KB, then nothing.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1] + be16(60_000) + Array(repeating: 0, count: 100)
        XCTAssertEqual(ImageHeader.read(jpeg), .failure(.unreadable(.jpeg)))
        let zero: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8) + [0, 0, 0, 0, 0, 0, 0, 1]
        XCTAssertEqual(ImageHeader.read(zero), .failure(.unreadable(.png)), "no pixels")
    }

    func testTheMediaSessionCookieVouchesForItsUserAndTimeOnly() {
        let session = MediaSessionCookie(keys: [MediaSessionCookie.key(fromPrivateKeyPEM: Array("key one".utf8))])
        let value = session.value(user: "auth0|42 Ünïcode", issuedAt: 1_000, expiresAt: 5_000)
        XCTAssertEqual(session.verify(value, now: 4_999)?.user, "auth0|42 Ünïcode")
        XCTAssertEqual(session.verify(value, now: 4_999)?.issuedAt, 1_000)
        XCTAssertNil(session.verify(value, now: 5_000), "expired with the CloudFront cookies")
        XCTAssertFalse(value.contains(" ") || value.contains(";") || value.contains(","), "a cookie value needs no quoting")

        var parts = value.split(separator: ".").map(String.init)
        parts[2] = "2000"  // a later issue time, to escape a cutoff
        XCTAssertNil(session.verify(parts.joined(separator: "."), now: 3_000))
        parts = value.split(separator: ".").map(String.init)
        parts[1] = Base64.encodeURL(Array("bob".utf8))
        XCTAssertNil(session.verify(parts.joined(separator: "."), now: 3_000), "another user's name")
        XCTAssertNil(session.verify(value + "x", now: 3_000))
        XCTAssertNil(session.verify("1.a.b.c.d", now: 3_000))

        let other = MediaSessionCookie(keys: [MediaSessionCookie.key(fromPrivateKeyPEM: Array("key two".utf8))])
        XCTAssertNil(other.verify(value, now: 3_000), "another key's session")
        let rotated = MediaSessionCookie(keys: [MediaSessionCookie.key(fromPrivateKeyPEM: Array("key two".utf8)),
                                                MediaSessionCookie.key(fromPrivateKeyPEM: Array("key one".utf8))])
        XCTAssertEqual(rotated.verify(value, now: 3_000)?.user, "auth0|42 Ünïcode", "a rotation that keeps the old private key keeps sessions")
    }
}
