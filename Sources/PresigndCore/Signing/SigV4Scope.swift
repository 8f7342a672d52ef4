/// The credential scope `yyyymmdd/region/service/aws4_request` a SigV4 signature is bound to.
public struct SigV4Scope: Sendable, Hashable {
    public let date: String
    public let region: String
    public let service: String

    public init(date: String, region: String, service: String) {
        self.date = date
        self.region = region
        self.service = service
    }

    public var text: String { date + "/" + region + "/" + service + "/aws4_request" }
}

/// The pieces of a signature worth showing in a test: what was hashed and what came out.
public struct SigV4Signature: Sendable {
    let canonicalRequestBytes: [UInt8]
    let stringToSignBytes: [UInt8]
    /// Lower-case hex.
    public let signature: String

    public var canonicalRequest: String { String(decoding: canonicalRequestBytes, as: UTF8.self) }
    public var stringToSign: String { String(decoding: stringToSignBytes, as: UTF8.self) }
}
