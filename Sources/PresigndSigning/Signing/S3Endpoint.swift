import PresigndCrypto
import PresigndHTTP
import PresigndSupport

/// How a bucket appears in an S3 URL.
package enum S3AddressingStyle: String, Sendable, CaseIterable {
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
package struct S3Endpoint: Sendable {
    package let region: String
    /// nil means AWS's regional endpoint over https.
    package let custom: EndpointURL?
    package let addressing: S3AddressingStyle

    package init(region: String, endpoint: String? = nil, addressing: S3AddressingStyle = .virtual) throws(SigningError) {
        guard !region.isEmpty, region.utf8.count <= 64,
              region.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) else {
            throw .invalidRegion("the region must look like us-east-1 (lower-case letters, digits and dashes)")
        }
        self.region = region
        self.awsRegionalHost = region == "us-east-1" ? "s3.amazonaws.com"
            : "s3." + region + (region.hasPrefix("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com")
        self.custom = try endpoint.map { (text: String) throws(SigningError) in try EndpointURL(text) }
        self.addressing = addressing
        if addressing == .virtual, let custom, custom.isIPLiteral {
            throw .invalidEndpoint("virtual-hosted addressing needs a DNS name, not an IP address; use path style")
        }
    }

    /// AWS's regional host: the legacy global name for us-east-1, `.com.cn` in China.
    let awsRegionalHost: String

    /// The object's plain (unsigned) URL, as S3 names it in `Location`.
    package func objectURL(bucket: String, key: String) -> String {
        let location = locate(bucket: bucket, key: key)
        return location.origin + location.path
    }

    /// The scheme, host and wire path for `bucket` and, optionally, `key` (nil: the bucket itself).
    func locate(bucket: String, key: String?) -> S3Location {
        let virtual: Bool
        let scheme: String, baseHost: String, port: Int?
        switch (addressing, custom) {
        case (.virtual, let custom?):
            (virtual, scheme, baseHost, port) = (true, custom.scheme, custom.host, custom.port)
        case (.path, let custom?), (.auto, let custom?):
            (virtual, scheme, baseHost, port) = (false, custom.scheme, custom.host, custom.port)
        case (.virtual, nil):
            (virtual, scheme, baseHost, port) = (true, "https", awsRegionalHost, nil)
        case (.path, nil):
            (virtual, scheme, baseHost, port) = (false, "https", awsRegionalHost, nil)
        case (.auto, nil):
            virtual = S3Validation.isDNSCompatible(bucket)
            (scheme, baseHost, port) = ("https", virtual ? "s3.amazonaws.com" : awsRegionalHost, nil)
        }
        let host = virtual ? bucket + "." + baseHost : baseHost
        var path: [UInt8] = []
        path.reserveCapacity(2 + bucket.utf8.count + (key?.utf8.count ?? 0) * 3 / 2)
        path.append(UInt8(ascii: "/"))
        if !virtual {
            path.append(contentsOf: bucket.utf8)
            if key != nil { path.append(UInt8(ascii: "/")) }
        }
        if let key { PercentEncoding.append(key, keepSlash: true, to: &path) }
        let hostHeader = EndpointURL.hostHeader(scheme: scheme, host: host, port: port)
        return S3Location(
            origin: scheme + "://" + (port.map { host + ":" + String($0) } ?? host),
            hostHeader: hostHeader,
            path: String(decoding: path, as: UTF8.self))
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
package enum S3Validation {
    static let maxKeyBytes = 1024

    /// 3–63 lower-case letters, digits, dots and dashes, letter or digit at both ends, no `..`,
    /// not shaped like an IP address.
    package static func validateBucket(_ bucket: String) throws(SigningError) {
        let count = bucket.utf8.count
        guard (3...63).contains(count) else {
            throw .invalidBucket("a bucket name must be 3 to 63 characters long")
        }
        // One pass: allowed bytes, no "..", letter or digit at both ends, and whether it is all digits and dots.
        var valid = true, digitsAndDots = true, dots = 0
        var previous: UInt8 = 0
        for (index, byte) in bucket.utf8.enumerated() {
            let alnum = isLowerAlnum(byte)
            if !alnum && byte != 0x2E && byte != 0x2D { valid = false; break }
            if (index == 0 || index == count - 1) && !alnum { valid = false; break }
            if byte == 0x2E { dots += 1; if previous == 0x2E { valid = false; break } }
            if !(0x30...0x39).contains(byte) && byte != 0x2E { digitsAndDots = false }
            previous = byte
        }
        guard valid else {
            throw .invalidBucket("a bucket name may hold only lower-case letters, digits, dots and dashes, and must start and end with a letter or digit")
        }
        if digitsAndDots && dots == 3 {
            throw .invalidBucket("a bucket name must not look like an IP address")
        }
    }

    static func validateKey(_ key: String) throws(SigningError) {
        guard !key.isEmpty else { throw .invalidKey("the object key must not be empty") }
        guard key.utf8.count <= maxKeyBytes else {
            throw .invalidKey("the object key is \(key.utf8.count) bytes; S3 allows at most 1024 bytes of UTF-8")
        }
        guard !key.utf8.contains(0) else {
            throw .invalidKey("the object key must not contain a NUL character")
        }
    }

    /// A bucket that can be a DNS label and sit under a TLS wildcard: no dots.
    static func isDNSCompatible(_ bucket: String) -> Bool {
        !bucket.utf8.contains(0x2E) && (try? validateBucket(bucket)) != nil
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
}
