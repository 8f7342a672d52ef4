import PresigndCrypto
import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport
import PresigndUploads

let cloudFrontUsage = """
    usage: presignd cloudfront url URL | cookies RESOURCE --key-pair-id ID --private-key PEMFILE [options]
      --expires SECONDS       lifetime from now (or --at); default 3600
      --date-less-than T      absolute expiry instead (20260314T150926Z or ISO 8601)
      --date-greater-than T   not valid before T (custom policy)
      --ip-address CIDR       only from these addresses (custom policy)
      --policy-resource R     url: sign a wildcard resource instead of the URL itself
      --hash-algorithm SHA1|SHA256   (default SHA1, CloudFront's default)
      --at 20260314T150926Z   the time "now" is, for reproducible output
    A canned policy is used unless a wildcard, --date-greater-than, --ip-address or
    --policy-resource asks for a custom one. url prints the signed URL; cookies prints a JSON
    object of cookie names and values.

    """

/// `presignd cloudfront url|cookies …`: CloudFront signed URLs and cookies for operators and tests.
enum CloudFrontCommand: Command {
    static func run(_ arguments: [String], environment: Environment) -> Int32 {
        reportingErrors(usage: cloudFrontUsage) {
            let options = try CommandOptions(
                arguments[...],
                valueOptions: ["key-pair-id", "private-key", "expires", "date-less-than", "date-greater-than", "ip-address",
                               "policy-resource", "hash-algorithm", "at"],
                flagOptions: ["help"])
            if options.flag("help") {
                writeOut(cloudFrontUsage)
                return 0
            }
            guard options.positional.count == 2, ["url", "cookies"].contains(options.positional[0]) else {
                throw UsageError("expected url URL or cookies RESOURCE")
            }
            guard let keyPairID = options.value("key-pair-id") else { throw UsageError("--key-pair-id is required") }
            guard let keyPath = options.value("private-key") else { throw UsageError("--private-key is required") }
            guard let pem = readWholeFile(keyPath) else { throw UsageError("cannot read the private key file \(keyPath)") }
            var hash = CloudFrontHashAlgorithm.sha1
            if let text = options.value("hash-algorithm") {
                guard let value = CloudFrontHashAlgorithm(rawValue: text.uppercased()) else { throw UsageError("--hash-algorithm must be SHA1 or SHA256") }
                hash = value
            }
            let signer = try CloudFrontSigner(keyPairID: keyPairID, privateKeyPEM: pem, hashAlgorithm: hash)
            let now = try options.time()
            let expires: UnixSeconds
            if let text = options.value("date-less-than") {
                guard let date = UTCDateTime.parse(text) else { throw UsageError("--date-less-than must look like 20260314T150926Z") }
                expires = date.unixSeconds
            } else {
                let seconds = try options.integer("expires") ?? 3600
                let (end, overflow) = now.addingReportingOverflow(Int64(seconds))
                guard seconds > 0, !overflow else { throw UsageError("--expires must be a positive number of seconds") }
                expires = end
            }
            guard expires > now else { throw UsageError("the expiry is in the past") }
            var notBefore: UnixSeconds?
            if let text = options.value("date-greater-than") {
                guard let date = UTCDateTime.parse(text) else { throw UsageError("--date-greater-than must look like 20260314T150926Z") }
                notBefore = date.unixSeconds
            }
            let target = options.positional[1]
            let resource = options.value("policy-resource") ?? target
            let custom = resource.contains("*") || notBefore != nil || options.value("ip-address") != nil || resource != target
            let policy: CloudFrontPolicy = custom
                ? .custom(resource: resource, dateLessThan: expires, dateGreaterThan: notBefore, ipAddress: options.value("ip-address"))
                : .canned(resource: resource, expires: expires)
            if options.positional[0] == "url" {
                writeOut(try signer.signedURL(target, policy: policy) + "\n")
            } else {
                var cookies = JSONObject()
                for cookie in try signer.cookies(policy: policy) { cookies[cookie.name] = .string(cookie.value) }
                writeOut(JSONValue.object(cookies).serialized() + "\n")
            }
            return 0
        }
    }
}
