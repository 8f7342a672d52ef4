extension JSONValue {
    /// Compact JSON (no spaces), members in their stored order. Non-ASCII is written as UTF-8;
    /// `/` is not escaped.
    package func serialized() -> String { String(decoding: serializedBytes(), as: UTF8.self) }

    package func serializedBytes() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(minimumSerializedCount + 64)
        write(to: &output)
        return output
    }

    /// Bytes the compact text takes at least (escapes add more): reserved up front, so a large
    /// answer (a POST form's fields and policy, a page of documents) is not copied as it grows.
    var minimumSerializedCount: Int {
        switch self {
        case .null, .bool: return 5
        case .int, .double: return 20
        case .string(let s): return s.utf8.count + 2
        case .array(let items): return items.reduce(2) { $0 + $1.minimumSerializedCount + 1 }
        case .object(let object): return object.members.reduce(2) { $0 + $1.key.utf8.count + 4 + $1.value.minimumSerializedCount }
        }
    }

    func write(to output: inout [UInt8]) {
        switch self {
        case .null: output += "null".utf8
        case .bool(let b): output += (b ? "true" : "false").utf8
        case .int(let i): output += String(i).utf8
        case .double(let d):
            if d.rounded() == d, abs(d) < 1e15 { output += String(Int64(d)).utf8 } else { output += "\(d)".utf8 }
        case .string(let s): JSONValue.writeString(s, to: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { output.append(UInt8(ascii: ",")) }
                item.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (i, member) in object.members.enumerated() {
                if i > 0 { output.append(UInt8(ascii: ",")) }
                JSONValue.writeString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                member.value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Copies runs of bytes that need no escape in one go (signed URLs are long and plain);
    /// escapes `"`, `\`, controls, and U+2028/U+2029 (which JavaScript would break lines at).
    package static func writeString(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            stopBytes.withUnsafeBufferPointer { stops in
                var runStart = 0
                var index = 0
                while index < bytes.count {
                    // The common case, eight plain ASCII bytes at a time.
                    if index + 8 <= bytes.count, !mayNeedEscape(ByteWord.load(bytes, at: index)) {
                        index += 8
                        continue
                    }
                    // A byte that is copied as it is.
                    guard stops[Int(bytes[index])] else {
                        index += 1
                        continue
                    }
                    let byte = bytes[index]
                    if byte == 0xE2 {
                        // U+2028/U+2029 are E2 80 A8/A9; any other E2 sequence is copied.
                        guard index + 2 < bytes.count, bytes[index + 1] == 0x80, bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9 else {
                            index += 1
                            continue
                        }
                    }
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                    index += appendEscape(of: bytes, at: index, to: &output)
                    runStart = index
                }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Whether any of the eight bytes is below 0x20, `"`, `\` or not ASCII.
    @inline(__always)
    static func mayNeedEscape(_ word: UInt64) -> Bool {
        ByteWord.below(0x20, in: word) | ByteWord.equal(UInt8(ascii: "\""), in: word) | ByteWord.equal(UInt8(ascii: "\\"), in: word)
            | ByteWord.nonASCII(in: word) != 0
    }

    /// Bytes that may need an escape: `"`, `\`, the controls, and E2 (the lead byte of U+2028/U+2029).
    static let stopBytes: [Bool] = (0..<256).map { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0xE2 }

    /// Writes the escape for the byte (or U+2028/U+2029) at `index`; returns how many bytes it stood for.
    static func appendEscape(of bytes: UnsafeBufferPointer<UInt8>, at index: Int, to output: inout [UInt8]) -> Int {
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "\""): output += #"\""#.utf8
        case UInt8(ascii: "\\"): output += #"\\"#.utf8
        case 0x0A: output += #"\n"#.utf8
        case 0x0D: output += #"\r"#.utf8
        case 0x09: output += #"\t"#.utf8
        case 0x08: output += #"\b"#.utf8
        case 0x0C: output += #"\f"#.utf8
        case 0xE2:
            output += (bytes[index + 2] == 0xA8 ? #"\u2028"# : #"\u2029"#).utf8
            return 3
        default:
            let hex = String(byte, radix: 16)
            output += ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8
        }
        return 1
    }
}

/// Writes one JSON object member by member, byte for byte as `JSONValue.object(…)` with the same
/// members serialises: for answers of a fixed shape (a presign's form), with no tree of
/// `JSONValue`s to build, walk and free on every request.
package struct JSONObjectWriter {
    var bytes: [UInt8] = []
    var empty = true

    package init(reserving capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    mutating func key(_ key: String) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        JSONValue.writeString(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    package mutating func string(_ key: String, _ value: String) {
        self.key(key)
        JSONValue.writeString(value, to: &bytes)
    }

    package mutating func value(_ key: String, _ value: JSONValue) {
        self.key(key)
        value.write(to: &bytes)
    }

    /// A member whose value is an object of strings. A name given twice keeps its first place and
    /// its last value (what assigning each pair in turn to a `JSONObject` gives), so the text never
    /// holds a name twice; written by the same string writer as every other value.
    package mutating func strings(_ key: String, _ pairs: [(name: String, value: String)]) {
        self.key(key)
        bytes.append(UInt8(ascii: "{"))
        let repeated = JSONObjectWriter.hasRepeatedName(pairs)
        var first = true
        for (index, pair) in pairs.enumerated() {
            // With no name given twice (the usual case) every pair is written as it comes.
            if repeated && pairs[..<index].contains(where: { $0.name == pair.name }) { continue }
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            JSONValue.writeString(pair.name, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            JSONValue.writeString(repeated ? pairs[index...].last(where: { $0.name == pair.name })!.value : pair.value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    static func hasRepeatedName(_ pairs: [(name: String, value: String)]) -> Bool {
        for later in pairs.indices.dropFirst() where pairs[..<later].contains(where: { $0.name == pairs[later].name }) { return true }
        return false
    }

    /// The object's text.
    package consuming func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
