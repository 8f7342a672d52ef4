/// How a bucket appears in an S3 URL.
public enum S3AddressingStyle: String, Sendable, CaseIterable {
    /// `https://bucket.s3.region.amazonaws.com/key`.
    case virtual
    /// `https://s3.region.amazonaws.com/bucket/key`, what most S3-compatible servers want.
    case path
    /// As botocore presigns with `addressing_style=auto`: a DNS-safe bucket goes virtual on the
    /// global `s3.amazonaws.com` host (signed for the configured region), anything else path-style;
    /// custom endpoints always get path style.
    case auto
}

/// Where S3 requests go: a region, AWS's own endpoint or a custom one, and the addressing style.
public struct S3Endpoint: Sendable {
    public let region: String
    /// nil means AWS's regional endpoint over https.
    public let custom: EndpointURL?
    public let addressing: S3AddressingStyle

    public init(region: String, endpoint: String? = nil, addressing: S3AddressingStyle = .virtual) throws(SigningError) {
        guard !region.isEmpty, region.utf8.count <= 64,
              region.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) else {
            throw .invalidRegion("the region must look like us-east-1 (lower-case letters, digits and dashes)")
        }
        self.region = region
        self.custom = try endpoint.map { (text: String) throws(SigningError) in try EndpointURL(text) }
        self.addressing = addressing
        if addressing == .virtual, let custom, custom.isIPLiteral {
            throw .invalidEndpoint("virtual-hosted addressing needs a DNS name, not an IP address; use path style")
        }
    }

    /// AWS's regional host: the legacy global name for us-east-1, `.com.cn` in China.
    var awsRegionalHost: String {
        if region == "us-east-1" { return "s3.amazonaws.com" }
        return "s3." + region + (region.hasPrefix("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com")
    }

    /// The scheme, host and wire path for `bucket` and, optionally, `key` (nil: the bucket itself).
    func locate(bucket: String, key: String?) -> S3Location {
        let encodedKey = key.map { PercentEncoding.encode($0, keepSlash: true) }
        let virtual: Bool
        let base: EndpointURL
        switch (addressing, custom) {
        case (.virtual, let custom?):
            virtual = true
            base = custom
        case (.path, let custom?), (.auto, let custom?):
            virtual = false
            base = custom
        case (.virtual, nil):
            virtual = true
            base = EndpointURL(scheme: "https", host: awsRegionalHost, port: nil)
        case (.path, nil):
            virtual = false
            base = EndpointURL(scheme: "https", host: awsRegionalHost, port: nil)
        case (.auto, nil):
            virtual = S3Validation.isDNSCompatible(bucket)
            base = EndpointURL(scheme: "https", host: virtual ? "s3.amazonaws.com" : awsRegionalHost, port: nil)
        }
        let host = virtual ? bucket + "." + base.host : base.host
        let path: String
        if virtual {
            path = "/" + (encodedKey ?? "")
        } else {
            path = "/" + bucket + (encodedKey.map { "/" + $0 } ?? "")
        }
        return S3Location(
            origin: base.scheme + "://" + host + (base.port.map { ":" + String($0) } ?? ""),
            hostHeader: EndpointURL.hostHeader(scheme: base.scheme, host: host, port: base.port),
            path: path)
    }
}

/// One S3 resource's address.
struct S3Location {
    /// `https://host[:port]`.
    let origin: String
    /// The Host header as signed (default ports left out).
    let hostHeader: String
    /// Percent-encoded path as sent, which S3 also signs as is.
    let path: String
}

/// Checks on bucket names and object keys, before anything is signed.
enum S3Validation {
    static let maxKeyBytes = 1024

    static func validateBucket(_ bucket: String) throws(SigningError) {
        let bytes = Array(bucket.utf8)
        guard (3...63).contains(bytes.count) else {
            throw .invalidBucket("a bucket name must be 3 to 63 characters long")
        }
        guard bytes.allSatisfy({ isLowerAlnum($0) || $0 == 0x2E || $0 == 0x2D }),
              isLowerAlnum(bytes.first!), isLowerAlnum(bytes.last!), !bucket.contains("..") else {
            throw .invalidBucket("a bucket name may hold only lower-case letters, digits, dots and dashes, and must start and end with a letter or digit")
        }
        if bytes.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2E }) && bucket.split(separator: ".").count == 4 {
            throw .invalidBucket("a bucket name must not look like an IP address")
        }
    }

    static func validateKey(_ key: String) throws(SigningError) {
        guard !key.isEmpty else { throw .invalidKey("the object key must not be empty") }
        guard key.utf8.count <= maxKeyBytes else {
            throw .invalidKey("the object key is \(key.utf8.count) bytes; S3 allows at most 1024 bytes of UTF-8")
        }
        guard !key.unicodeScalars.contains(where: { $0.value == 0 }) else {
            throw .invalidKey("the object key must not contain a NUL character")
        }
    }

    /// A bucket that can be a DNS label and sit under a TLS wildcard: no dots.
    static func isDNSCompatible(_ bucket: String) -> Bool {
        !bucket.contains(".") && (try? validateBucket(bucket)) != nil
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
}
