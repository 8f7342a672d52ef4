import PresigndHTTP
package import PresigndSupport

/// What a CloudFront signature allows.
package enum CloudFrontPolicy: Sendable, Equatable {
    /// One exact URL until `expires` (epoch seconds); the short form, with `Expires=` in the URL.
    case canned(resource: String, expires: UnixSeconds)
    /// A resource that may use `*` wildcards, valid before `dateLessThan`, optionally only after
    /// `dateGreaterThan` and only from `ipAddress` (CIDR; a bare address means that one host).
    case custom(resource: String, dateLessThan: UnixSeconds, dateGreaterThan: UnixSeconds? = nil, ipAddress: String? = nil)

    package var resource: String {
        switch self {
        case .canned(let resource, _), .custom(let resource, _, _, _): return resource
        }
    }

    package var expires: UnixSeconds {
        switch self {
        case .canned(_, let expires), .custom(_, let expires, _, _): return expires
        }
    }

    /// The JSON CloudFront verifies, compact, members in the order the AWS SDKs write them.
    func json() throws(SigningError) -> String {
        let resource = self.resource
        guard !resource.isEmpty, resource.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalidPolicy("the CloudFront resource must be a URL in printable ASCII (percent-encode the rest)")
        }
        var condition = JSONObject()
        switch self {
        case .canned(_, let expires):
            guard !resource.contains("*") else {
                throw .invalidPolicy("a canned CloudFront policy cannot use * wildcards; use a custom policy")
            }
            condition["DateLessThan"] = ["AWS:EpochTime": .int(expires)]
        case .custom(_, let dateLessThan, let dateGreaterThan, let ipAddress):
            condition["DateLessThan"] = ["AWS:EpochTime": .int(dateLessThan)]
            if let ipAddress {
                condition["IpAddress"] = ["AWS:SourceIp": .string(try CloudFrontPolicy.sourceIP(ipAddress))]
            }
            if let dateGreaterThan {
                guard dateGreaterThan < dateLessThan else {
                    throw .invalidPolicy("DateGreaterThan must be earlier than DateLessThan")
                }
                condition["DateGreaterThan"] = ["AWS:EpochTime": .int(dateGreaterThan)]
            }
        }
        let statement: JSONValue = .object(JSONObject([(key: "Resource", value: .string(resource)), (key: "Condition", value: .object(condition))]))
        return JSONValue.object(JSONObject([(key: "Statement", value: .array([statement]))])).serialized()
    }

    /// `192.0.2.0/24` as given; a bare address gets `/32` (or `/128` for IPv6) as the SDKs add it.
    static func sourceIP(_ text: String) throws(SigningError) -> String {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let address = parts[0]
        let isV4 = address.split(separator: ".", omittingEmptySubsequences: false).count == 4
            && address.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { Int($0).map { (0...255).contains($0) } ?? false }
        let isV6 = !isV4 && address.contains(":") && address.allSatisfy { $0.isHexDigit || $0 == ":" }
        guard isV4 || isV6 else { throw .invalidPolicy("the IP address must be IPv4 or IPv6, optionally with a /mask") }
        let maxMask = isV4 ? 32 : 128
        if parts.count == 2 {
            guard let mask = Int(parts[1]), (0...maxMask).contains(mask) else {
                throw .invalidPolicy("the IP mask must be a number from 0 to \(maxMask)")
            }
            return text
        }
        return text + "/" + String(maxMask)
    }
}
