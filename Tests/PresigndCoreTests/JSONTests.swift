import PresigndSupport
import XCTest

final class JSONTests: XCTestCase {
    func testParsesAndKeepsMemberOrder() throws {
        let value = try JSONParser().parse(#"{"b": 1, "a": [true, null, -2.5e1, "x\u00e9\n"], "c": {}}"#)
        XCTAssertEqual(value.objectValue?.keys, ["b", "a", "c"])
        XCTAssertEqual(value["b"], .int(1))
        XCTAssertEqual(value["a"], .array([.bool(true), .null, .double(-25), .string("xé\n")]))
        XCTAssertEqual(value.serialized(), #"{"b":1,"a":[true,null,-25,"xé\n"],"c":{}}"#)
    }

    func testSurrogatePairsDecode() throws {
        XCTAssertEqual(try JSONParser().parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertThrowsError(try JSONParser().parse(#""\ud83d""#))
    }

    func testDuplicateKeysAreRefusedWithOffset() {
        XCTAssertThrowsError(try JSONParser().parse(#"{"alg":"HS256","alg":"none"}"#)) { error in
            XCTAssertEqual("\(error)", #"duplicate key "alg" at byte 15"#)
        }
        XCTAssertEqual(try JSONParser(rejectDuplicateKeys: false).parse(#"{"a":1,"a":2}"#)["a"], .int(2))
    }

    func testMalformedTextsNameTheProblem() {
        let cases: [(String, String)] = [
            ("", "unexpected end of JSON at byte 0"),
            ("{\"a\":1,}", "expected a string key at byte 7"),
            ("[1 2]", "expected ',' or ']' in an array at byte 3"),
            ("01", "numbers may not have leading zeros at byte 1"),
            ("\"abc", "unterminated string at byte 4"),
            ("{\"a\":1} x", "unexpected text after the JSON value at byte 8"),
            ("\"a\u{01}\"", "control character in a string (escape it) at byte 2"),
            ("nul", "invalid literal, expected null at byte 3"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try JSONParser().parse(text), text) { error in
                XCTAssertEqual("\(error)", expected, text)
            }
        }
    }

    func testInvalidUTF8IsRefused() {
        XCTAssertThrowsError(try JSONParser().parse([0x22, 0xC3, 0x28, 0x22])) { error in
            XCTAssertTrue("\(error)".contains("invalid UTF-8"))
        }
    }

    func testNestingIsBounded() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        XCTAssertThrowsError(try JSONParser(maxDepth: 64).parse(deep))
        XCTAssertNoThrow(try JSONParser(maxDepth: 100).parse(deep))
    }

    func testSerializerEscapesControlCharactersAndQuotes() {
        let value: JSONValue = ["k\"": .string("a\\b\u{01}\u{2028}/")]
        XCTAssertEqual(value.serialized(), #"{"k\"":"a\\b\u0001\u2028/"}"#)
    }

    func testLargeIntegersStayExact() throws {
        XCTAssertEqual(try JSONParser().parse("9007199254740993"), .int(9_007_199_254_740_993))
        XCTAssertThrowsError(try JSONParser().parse("1e400")) { XCTAssertEqual("\($0)", "number out of range at byte 0") }
    }
}
