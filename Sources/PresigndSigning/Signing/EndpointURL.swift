import PresigndCrypto
import PresigndHTTP
import PresigndSupport

/// `scheme://host[:port]` of a service, parsed strictly: http or https, a DNS name, IPv4 or
/// bracketed IPv6 literal, an optional port; no user info, path, query or fragment.
package struct EndpointURL: Sendable, Equatable {
    package let scheme: String
    /// Lower-case; IPv6 literals keep their brackets.
    package let host: String
    package let port: Int?

    package init(_ text: String) throws(SigningError) {
        let parsed = try RequestURL(text)
        guard parsed.path == "/" || parsed.path.isEmpty, parsed.query.isEmpty else {
            throw .invalidEndpoint("the endpoint must be scheme://host[:port] without a path or query")
        }
        self.init(scheme: parsed.scheme, host: parsed.host, port: parsed.port)
    }

    init(scheme: String, host: String, port: Int?) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// The Host header: the port only when it is not the scheme's default, as the SDKs sign it.
    package var hostHeader: String { Self.hostHeader(scheme: scheme, host: host, port: port) }

    /// `https://host[:port]`, keeping whatever port was given.
    package var origin: String { scheme + "://" + host + (port.map { ":" + String($0) } ?? "") }

    /// True for 127.0.0.1 or [::1]-style literals, which cannot carry a bucket as a subdomain.
    package var isIPLiteral: Bool {
        host.hasPrefix("[") || host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
    }

    static func hostHeader(scheme: String, host: String, port: Int?) -> String {
        guard let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) else { return host }
        return host + ":" + String(port)
    }
}

/// A URL split the way a SigV4 signer needs it: scheme, host, port, wire path, raw query.
struct RequestURL {
    let scheme: String
    let host: String
    let port: Int?
    let path: String
    let query: Substring

    init(_ text: String) throws(SigningError) {
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalidURL("the URL must be ASCII without spaces; percent-encode the rest")
        }
        let lowered = text.prefix(8).lowercased()
        let scheme = lowered.hasPrefix("https://") ? "https" : lowered.hasPrefix("http://") ? "http" : ""
        guard !scheme.isEmpty else { throw .invalidURL("the URL must start with http:// or https://") }
        var rest = text.dropFirst(scheme.count + 3)
        guard !rest.contains("#") else { throw .invalidURL("the URL must not have a fragment") }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        guard !authority.contains("@") else { throw .invalidURL("the URL must not carry user information") }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL("an IPv6 host must be closed with ]") }
            host = authority[...close]
            let afterHost = authority[authority.index(after: close)...]
            if !afterHost.isEmpty {
                guard afterHost.hasPrefix(":") else { throw .invalidURL("unexpected text after the IPv6 host") }
                portText = afterHost.dropFirst()
            }
            let inner = host.dropFirst().dropLast()
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw .invalidURL("the IPv6 host is not a valid address literal")
            }
        } else {
            let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = parts[0]
            if parts.count == 2 { portText = parts[1] }
            guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }) else {
                throw .invalidURL("the host must be a DNS name or an IP address")
            }
        }
        var port: Int?
        if let portText {
            guard let value = Int(portText), (1...65_535).contains(value), portText.allSatisfy(\.isNumber) else {
                throw .invalidURL("the port must be a number from 1 to 65535")
            }
            port = value
        }
        let queryStart = rest.firstIndex(of: "?")
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
        self.path = String(queryStart.map { rest[..<$0] } ?? rest)
        self.query = queryStart.map { rest[rest.index(after: $0)...] } ?? ""
    }

    var hostHeader: String { EndpointURL.hostHeader(scheme: scheme, host: host, port: port) }
}
