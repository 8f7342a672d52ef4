import XCTest
@testable import PresigndSupport
@testable import PresigndHTTP
@testable import PresigndJWT
@testable import PresigndSigning
@testable import PresigndUploads
@testable import PresigndMetrics

/// The byte-level fast paths of issue 12 give what the Character/scalar paths give, on inputs
/// built to hit their edges (separators, spaces, dots, controls, quotes, non-ASCII).
final class FastPathTests: XCTestCase {
    /// Deterministic strings over an alphabet of the bytes and scalars that matter.
    static func samples(_ alphabet: [String], count: Int = 4000, maxLength: Int = 12) -> [String] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        return (0..<count).map { _ in (0..<(next() % (maxLength + 1))).map { _ in alphabet[next() % alphabet.count] }.joined() }
    }

    func testMediaTypeBytesAgreeWithCharacters() {
        let alphabet = ["a", "B", "0", "/", ";", "=", " ", "\t", "-", "+", ".", "\"", "\r\n", "\u{301}", "é", "\u{0}", "*"]
        for text in Self.samples(alphabet) + ["image/png", "text/plain; charset=utf-8", "a/b;", "a/b; ", "/b", "a/", "a/b/c", "a/b; c=d=e"] {
            XCTAssertEqual(MediaType.isValid(text), MediaType.isValidByCharacters(text), "\(text.debugDescription)")
        }
    }

    func testLowercasingEssenceAgreesWithCharacters() {
        func byCharacters(_ text: String) -> String {
            guard let semicolon = text.firstIndex(of: ";") else { return text.lowercased() }
            return text[..<semicolon].lowercased() + text[semicolon...]
        }
        let alphabet = ["a", "B", "/", ";", "=", " ", "\u{301}", "É", "Q"]
        for text in Self.samples(alphabet) + ["IMAGE/PNG", "Text/Plain; Charset=UTF-8", ";X", "A;\u{301}B;C"] {
            XCTAssertEqual(MediaType.lowercasingEssence(text), byCharacters(text), "\(text.debugDescription)")
        }
    }

    func testFileNameBytesAgreeWithScalars() {
        let alphabet = ["a", "Z", "9", "/", "\\", ".", " ", "\t", "\r", "\n", "\u{7F}", "\u{1}", "-", "\"", "_"]
        for raw in Self.samples(alphabet) + [String(repeating: "x", count: 300) + ".pdf", " .. report.pdf .. ", "a/b\\c.txt"] {
            XCTAssertEqual(FileName.sanitize(raw), FileName.sanitizeByScalars(raw), "\(raw.debugDescription)")
        }
    }

    func testContentDispositionBytesAgreeWithScalars() {
        let alphabet = ["a", "Z", "9", " ", "\"", "\\", "%", "'", ";", "\r", "\n", "\u{7F}", "\u{1}", "!", "~", "(", "*"]
        for name in Self.samples(alphabet) + ["", "résumé.pdf"] {
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

/// The date forms written into a buffer are the padded interpolations they replaced.
final class DateFormattingTests: XCTestCase {
    func pad(_ value: Int, _ width: Int = 2) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    func testFormsMatchThePaddedInterpolation() {
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var times: [UnixSeconds] = [0, 1, 59, 86_399, 86_400, 951_782_400, 1_773_500_966, 253_402_300_799, -1, -62_135_596_800, -62_167_219_200]
        for step in stride(from: Int64(-62_167_219_200), to: 253_402_300_799, by: 7_777_777_777 / 3) { times.append(step) }
        for time in times {
            let d = UTCDateTime(time)
            XCTAssertEqual(d.amzDate, "\(pad(d.year, 4))\(pad(d.month))\(pad(d.day))T\(pad(d.hour))\(pad(d.minute))\(pad(d.second))Z")
            XCTAssertEqual(d.dateStamp, "\(pad(d.year, 4))\(pad(d.month))\(pad(d.day))")
            XCTAssertEqual(d.iso8601, "\(pad(d.year, 4))-\(pad(d.month))-\(pad(d.day))T\(pad(d.hour)):\(pad(d.minute)):\(pad(d.second))Z")
            XCTAssertEqual(d.iso8601Milliseconds, "\(pad(d.year, 4))-\(pad(d.month))-\(pad(d.day))T\(pad(d.hour)):\(pad(d.minute)):\(pad(d.second)).000Z")
            let days = time >= 0 ? time / 86_400 : (time - 86_399) / 86_400
            XCTAssertEqual(d.httpDate, "\(weekdays[Int(((days % 7) + 7) % 7)]), \(pad(d.day)) \(months[d.month - 1]) \(pad(d.year, 4)) \(pad(d.hour)):\(pad(d.minute)):\(pad(d.second)) GMT")
        }
        XCTAssertEqual(UTCDateTime(year: 12_345, month: 1, day: 2).dateStamp, "123450102")
        XCTAssertEqual(UTCDateTime(year: 2026, month: 1, day: 2, hour: 123).iso8601, "2026-01-02T123:00:00Z")
    }

    func testSetCookieFromItsPrefixIsTheWholeValue() {
        let attributes = CookieAttributes(domain: ".example.com")
        for now: UnixSeconds in [1_773_500_000, 1_773_600_000] {
            let prefix = attributes.setCookiePrefix(name: "CloudFront-Policy", value: "abc_-~", expiresAt: 1_773_503_600)
            XCTAssertEqual(CookieAttributes.setCookie(prefix: prefix, expiresAt: 1_773_503_600, now: now),
                           "CloudFront-Policy=abc_-~; Domain=.example.com; Path=/; Expires=\(UTCDateTime(1_773_503_600).httpDate); Max-Age=\(max(0, 1_773_503_600 - now)); HttpOnly; Secure; SameSite=Lax")
        }
    }
}

/// Duplicate keys are found the same way in a small object (scanned) and a large one (a set).
final class JSONDuplicateKeyTests: XCTestCase {
    func parse(_ text: String) -> Bool {
        (try? JSONParser(rejectDuplicateKeys: true, maxDepth: 8).parse(Array(text.utf8))) != nil
    }

    func testDuplicatesAreFoundBeforeAndAfterSixteenKeys() {
        for count in [1, 2, 15, 16, 17, 40] {
            let keys = (0..<count).map { "\"k\($0)\":\($0)" }
            XCTAssertTrue(parse("{" + keys.joined(separator: ",") + "}"), "\(count) distinct keys")
            for duplicate in [0, count - 1] {
                XCTAssertFalse(parse("{" + (keys + ["\"k\(duplicate)\":null"]).joined(separator: ",") + "}"), "\(count) keys, k\(duplicate) again")
            }
            // Canonically equivalent keys are the same key (String ==), in both ways of looking.
            XCTAssertFalse(parse("{" + (keys + ["\"\u{E9}\":1", "\"e\u{301}\":2"]).joined(separator: ",") + "}"), "\(count) keys, é twice")
        }
    }
}

/// The head is read from params borrowed as bytes (libfcgi's `NAME=value` strings): it comes out
/// as from `GatewayParam`s, and the header limit counts every param, read or not.
final class RawParamTests: XCTestCase {
    func testBorrowedParamsGiveTheSameHeadAndLimit() throws {
        let all = [
            GatewayParam("REQUEST_METHOD", "GET"), GatewayParam("REQUEST_URI", "/api/documents/x/download?a=1"),
            GatewayParam("SERVER_SOFTWARE", "nginx/1.22.1"), GatewayParam("QUERY_STRING", "a=1"),
            GatewayParam("DOCUMENT_ROOT", "/usr/share/nginx/html"), GatewayParam("REMOTE_ADDR", "192.0.2.1"),
            GatewayParam("HTTP_AUTHORIZATION", "Bearer x"), GatewayParam("HTTP_", "ignored"), GatewayParam("HTTP_X_REQUEST_ID", "r1"),
            GatewayParam("SCRIPT_NAME", "/api"), GatewayParam("PATH_INFO", "/x"), GatewayParam("CONTENT_TYPE", "text/plain"),
            GatewayParam("CONTENT_LENGTH", "3"), GatewayParam("DOCUMENT_URI", "/api/x"), GatewayParam("REMOTE_PORT", "5555"),
            GatewayParam("HTTP_X_\u{E9}T\u{C9}", "caf\u{E9}"), GatewayParam("REQUEST_METHODS", "nope"), GatewayParam("PATH_INFX", "/y"),
        ]
        // libfcgi's form: NUL-terminated `NAME=value` strings, read in place.
        var buffer: [UInt8] = []
        for param in all { buffer += Array(param.name.utf8) + [UInt8(ascii: "=")] + param.value + [0] }
        let raw = PackedGatewayParams(buffer)
        let head = try GatewayRequestHead.parse(raw, limits: GatewayLimits())
        XCTAssertEqual(head.method, "GET")
        XCTAssertEqual(head.path, "/api/documents/x/download")
        XCTAssertEqual(head.query, "a=1")
        XCTAssertEqual(head.remoteAddress, "192.0.2.1")
        XCTAssertEqual(head.contentLength, 3)
        XCTAssertEqual(head.headers.fields.map(\.name), ["authorization", "x-request-id", "content-type", "content-length", "x-\u{E9}t\u{C9}"])
        XCTAssertEqual(head.headers["x-\u{E9}t\u{C9}"], "caf\u{E9}")
        XCTAssertEqual(GatewayRequestHead.requestID(in: raw), "r1")
        let fromParams = try GatewayRequestHead.parse(all, limits: GatewayLimits())
        XCTAssertEqual(fromParams.headers, head.headers)
        XCTAssertEqual([fromParams.method, fromParams.path, fromParams.query, fromParams.remoteAddress],
                       [head.method, head.path, head.query, head.remoteAddress])
        let total = all.reduce(0) { $0 + $1.name.utf8.count + $1.value.count }
        for (limit, expected) in [(total - 1, "431"), (total, "ok")] {
            let limits = GatewayLimits(headerLimit: limit)
            for outcome in [Result { () throws(APIError) in try GatewayRequestHead.parse(raw, limits: limits) },
                            Result { () throws(APIError) in try GatewayRequestHead.parse(all, limits: limits) }] {
                switch outcome {
                case .success: XCTAssertEqual("ok", expected)
                case .failure(let error): XCTAssertEqual(String(error.status), expected)
                }
            }
        }
    }
}

/// Issue 12's second round: text validation, the protected-header cache, the word-at-a-time
/// JSON string scan.
final class SecondRoundFastPathTests: XCTestCase {
    func testUTF8TextAgreesWithTheStandardValidation() {
        var inputs: [[UInt8]] = [[], Array("plain ascii".utf8), Array("résumé 東京".utf8), [0x80], [0xC3], [0xC3, 0x28],
                                 [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x41, 0xE2, 0x82], [0x7F, 0x00]]
        var state: UInt32 = 12345
        for length in 0..<64 {  // random bytes, mostly ASCII so the switch to the slow path moves around
            inputs.append((0..<length).map { _ in
                state = state &* 1_103_515_245 &+ 12345
                let byte = UInt8(truncatingIfNeeded: state >> 16)
                return state % 7 == 0 ? byte | 0x80 : byte & 0x7F
            })
        }
        for bytes in inputs {
            XCTAssertEqual(UTF8Text.validating(bytes), String(validating: bytes, as: UTF8.self), "\(bytes)")
            XCTAssertEqual(UTF8Text.validating(bytes[...]), String(validating: bytes, as: UTF8.self), "\(bytes)")
        }
    }

    /// A cached protected header gives the token that parsing it afresh gives; refused headers
    /// are refused the same way every time (they are not kept); more headers than the cache holds,
    /// and one too long to keep, still parse.
    func testProtectedHeaderCacheChangesNoOutcome() throws {
        func token(_ header: String) -> String {
            Base64.encodeURL(Array(header.utf8)) + "." + Base64.encodeURL(Array(#"{"sub":"alice"}"#.utf8)) + ".c2ln"
        }
        let cache = ProtectedHeader.Cache()
        var headers = (0..<(ProtectedHeader.Cache.capacity * 2)).map { #"{"alg":"HS256","kid":"key-\#($0)"}"# }
        headers.append(#"{"alg":"HS256","kid":""# + String(repeating: "k", count: ProtectedHeader.Cache.longest) + #""}"#)
        for round in 0..<3 {
            for header in headers {
                let parsed = try CompactJWS.parse(token(header), headers: cache)
                let fresh = try ProtectedHeader.read(Array(Base64.encodeURL(Array(header.utf8)).utf8)[...])
                XCTAssertEqual(parsed.algorithm, .hs256, "round \(round)")
                XCTAssertEqual(parsed.keyID, fresh.keyID, "round \(round)")
                XCTAssertEqual(JSONValue.object(parsed.header), JSONValue.object(fresh.header))
                XCTAssertEqual(parsed.payload, Array(#"{"sub":"alice"}"#.utf8))
            }
        }
        let refused: [(String, JWTRefusal)] = [(#"{"alg":"none"}"#, .algNone), (#"{"alg":"HS256","crit":["x"]}"#, .unsupportedCrit),
                                               (#"{"alg":"HS256","b64":false}"#, .unsupportedB64), (#"{"alg":"HS256","kid":1}"#, .badKid),
                                               (#"{"typ":"JWT"}"#, .missingAlg), ("not json", .headerInvalid)]
        for _ in 0..<2 {
            for (header, refusal) in refused {
                XCTAssertThrowsError(try CompactJWS.parse(token(header), headers: cache)) { XCTAssertEqual($0 as? JWTRefusal, refusal, header) }
            }
        }
        // A cached header does not excuse a missing payload or signature.
        let cached = Base64.encodeURL(Array(headers[0].utf8))
        XCTAssertThrowsError(try CompactJWS.parse(cached + ".e30.", headers: cache)) { XCTAssertEqual($0 as? JWTRefusal, .malformed) }
        XCTAssertThrowsError(try CompactJWS.parse(".e30.c2ln", headers: cache)) { XCTAssertEqual($0 as? JWTRefusal, .malformed) }
    }

    /// The eight-bytes-at-a-time scan finds every byte that needs an escape wherever it falls in
    /// the word: strings of every length up to 40 with one special character at each offset, and
    /// random mixes, against an escaper that looks at one scalar at a time.
    func testJSONStringWordScanAgreesWithScalars() {
        func byScalars(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{8}": out += "\\b"
                case "\u{C}": out += "\\f"
                case "\u{2028}": out += "\\u2028"
                case "\u{2029}": out += "\\u2029"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
        let specials = ["\"", "\\", "\n", "\u{1}", "\u{1F}", "é", "\u{2028}", "\u{2029}", "\u{2027}", "\u{7F}", " ", "!", "#", "[", "]"]
        var texts: [String] = []
        for length in 0...40 {
            for offset in 0..<max(length, 1) {
                for special in specials {
                    texts.append(String(repeating: "a", count: offset) + special + String(repeating: "b", count: max(0, length - offset - 1)))
                }
            }
        }
        texts += FastPathTests.samples(["a", "Z", "0", "/", "=", "+", "-", "_", "%", "&"] + specials, count: 4000, maxLength: 40)
        for text in texts {
            XCTAssertEqual(JSONValue.string(text).serialized(), byScalars(text), text.debugDescription)
        }
    }

    /// Percent-encoding with its reserve-once and arithmetic hex digits, against one byte at a time.
    func testPercentEncodingAgreesWithBytes() {
        func byBytes(_ text: String, keepSlash: Bool) -> String {
            var out = ""
            for byte in text.utf8 {
                let unreserved = (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                    || [0x2D, 0x5F, 0x2E, 0x7E].contains(byte) || (keepSlash && byte == 0x2F)
                out += unreserved ? String(UnicodeScalar(byte)) : "%" + String(format: "%02X", byte)
            }
            return out
        }
        let alphabet = ["a", "Z", "9", "-", "_", ".", "~", "/", " ", "%", "+", "=", "&", "\"", "é", "東", "\u{0}", "\u{7F}", "'"]
        for text in FastPathTests.samples(alphabet, count: 3000, maxLength: 40) + [#"attachment; filename="a b.pdf"; filename*=UTF-8''a%20b.pdf"#] {
            for keepSlash in [false, true] {
                XCTAssertEqual(PercentEncoding.encode(text, keepSlash: keepSlash), byBytes(text, keepSlash: keepSlash), text.debugDescription)
            }
        }
    }

    func testFirstHeaderValueAndRepetition() {
        let headers: HTTPHeaders = ["Authorization": "Bearer a", "X-Other": "1", "authorization": "Bearer b"]
        XCTAssertEqual(headers.first("AUTHORIZATION").value, "Bearer a")
        XCTAssertTrue(headers.first("Authorization").repeated)
        XCTAssertEqual(headers.first("x-other").value, "1")
        XCTAssertFalse(headers.first("x-other").repeated)
        XCTAssertNil(headers.first("Cookie").value)
        XCTAssertFalse(headers.first("Cookie").repeated)
    }

    func testReservedPostFieldsWithoutLowercasing() {
        let names = ["key", "KEY", "Key", "x-AMZ-date", "X-Amz-Signature", "keys", "ke", "poliCY", "file", "FILE ", "bucket",
                     "Content-Type", "x-amz-meta-a", "x-amz-security-token", "\u{212A}ey", "k\u{0301}ey", "@ey", "KEY\u{0}", ""]
        for name in names + FastPathTests.samples(["k", "E", "y", "-", "x", "A", "m", "z"], count: 2000, maxLength: 6) {
            XCTAssertEqual(PostPolicy.isReservedField(name), PostPolicy.reservedFields.contains(name.lowercased()), name.debugDescription)
        }
    }

    /// The member-by-member writer gives the bytes of the JSONValue object it stands for,
    /// repeated form field names included (first place, last value, as assignment keeps them).
    func testObjectWriterEqualsTheTree() {
        let texts = FastPathTests.samples(["a", "K", "-", "\"", "\\", "\n", "é", "\u{2028}", "/", " "], count: 600, maxLength: 10)
        var state = 7
        func pick() -> String { state = (state &* 1_103_515_245 &+ 12345) & 0x7FFF_FFFF; return texts[state % texts.count] }
        for round in 0..<200 {
            let pairs = (0..<(round % 7)).map { _ in (name: round % 3 == 0 ? ["a", "b", "a"][state % 3] : pick(), value: pick()) }
            var writer = JSONObjectWriter(reserving: 16)
            var tree = JSONObject()
            let first = pick(), second = pick(), third = pick()
            writer.string("fileId", first)
            tree["fileId"] = .string(first)
            writer.strings("fields", pairs)
            var fields = JSONObject()
            for pair in pairs { fields[pair.name] = .string(pair.value) }
            tree["fields"] = .object(fields)
            writer.value("expires", .int(Int64(round)))
            tree["expires"] = .int(Int64(round))
            writer.string(second, third)
            if tree[second] == nil { tree[second] = .string(third) } else { tree = JSONObject(tree.members + [(key: second, value: .string(third))]) }
            XCTAssertEqual(writer.finish(), JSONValue.object(tree).serializedBytes(), "round \(round)")
        }
        XCTAssertEqual(JSONObjectWriter().finish(), Array("{}".utf8))
    }

    /// The word-at-a-time header value check finds a control byte or DEL at every offset, and
    /// lets tab, space and bytes above 0x7F through, as the byte rule does.
    func testHeaderValueWordCheckAgreesWithBytes() {
        func byBytes(_ bytes: [UInt8]) -> Bool { bytes.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) } }
        for special: UInt8 in [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x7E, 0x7F, 0x80, 0xC3, 0xFF] {
            for length in 1...40 {
                for offset in 0..<length {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[offset] = special
                    let safe = bytes.withUnsafeBufferPointer { GatewayResponse.isSafeValue($0) }
                    XCTAssertEqual(safe, byBytes(bytes), "byte \(special) at \(offset) of \(length)")
                }
            }
        }
        XCTAssertTrue([UInt8]().withUnsafeBufferPointer { GatewayResponse.isSafeValue($0) })
    }
}
