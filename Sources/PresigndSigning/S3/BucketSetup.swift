import PresigndCrypto
import PresigndHTTP
import PresigndSupport

/// What `presignd bucket-setup` wants the bucket to have, and the bodies that say it: a CORS
/// rule for the app's origins (so a browser may POST, PUT and GET, and read `ETag` for
/// multipart and `Location`, which Uppy reads after a POST), public access blocked, and a lifecycle rule that aborts multipart uploads left
/// incomplete. presignd's own rules carry ids starting `presignd-`; the bucket's other rules
/// are kept as they are.
package struct BucketSetup: Sendable, Equatable {
    package static let corsRuleID = "presignd-browser-uploads"
    package static let abortRuleID = "presignd-abort-incomplete-multipart"

    package let origins: [String]
    package let corsMaxAge: Int
    /// Days after which an incomplete multipart upload is aborted by the store itself.
    package let abortAfterDays: Int

    package init(origins: [String], corsMaxAge: Int = 3600, abortAfterDays: Int = 1) {
        self.origins = origins
        self.corsMaxAge = corsMaxAge
        self.abortAfterDays = abortAfterDays
    }

    package static let corsMethods = ["GET", "HEAD", "PUT", "POST"]

    /// One part of the bucket's configuration and what to do about it.
    package enum Change: Sendable, Equatable {
        case unchanged
        /// Put `body` (the whole subresource: presignd's rule plus the bucket's other rules).
        case put(body: [UInt8], reason: String)
    }

    // MARK: CORS

    /// The CORS configuration to put, given the current one (nil: none, or the store's 404).
    package func cors(current: [UInt8]?) -> Change {
        let others = current.map { BucketSetup.otherRules(S3XML($0), element: "CORSRule", idPrefix: "presignd-") } ?? []
        if let current, let mine = BucketSetup.rule(S3XML(current), element: "CORSRule", id: BucketSetup.corsRuleID), corsMatches(mine) {
            return .unchanged
        }
        var body = "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><CORSRule><ID>\(BucketSetup.corsRuleID)</ID>"
        for origin in origins { body += "<AllowedOrigin>\(S3XML.escape(origin))</AllowedOrigin>" }
        for method in BucketSetup.corsMethods { body += "<AllowedMethod>\(method)</AllowedMethod>" }
        body += "<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><ExposeHeader>Location</ExposeHeader><MaxAgeSeconds>\(corsMaxAge)</MaxAgeSeconds></CORSRule>"
        body += others.map { "<CORSRule>\($0)</CORSRule>" }.joined()
        body += "</CORSConfiguration>"
        let reason = current == nil ? "no CORS rule: browsers on \(origins.joined(separator: ", ")) could not upload"
                                    : "presignd's CORS rule is missing or differs"
        return .put(body: Array(body.utf8), reason: reason)
    }

    func corsMatches(_ rule: S3XML) -> Bool {
        Set(rule.values("AllowedOrigin")) == Set(origins) && Set(rule.values("AllowedMethod")) == Set(BucketSetup.corsMethods)
            && rule.values("AllowedHeader") == ["*"] && Set(rule.values("ExposeHeader")) == ["ETag", "Location"]
            && rule.value("MaxAgeSeconds") == String(corsMaxAge)
    }

    // MARK: public access block

    package static let publicAccessSettings = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]

    package func publicAccessBlock(current: [UInt8]?) -> Change {
        if let current, BucketSetup.publicAccessSettings.allSatisfy({ S3XML(current).value($0) == "true" }) { return .unchanged }
        var body = "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for setting in BucketSetup.publicAccessSettings { body += "<\(setting)>true</\(setting)>" }
        body += "</PublicAccessBlockConfiguration>"
        return .put(body: Array(body.utf8), reason: "public access is not fully blocked")
    }

    // MARK: lifecycle

    package func lifecycle(current: [UInt8]?) -> Change {
        let others = current.map { BucketSetup.otherRules(S3XML($0), element: "Rule", idPrefix: "presignd-") } ?? []
        if let current, let mine = BucketSetup.rule(S3XML(current), element: "Rule", id: BucketSetup.abortRuleID),
           mine.value("Status") == "Enabled", mine.elements("AbortIncompleteMultipartUpload").first?.value("DaysAfterInitiation") == String(abortAfterDays) {
            return .unchanged
        }
        var body = "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        body += "<Rule><ID>\(BucketSetup.abortRuleID)</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>"
        body += "<AbortIncompleteMultipartUpload><DaysAfterInitiation>\(abortAfterDays)</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
        body += others.map { "<Rule>\($0)</Rule>" }.joined()
        body += "</LifecycleConfiguration>"
        return .put(body: Array(body.utf8), reason: "no rule aborts incomplete multipart uploads after \(abortAfterDays) day(s)")
    }

    // MARK: rules by id

    static func rule(_ document: S3XML, element: String, id: String) -> S3XML? {
        document.elements(element).first { $0.value("ID") == id }
    }

    /// The raw content of every rule whose id does not start with `idPrefix`, to be put back as it was.
    static func otherRules(_ document: S3XML, element: String, idPrefix: String) -> [String] {
        document.elements(element).filter { !($0.value("ID") ?? "").hasPrefix(idPrefix) }.map(\.rawText)
    }
}

extension S3XML {
    /// The decoded text of every `<name>` element.
    func values(_ name: String) -> [String] {
        elements(name).map { S3XML.decodeEntities(String(decoding: $0.bytes, as: UTF8.self)) }
    }

    /// The element's content as it was written.
    var rawText: String { String(decoding: bytes, as: UTF8.self) }
}
