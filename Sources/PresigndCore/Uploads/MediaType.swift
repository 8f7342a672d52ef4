/// Media-type syntax (RFC 9110 §8.3.1), checked before a type is signed into a policy or a
/// header, so nothing but `type/subtype` and simple parameters reaches S3.
public enum MediaType {
    /// RFC 9110 `tchar`, the same alphabet as a header name.
    static func isTokenByte(_ byte: UInt8) -> Bool { CanonicalHeaders.isTokenByte(byte) }

    /// Whether `text` is `type/subtype` optionally followed by `; name=value` parameters of
    /// tokens, at most 255 bytes: no spaces inside tokens, no quotes, no control characters.
    public static func isValid(_ text: String) -> Bool {
        guard text.utf8.count <= 255 else { return false }
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        let essence = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        guard essence.count == 2, essence.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isTokenByte) }) else { return false }
        for parameter in parts.dropFirst() {
            let trimmed = parameter.drop { $0 == " " }
            let pair = trimmed.split(separator: "=", omittingEmptySubsequences: false)
            guard pair.count == 2, pair.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isTokenByte) }) else { return false }
        }
        return true
    }

    /// `text` with its `type/subtype` lower-cased and its parameters as given. Types compare
    /// case-insensitively, but an S3 POST policy's `starts-with` does not: `IMAGE/PNG` would
    /// pass our check and then never match the policy's `image/`.
    public static func lowercasingEssence(_ text: String) -> String {
        guard let semicolon = text.firstIndex(of: ";") else { return text.lowercased() }
        return text[..<semicolon].lowercased() + text[semicolon...]
    }

    /// `type/subtype` in lower case, without parameters, for comparing two types.
    public static func essence(_ text: String) -> String {
        let head = text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return String(head.filter { $0 != " " && $0 != "\t" }).lowercased()
    }
}
