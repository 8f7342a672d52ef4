import PresigndCrypto
package import PresigndHTTP
import PresigndSupport

/// Where a request's token comes from: `Authorization: Bearer …` (RFC 6750 §2.1), or else a
/// configured cookie. Ambiguity (two Authorization headers, the cookie twice) is refused
/// rather than resolved by guessing.
package enum BearerToken {
    package static func extract(from request: HTTPRequest, cookieName: String?) throws(APIError) -> String {
        let authorizations = request.headers.first("Authorization")
        if authorizations.repeated { throw BearerError.invalidRequest("send one Authorization header") }
        if let authorization = authorizations.value {
            if let token = try asciiBearer(authorization) { return token }
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

    /// The token of an all-ASCII `Authorization` value, read byte by byte with the same rules as
    /// the Character path below (nil: not ASCII, let that path decide). In ASCII every byte is
    /// one Character, so the answers are the same.
    static func asciiBearer(_ authorization: String) throws(APIError) -> String? {
        var authorization = authorization
        let result: Result<String, APIError>? = authorization.withUTF8 { bytes in
            let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
            // split(separator: " ", maxSplits: 1): skip leading spaces, the scheme runs to the next
            // space, the rest starts after that one space.
            var start = 0
            while start < bytes.count, bytes[start] == space { start += 1 }
            var end = start
            while end < bytes.count, bytes[end] != space { end += 1 }
            guard end - start == 6, zip(bytes[start..<end], "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 }) else {
                return .failure(BearerError.missingToken())  // another scheme: challenge for Bearer
            }
            // trimmingSpaces(): spaces and tabs at both ends.
            var first = Swift.min(end + 1, bytes.count), last = bytes.count
            while first < last, bytes[first] == space || bytes[first] == tab { first += 1 }
            while last > first, bytes[last - 1] == space || bytes[last - 1] == tab { last -= 1 }
            let token = UnsafeBufferPointer(rebasing: bytes[first..<last])
            guard !token.isEmpty, !token.contains(space) else {
                return .failure(BearerError.invalidRequest("the Authorization header must be Bearer followed by one token"))
            }
            return .success(String(decoding: token, as: UTF8.self))
        }
        return try result?.get()
    }

    /// The values of cookie `name` across `Cookie` headers (`a=1; b=2`, RFC 6265 §5.4).
    package static func cookieValues(_ headers: [String], named name: String) -> [String] {
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
