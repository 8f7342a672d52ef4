#if canImport(Glibc)
import Glibc
#endif
import PresigndCrypto
import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport

// In-process signing throughput, next to the bare HMAC/SHA-256 (or RSA) work on the same
// inputs. Prints one tab-separated line per case: name, operations, CPU µs per op, ops per CPU second.
// Usage: presignd-bench [iterations-scale] [cloudfront-rsa-pem-file] [cloudfront-ecdsa-pem-file]
//    or: presignd-bench [scale] get-only | uploadpart-only | metrics-only   (for a profiler; uploadpart-only is short, for callgrind)

func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

nonisolated(unsafe) var sink = 0

func measure(_ name: String, iterations: Int, _ body: () throws -> Int) rethrows {
    for _ in 0..<min(iterations / 10, 2000) { sink &+= try body() }  // warm caches and pools
    var best = Double.infinity
    for _ in 0..<3 {
        let start = cpuSeconds()
        for _ in 0..<iterations { sink &+= try body() }
        best = min(best, (cpuSeconds() - start) / Double(iterations))
    }
    print("\(name)\t\(iterations)\t\(String(Int((best * 1e9).rounded())))\t\(Int((1 / best).rounded()))")
}

let arguments = CommandLine.arguments
let scale = arguments.count > 1 ? Int(arguments[1]) ?? 1 : 1
let time = UTCDateTime.parse("20260314T150926Z")!.unixSeconds
let credentials = AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
let endpoint = try S3Endpoint(region: "us-east-1")
let signer = SigV4Signer(credentials: credentials)
let presigner = S3Presigner(endpoint: endpoint, signer: signer)
let postSigner = S3PostSigner(endpoint: endpoint, signer: signer)
let mac = HMACSHA256Key(signer.signingKey(for: SigV4Scope(date: "20260314", region: "us-east-1", service: "s3")))

let get = S3PresignRequest(method: "GET", bucket: "examplebucket", key: "photos/2026/cat.jpg", expires: 3600)
var put = S3PresignRequest(method: "PUT", bucket: "examplebucket", key: "uploads/report.pdf", expires: 3600)
put.headers.add("Content-Type", "application/pdf")
var policy = PostPolicy(bucket: "examplebucket", key: "uploads/user-42/${filename}", expires: 3600)
policy.contentType(startingWith: "image/", initial: "image/png")
policy.contentLength(1...10_485_760)
policy.successActionStatus(201)

/// The HMAC-SHA256/SHA-256 work alone for one SigV4 signature over `canonical`.
func bareSigV4(_ canonical: [UInt8], stringToSignPrefix: [UInt8]) -> Int {
    var digest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
    return withUnsafeMutableBytes(of: &digest) { out in
        var state = SHA256State()
        canonical.withUnsafeBytes { state.update($0) }
        state.finalize(into: out)
        // The string to sign's last line is the hex hash: 64 bytes after the fixed prefix.
        var stringToSign = [UInt8](repeating: 0x30, count: stringToSignPrefix.count + 64)
        stringToSign.withUnsafeMutableBytes { buffer in
            stringToSignPrefix.withUnsafeBytes { buffer.copyMemory(from: $0) }
            mac.authenticate(UnsafeRawBufferPointer(buffer), into: out)
        }
        return Int(out[0])
    }
}

let getSigned = try presigner.presign(get, at: time).signature
let putSigned = try presigner.presign(put, at: time).signature
let prefix = Array("AWS4-HMAC-SHA256\n20260314T150926Z\n20260314/us-east-1/s3/aws4_request\n".utf8)
let getCanonical = Array(getSigned.canonicalRequest.utf8), putCanonical = Array(putSigned.canonicalRequest.utf8)
let policyBase64 = try postSigner.sign(policy, at: time).fields.first { $0.name == "policy" }!.value

let n = 200_000 * scale
// An UploadPart URL as `S3URLSigner.presignUploadPart` builds it for a planned part: PUT with
// the part's exact Content-Length signed, partNumber and uploadId in the query; the request is
// built inside the loop, as the route does per part.
let partKey = "media/u-3f2a9c1b/6f1c2e0a-5b7d-4c3e-9a1f-2b8d7e6c5a4b.mp4"
let partUploadID = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
func uploadPartRequest(_ number: Int) -> S3PresignRequest {
    var headers = HTTPHeaders()
    headers.add("Content-Length", String(Int64(16_777_216)))
    return S3PresignRequest(method: "PUT", bucket: "examplebucket", key: partKey, expires: 3600, headers: headers,
                            query: [("partNumber", String(number)), ("uploadId", partUploadID)])
}
let partCanonical = Array(try presigner.presign(uploadPartRequest(7), at: time).signature.canonicalRequest.utf8)
var partNumber = 0
if arguments.count > 2, arguments[2] == "uploadpart-only" {  // a short run for a profiler
    try measure("presign UploadPart (+ Content-Length)", iterations: n / 10) {
        partNumber = partNumber % 100 + 1
        return try presigner.presign(uploadPartRequest(partNumber), at: time).url.utf8.count
    }
    exit(0)
}
if arguments.count > 2, arguments[2] == "metrics-only" {  // for a profiler
    measureMetrics(iterations: n * 5)
    exit(0)
}
if arguments.count > 2, arguments[2] == "get-only" {
    try measure("presign GET", iterations: n * 5) { try presigner.presign(get, at: time).url.utf8.count }
    exit(0)
}
try measure("presign GET", iterations: n) { try presigner.presign(get, at: time).url.utf8.count }
measure("bound: presign GET (SHA-256 + HMAC)", iterations: n) { bareSigV4(getCanonical, stringToSignPrefix: prefix) }
try measure("presign PUT + Content-Type", iterations: n) { try presigner.presign(put, at: time).url.utf8.count }
measure("bound: presign PUT (SHA-256 + HMAC)", iterations: n) { bareSigV4(putCanonical, stringToSignPrefix: prefix) }
try measure("presign UploadPart (+ Content-Length)", iterations: n) {
    partNumber = partNumber % 100 + 1
    return try presigner.presign(uploadPartRequest(partNumber), at: time).url.utf8.count
}
measure("bound: presign UploadPart (SHA-256 + HMAC)", iterations: n) { bareSigV4(partCanonical, stringToSignPrefix: prefix) }
try measure("POST policy", iterations: n / 4) { try postSigner.sign(policy, at: time).fields.count }
measure("bound: POST policy (HMAC of policy)", iterations: n / 4) { Int(mac.authenticate(Array(policyBase64.utf8))[0]) }

if arguments.count > 2, let pem = readPEM(arguments[2]) {
    let cloudFront = try CloudFrontSigner(keyPairID: "K2JCJMDEHXQW5F", privateKeyPEM: pem)
    let cfPolicy = CloudFrontPolicy.custom(resource: "https://d111111abcdef8.cloudfront.net/private/*", dateLessThan: time + 3600)
    let rsa = try AsymmetricKey.privateKey(pem: pem)
    let json = Array(#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/private/*","Condition":{"DateLessThan":{"AWS:EpochTime":1773504566}}}]}"#.utf8)
    try measure("CloudFront cookies (RSA-2048, SHA-1)", iterations: 2000 * scale) { try cloudFront.cookies(policy: cfPolicy).count }
    try measure("bound: CloudFront (RSA-2048 sign alone)", iterations: 2000 * scale) { try rsa.sign(json, digest: .sha1).count }
    try measureVerification("RSA-2048, SHA-1", signer: cloudFront, key: rsa, policy: cfPolicy, iterations: 20_000 * scale)
}
if arguments.count > 3, let pem = readPEM(arguments[3]) {
    let cloudFront = try CloudFrontSigner(keyPairID: "KEC256", privateKeyPEM: pem, hashAlgorithm: .sha256)
    let cfPolicy = CloudFrontPolicy.custom(resource: "https://d111111abcdef8.cloudfront.net/private/*", dateLessThan: time + 3600)
    try measure("CloudFront cookies (ECDSA P-256, SHA-256)", iterations: 20_000 * scale) { try cloudFront.cookies(policy: cfPolicy).count }
    try measureVerification("ECDSA P-256, SHA-256", signer: cloudFront, key: try AsymmetricKey.privateKey(pem: pem), policy: cfPolicy,
                            iterations: 5_000 * scale)
}

/// The media route's check of one request's cookies: without the cache (every request pays the
/// signature check), with it (a page's images after the first), and the bare verify alone.
func measureVerification(_ label: String, signer: CloudFrontSigner, key: AsymmetricKey, policy: CloudFrontPolicy, iterations: Int) throws {
    let header = [try signer.cookies(policy: policy).map { "\($0.name)=\($0.value)" }.joined(separator: "; ")]
    let url = "https://d111111abcdef8.cloudfront.net/private/avatars/u1/6f1c2e0a.png"
    let uncached = CloudFrontVerifier(keys: [signer.keyPairID: key], cacheSize: 0)
    let cached = CloudFrontVerifier(keys: [signer.keyPairID: key])
    if case .failure(let refusal) = uncached.verify(cookieHeaders: header, url: url, clientAddress: "192.0.2.1", now: time) {
        print("verify cookies (\(label)): refused, \(refusal.reason)")
        exit(1)
    }
    measure("verify cookies (\(label), no cache)", iterations: iterations) {
        (try? uncached.verify(cookieHeaders: header, url: url, clientAddress: "192.0.2.1", now: time).get()) == nil ? 0 : 1
    }
    measure("verify cookies (\(label), cached)", iterations: iterations * 20) {
        (try? cached.verify(cookieHeaders: header, url: url, clientAddress: "192.0.2.1", now: time).get()) == nil ? 0 : 1
    }
}
measureMetrics(iterations: n)
if sink == 42 { print("") }

/// What metrics add to one request: the request counter by route and status and the latency
/// histogram by route, in a table like the one workers share; and the request scope around it.
func measureMetrics(iterations: Int) {
    let table = Metrics(table: MetricsTable(slots: 2048))
    let statuses = ["200", "201", "404"]
    var round = 0
    measure("metrics per request (counter + histogram)", iterations: iterations) {
        round &+= 1
        let route = "/api/uploads/presign"
        table.count(Metrics.Families.requests, [("route", route), ("status", statuses[round % 3])])
        table.observe(Metrics.Families.duration, [("route", route)], seconds: 0.003)
        return round
    }
    let requestIDs = RequestIDs()
    measure("request id made", iterations: iterations) {
        requestIDs.id(from: nil).utf8.count
    }
}

func readPEM(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}
