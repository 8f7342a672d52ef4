/// libpq connection strings as an operator may write them, for display.
public enum ConnectionString {
    /// The text with any password replaced by `******`, in URI form (`postgres://user:pw@host/db`)
    /// or key=value form (`host=… password=…`), so check-config can show the rest.
    public static func masked(_ text: String) -> String {
        let chars = Array(text)
        if let schemeEnd = firstIndex(of: "://", in: chars) {
            let rest = chars[(schemeEnd + 3)...]
            if let at = rest.lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
                return String(chars[..<(colon + 1)]) + "******" + String(chars[at...])
            }
            return text
        }
        return text.split(separator: " ", omittingEmptySubsequences: false).map { part in
            part.lowercased().hasPrefix("password=") ? "password=******" : String(part)
        }.joined(separator: " ")
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
