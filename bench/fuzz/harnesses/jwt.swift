// libFuzzer harness: compact JWS parsing, header and claims decoding, claims validation, and a
// full verification with an HMAC key (which must never accept a token it did not sign).
@testable import PresigndSupport
@testable import PresigndJWT
import PresigndCrypto

let key = try! VerificationKey.hmac(Array("fuzz-secret-0123456789abcdef0123456789".utf8), algorithm: .hs256)
let verifier = JWTVerifier(keys: KeySet([key]), policy: ClaimsPolicy(maxLifetime: 86_400))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    if let jws = try? CompactJWS.parse(text),
       let claims = try? JSONParser(rejectDuplicateKeys: true, maxDepth: 16).parse(jws.payload).objectValue {
        _ = try? ClaimsPolicy(issuers: ["i"], audiences: ["a"], maxLifetime: 3_600).validate(claims, now: 1_773_500_000)
    }
    // Treat the input as claims too, so the claims code sees more than what survives base64url.
    if let claims = try? JSONParser().parse(text).objectValue {
        _ = try? ClaimsPolicy(userClaim: "realm.id").validate(claims, now: 1_773_500_000)
    }
    if (try? verifier.verify(text, now: 1_773_500_000)) != nil {
        // Only a token whose signature is the real HMAC may pass.
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let mac = HMAC.authenticationCode(.sha256, key: Array("fuzz-secret-0123456789abcdef0123456789".utf8),
                                          data: Array(text.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count)))
        precondition(Base64.decodeURL(String(parts[2])) == mac, "a token was accepted without its HMAC")
    }
    return 0
}
