/// libpq connection strings as an operator may write them, for display.
package enum ConnectionString {
    /// The text with any password replaced by `******`, in URI form (`postgres://user:pw@host/db`,
    /// `…/db?password=pw`) or key=value form (`host=… password = 'p w'`), so check-config can
    /// show the rest.
    package static func masked(_ text: String) -> String {
        let chars = Array(text)
        if let schemeEnd = firstIndex(of: "://", in: chars) {
            return maskedURI(chars, afterScheme: schemeEnd + 3)
        }
        return maskedKeywords(chars)
    }

    /// The user info's password and any `password=` query parameter. libpq takes user info up
    /// to an `@` met before any `/`, so a `?` or `#` in a password belongs to the password; the
    /// mask runs to the last `@` before the path, which also covers an unencoded `@` in it. The
    /// host list (`h1:5432,h2:5433`, `[::1]:5432`) and the query (`target_session_attrs=…`) stay.
    static func maskedURI(_ chars: [Character], afterScheme start: Int) -> String {
        let pathStart = chars[start...].firstIndex(of: "/") ?? chars.endIndex
        var result = String(chars[..<start])
        var hostStart = start
        if let at = chars[start..<pathStart].lastIndex(of: "@"), let colon = chars[start..<at].firstIndex(of: ":") {
            result += String(chars[start...colon]) + "******"
            hostStart = at
        }
        let queryStart = chars[hostStart...].firstIndex(of: "?") ?? chars.endIndex
        result += String(chars[hostStart..<queryStart])
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
