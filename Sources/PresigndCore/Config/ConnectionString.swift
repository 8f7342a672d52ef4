/// libpq connection strings as an operator may write them, for display.
public enum ConnectionString {
    /// The text with any password replaced by `******`, in URI form (`postgres://user:pw@host/db`,
    /// `…/db?password=pw`) or key=value form (`host=… password = 'p w'`), so check-config can
    /// show the rest.
    public static func masked(_ text: String) -> String {
        let chars = Array(text)
        if let schemeEnd = firstIndex(of: "://", in: chars) {
            return maskedURI(chars, afterScheme: schemeEnd + 3)
        }
        return maskedKeywords(chars)
    }

    /// The user info's password (up to the last `@` before the query) and any `password=` query parameter.
    static func maskedURI(_ chars: [Character], afterScheme start: Int) -> String {
        let queryStart = chars[start...].firstIndex(of: "?") ?? chars.endIndex
        var authority = Array(chars[start..<queryStart])
        if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
            authority = Array(authority[...colon]) + Array("******") + Array(authority[at...])
        }
        var result = String(chars[..<start]) + String(authority)
        if queryStart < chars.endIndex {
            let query = String(chars[(queryStart + 1)...]).split(separator: "&", omittingEmptySubsequences: false).map { part in
                part.lowercased().hasPrefix("password=") ? "password=******" : String(part)
            }
            result += "?" + query.joined(separator: "&")
        }
        return result
    }

    /// Parsed as libpq parses it: `key = value`, spaces allowed around `=`, a value either
    /// single-quoted or running to the next space, with backslash escapes in both.
    static func maskedKeywords(_ chars: [Character]) -> String {
        var output = ""
        var index = 0
        func copySpaces() {
            while index < chars.count, chars[index].isWhitespace { output.append(chars[index]); index += 1 }
        }
        while index < chars.count {
            copySpaces()
            let keyStart = index
            while index < chars.count, !chars[index].isWhitespace, chars[index] != "=" { index += 1 }
            let key = String(chars[keyStart..<index])
            let isPassword = key.lowercased() == "password"
            output += isPassword ? "password" : key
            copySpaces()
            guard index < chars.count, chars[index] == "=" else { continue }
            output.append("=")
            index += 1
            copySpaces()
            let valueStart = index
            let quoted = index < chars.count && chars[index] == "'"
            if quoted { index += 1 }
            while index < chars.count {
                if chars[index] == "\\" { index += 2; continue }
                if quoted ? chars[index] == "'" : chars[index].isWhitespace { break }
                index += 1
            }
            if quoted && index < chars.count { index += 1 }  // the closing quote
            index = min(index, chars.count)
            output += isPassword ? "******" : String(chars[valueStart..<index])
        }
        return output
    }

    static func firstIndex(of needle: String, in chars: [Character]) -> Int? {
        let pattern = Array(needle)
        guard chars.count >= pattern.count else { return nil }
        for start in 0...(chars.count - pattern.count) where Array(chars[start..<(start + pattern.count)]) == pattern {
            return start
        }
        return nil
    }
}
