import XCTest
@testable import PresigndCore

/// The byte-level fast paths of issue 12 give what the Character/scalar paths give, on inputs
/// built to hit their edges (separators, spaces, dots, controls, quotes, non-ASCII).
final class FastPathTests: XCTestCase {
    /// Deterministic strings over an alphabet of the bytes and scalars that matter.
    func samples(_ alphabet: [String], count: Int = 4000, maxLength: Int = 12) -> [String] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        return (0..<count).map { _ in (0..<(next() % (maxLength + 1))).map { _ in alphabet[next() % alphabet.count] }.joined() }
    }

    func testMediaTypeBytesAgreeWithCharacters() {
        let alphabet = ["a", "B", "0", "/", ";", "=", " ", "\t", "-", "+", ".", "\"", "\r\n", "\u{301}", "é", "\u{0}", "*"]
        for text in samples(alphabet) + ["image/png", "text/plain; charset=utf-8", "a/b;", "a/b; ", "/b", "a/", "a/b/c", "a/b; c=d=e"] {
            XCTAssertEqual(MediaType.isValid(text), MediaType.isValidByCharacters(text), "\(text.debugDescription)")
        }
    }

    func testFileNameBytesAgreeWithScalars() {
        let alphabet = ["a", "Z", "9", "/", "\\", ".", " ", "\t", "\r", "\n", "\u{7F}", "\u{1}", "-", "\"", "_"]
        for raw in samples(alphabet) + [String(repeating: "x", count: 300) + ".pdf", " .. report.pdf .. ", "a/b\\c.txt"] {
            XCTAssertEqual(FileName.sanitize(raw), FileName.sanitizeByScalars(raw), "\(raw.debugDescription)")
        }
    }

    func testContentDispositionBytesAgreeWithScalars() {
        let alphabet = ["a", "Z", "9", " ", "\"", "\\", "%", "'", ";", "\r", "\n", "\u{7F}", "\u{1}", "!", "~", "(", "*"]
        for name in samples(alphabet) + ["", "résumé.pdf"] {
            for kind in [ContentDisposition.Kind.attachment, .inline] {
                XCTAssertEqual(ContentDisposition.header(kind, fileName: name),
                               ContentDisposition.headerByScalars(kind, fileName: name), "\(name.debugDescription)")
            }
        }
    }

    func testJSONStringEscapes() {
        let text = "a\"b\\c\n\r\t\u{8}\u{C}\u{1}\u{1F}\u{7F}\u{2028}\u{2029}\u{2027}é/"
        XCTAssertEqual(JSONValue.string(text).serialized(),
                       #""a\"b\\c\n\r\t\b\f\u0001\u001f"# + "\u{7F}" + #"\u2028\u2029"# + "\u{2027}é/\"")
        XCTAssertEqual(JSONValue.string("").serialized(), "\"\"")
        XCTAssertEqual(JSONValue.string("\u{E2}").serialized(), "\"\u{E2}\"")
    }
}

/// The POST policy written without a JSONValue tree is the tree's serialisation, byte for byte.
final class PolicyWritingTests: XCTestCase {
    func testPolicyDocumentEqualsTheJSONValueTree() {
        let conditions: [PostPolicyCondition] = [
            .exact("bucket", "b\"ucket"), .equals("Content-Type", "image/png"), .startsWith("key", "uploads/\u{2028}é/"),
            .contentLengthRange(1, 5_368_709_120), .contentLengthRange(0, 0), .exact("x-amz-date", "20260314T150926Z"),
        ]
        for count in 0...conditions.count {
            let some = Array(conditions.prefix(count))
            let tree: JSONValue = .object(JSONObject([
                (key: "expiration", value: .string("2026-03-14T15:09:26Z")),
                (key: "conditions", value: .array(some.map(\.json))),
            ]))
            XCTAssertEqual(PostPolicyCondition.policyDocument(expiration: "2026-03-14T15:09:26Z", conditions: some), tree.serializedBytes())
        }
    }

    func testBase64EncodeMatchesKnownVectors() {
        // RFC 4648 §10.
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base64.encode(plain.utf8), encoded)
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8))
        }
        XCTAssertEqual(Base64.encodeURL([0xFB, 0xFF, 0xBF]), "-_-_")
        XCTAssertEqual(Base64.encode([0xFB, 0xFF, 0xBF, 0x01], padded: false), "+/+/AQ")
    }
}
