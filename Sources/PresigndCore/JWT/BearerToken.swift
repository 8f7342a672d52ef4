/// Where a request's token comes from: `Authorization: Bearer …` (RFC 6750 §2.1), or else a
/// configured cookie. Ambiguity (two Authorization headers, the cookie twice) is refused
/// rather than resolved by guessing.
public enum BearerToken {
    public static func extract(from request: HTTPRequest, cookieName: String?) throws(APIError) -> String {
        let authorizations = request.headers.values("Authorization")
        if authorizations.count > 1 { throw BearerError.invalidRequest("send one Authorization header") }
        if let authorization = authorizations.first {
            let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.first?.lowercased() == "bearer" else {
                throw BearerError.missingToken()  // another scheme: challenge for Bearer
            }
            let token = parts.count == 2 ? parts[1].trimmingSpaces() : ""
            guard !token.isEmpty, !token.contains(" ") else {
                throw BearerError.invalidRequest("the Authorization header must be Bearer followed by one token")
            }
            return String(token)
        }
        if let cookieName {
            let values = cookieValues(request.headers.values("Cookie"), named: cookieName)
            if values.count > 1 { throw BearerError.invalidRequest("the \(cookieName) cookie was sent more than once") }
            if let token = values.first, !token.isEmpty { return token }
        }
        throw BearerError.missingToken()
    }

    /// The values of cookie `name` across `Cookie` headers (`a=1; b=2`, RFC 6265 §5.4).
    static func cookieValues(_ headers: [String], named name: String) -> [String] {
        var values: [String] = []
        for header in headers {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0].trimmingSpaces() == name else { continue }
                values.append(String(parts[1].trimmingSpaces().trimmingCharacters(in: "\"")))
            }
        }
        return values
    }
}
