import PresigndCrypto
import PresigndHTTP
import PresigndSigning
import PresigndSupport

/// Media-type syntax (RFC 9110 §8.3.1), checked before a type is signed into a policy or a
/// header, so nothing but `type/subtype` and simple parameters reaches S3.
package enum MediaType {
    /// What a file whose type nobody declared is (a browser's `File.type` is "" for a name with
    /// no extension it knows): the purpose must allow it, and the content decides at confirm.
    package static let unknown = "application/octet-stream"

    /// Whether `text` is `type/subtype` optionally followed by `; name=value` parameters of
    /// tokens, at most 255 bytes: no spaces inside tokens, no quotes, no control characters.
    package static func isValid(_ text: String) -> Bool {
        guard text.utf8.count <= 255 else { return false }
        // Every byte outside ASCII ends up inside some part, where it is not a token byte; so
        // the bytes decide alone, and no Character is needed.
        var text = text
        return text.withUTF8 { bytes in
            var parts = bytes.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false).makeIterator()
            guard let essence = parts.next(), isTokenPair(essence, UInt8(ascii: "/")) else { return false }
            while let parameter = parts.next() {
                guard isTokenPair(parameter.drop { $0 == UInt8(ascii: " ") }, UInt8(ascii: "=")) else { return false }
            }
            return true
        }
    }

    /// `token separator token`: exactly one `separator` with a non-empty token on each side.
    static func isTokenPair(_ part: Slice<UnsafeBufferPointer<UInt8>>, _ separator: UInt8) -> Bool {
        guard let split = part.firstIndex(of: separator) else { return false }
        let left = part[..<split], right = part[(split + 1)...]
        return !left.isEmpty && !right.isEmpty && left.allSatisfy(ASCII.isTokenByte) && right.allSatisfy(ASCII.isTokenByte)
    }

    /// The Character-level check `isValid` stands for (kept for the tests that compare the two).
    static func isValidByCharacters(_ text: String) -> Bool {
        guard text.utf8.count <= 255 else { return false }
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        let essence = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        guard essence.count == 2, essence.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(ASCII.isTokenByte) }) else { return false }
        for parameter in parts.dropFirst() {
            let trimmed = parameter.drop { $0 == " " }
            let pair = trimmed.split(separator: "=", omittingEmptySubsequences: false)
            guard pair.count == 2, pair.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(ASCII.isTokenByte) }) else { return false }
        }
        return true
    }

    /// `text` with its `type/subtype` lower-cased and its parameters as given. Types compare
    /// case-insensitively, but an S3 POST policy's `starts-with` does not: `IMAGE/PNG` would
    /// pass our check and then never match the policy's `image/`.
    package static func lowercasingEssence(_ text: String) -> String {
        // ASCII (every valid media type): the `;` is found by byte, and a byte offset is a Character offset.
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            guard let semicolon = text.utf8.firstIndex(of: UInt8(ascii: ";")) else { return text.lowercased() }
            return text[..<semicolon].lowercased() + text[semicolon...]
        }
        guard let semicolon = text.firstIndex(of: ";") else { return text.lowercased() }
        return text[..<semicolon].lowercased() + text[semicolon...]
    }

    /// A header's media type parsed strictly by RFC 9110 §8.3.1: `type "/" subtype *( OWS ";"
    /// OWS [ name "=" ( token / quoted-string ) ] )`, with optional whitespace around the whole
    /// value. Returns the essence in lower case and the parameters (names lower-cased, quoted
    /// values unquoted), or nil for anything else, such as `;application/json` or `application/json x`.
    package static func parseHeader(_ text: String) -> (essence: String, parameters: [(name: String, value: String)])? {
        let bytes = Array(text.utf8)
        var index = 0
        func skipWhitespace() { while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 } }
        func token() -> String? {
            let start = index
            while index < bytes.count, ASCII.isTokenByte(bytes[index]) { index += 1 }
            return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }
        // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; qdtext excludes controls but HTAB.
        func quotedString() -> String? {
            index += 1
            var value: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: value, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count, isQuotedTextByte(bytes[index]) || bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "\\") else { return nil }
                    value.append(bytes[index])
                    index += 1
                default:
                    guard isQuotedTextByte(byte) else { return nil }
                    value.append(byte)
                }
            }
            return nil
        }
        skipWhitespace()
        guard let type = token(), index < bytes.count, bytes[index] == UInt8(ascii: "/") else { return nil }
        index += 1
        guard let subtype = token() else { return nil }
        var parameters: [(name: String, value: String)] = []
        while true {
            skipWhitespace()
            if index == bytes.count { break }
            guard bytes[index] == UInt8(ascii: ";") else { return nil }
            index += 1
            skipWhitespace()
            // `[ parameter ]`: an empty parameter between semicolons is allowed.
            if index == bytes.count || bytes[index] == UInt8(ascii: ";") { continue }
            guard let name = token(), index < bytes.count, bytes[index] == UInt8(ascii: "=") else { return nil }
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                guard let value = quotedString() else { return nil }
                parameters.append((name.lowercased(), value))
            } else {
                guard let value = token() else { return nil }
                parameters.append((name.lowercased(), value))
            }
        }
        return ((type + "/" + subtype).lowercased(), parameters)
    }

    /// RFC 9110 `qdtext`: HTAB, SP, visible ASCII but `"` and `\`, and obs-text.
    static func isQuotedTextByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || byte == 0x20 || byte == 0x21 || (0x23...0x5B).contains(byte) || (0x5D...0x7E).contains(byte) || byte >= 0x80
    }

    /// `type/subtype` in lower case, without parameters, for comparing two types.
    package static func essence(_ text: String) -> String {
        let head = text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return String(head.filter { $0 != " " && $0 != "\t" }).lowercased()
    }
}
