// libFuzzer harness: the media route's CloudFront cookie reading. The input is split at the
// first NUL into a Cookie header (newlines separate several headers) and a URL. Checked: the
// cookie parser, CloudFront's base64 (what decodes re-encodes to the same bytes), the policy
// parser (a parsed policy has a positive DateLessThan), the wildcard matcher (a text matches
// itself, `*` matches everything), and the whole verification with an ECDSA P-256 key (the
// seeds carry cookies this key signed, so mutants reach the signature check and the policy).
@testable import PresigndSupport
@testable import PresigndSigning
import PresigndCrypto

let pem = """
    -----BEGIN PRIVATE KEY-----
    MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4Jsc1Qu+trSApSJg
    ZAjA+UccAtwLzfjPuSS8FO0pwFihRANCAATdt5zOcLhTbPDMsgcppQGWGopJoHgN
    7uGLbtGX62eBWHCQ/SBG3kNO7wQhe+tNH7oUsbM1hf5ljri0j4B80pfO
    -----END PRIVATE KEY-----
    """
let verifier = CloudFrontVerifier(keys: ["KFUZZEC": try! AsymmetricKey.privateKey(pem: pem)], cacheSize: 16)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let cookieText = String(decoding: bytes[..<split], as: UTF8.self)
    let url = split < bytes.count ? String(decoding: bytes[(split + 1)...], as: UTF8.self) : "https://cdn.app.test/avatars/a.png"
    let headers = cookieText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

    if case .success(let found) = CloudFrontVerifier.cookies(headers) {
        precondition(found.keys.allSatisfy { CloudFrontVerifier.cookieNames.contains($0) }, "a cookie that is not CloudFront's")
        for value in found.values {
            if let decoded = CloudFrontVerifier.decodeBase64(value) {
                let again = Base64.encode(decoded).utf8.map { byte -> UInt8 in
                    switch byte {
                    case UInt8(ascii: "+"): return UInt8(ascii: "-")
                    case UInt8(ascii: "="): return UInt8(ascii: "_")
                    case UInt8(ascii: "/"): return UInt8(ascii: "~")
                    default: return byte
                    }
                }
                precondition(CloudFrontVerifier.decodeBase64(String(decoding: again, as: UTF8.self)) == decoded, "base64 does not round-trip")
                for canned in [false, true] {
                    if let policy = CloudFrontVerifier.parsePolicy(decoded, canned: canned) {
                        precondition(policy.dateLessThan > 0, "a policy without a positive DateLessThan")
                    }
                }
            }
        }
    }
    precondition(CloudFrontVerifier.matches(url, url), "a text does not match itself")
    precondition(CloudFrontVerifier.matches("*", url), "* does not match everything")
    _ = CloudFrontVerifier.matches(cookieText, url)
    for parsed in [false, true] { _ = CloudFrontVerifier.parsePolicy(Array(bytes[..<split]), canned: parsed) }
    _ = verifier.verify(cookieHeaders: headers, url: url, clientAddress: "192.0.2.7", now: 1_800_000_000)
    return 0
}
