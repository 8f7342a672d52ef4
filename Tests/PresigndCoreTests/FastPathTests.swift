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
