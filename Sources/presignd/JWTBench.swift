#if canImport(Glibc)
import Glibc
#endif
import PresigndCrypto
import PresigndHTTP
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndSupport
import PresigndUploads

/// `presignd jwt bench KEYDIR [SECONDS]`: for every algorithm, mints one realistic token with
/// the private key in KEYDIR (rsa2048.pem, p256.pem, p384.pem, ed25519.pem, from openssl) and
/// counts full verifications (parse, signature, claims) per second on one thread.
/// Prints `ALG<TAB>verifications/s<TAB>signing-input bytes` per line, for bench/jwt.sh.
func runJWTBench(_ arguments: [String]) -> Int32 {
    guard let directory = arguments.first else {
        Output.err("usage: presignd jwt bench KEYDIR [SECONDS]")
        return 2
    }
    let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 2 : 2
    let claims = #"{"iss":"https://idp.example/","sub":"user-42","aud":"presignd","iat":1700000000,"exp":2000000000,"scope":"files:read files:write"}"#
    let policy = ClaimsPolicy(issuers: ["https://idp.example/"], audiences: ["presignd"])
    let secret = SecureBytes.random(count: 64)
    for algorithm in JWSAlgorithm.allCases {
        let input = Base64.encodeURL(Array(#"{"alg":"\#(algorithm.rawValue)","typ":"JWT","kid":"bench"}"#.utf8))
            + "." + Base64.encodeURL(Array(claims.utf8))
        let key: VerificationKey
        let signature: [UInt8]
        do {
            if algorithm.family == .hmac {
                key = try .hmac(secret, algorithm: algorithm, keyID: "bench")
                signature = HMAC.authenticationCode(algorithm.digest!, key: secret, data: Array(input.utf8))
            } else {
                let file = ["rsaPKCS1": "rsa2048", "rsaPSS": "rsa2048", "ecdsa": algorithm == .es256 ? "p256" : "p384", "edDSA": "ed25519"]["\(algorithm.family)"]!
                guard let pem = readWholeFile("\(directory)/\(file).pem") else {
                    Output.err("cannot read \(directory)/\(file).pem")
                    return 2
                }
                let privateKey = try AsymmetricKey.privateKey(pem: pem)
                key = try .publicKey(pem: privateKey.publicKeyPEM(), algorithm: algorithm, keyID: "bench")
                let padding: RSAPadding = algorithm.family == .rsaPSS ? .pss : .pkcs1v15
                let produced = try privateKey.sign(Array(input.utf8), digest: algorithm.digest, padding: padding)
                signature = algorithm.family == .ecdsa
                    ? ECDSASignature.raw(fromDER: produced, coordinateSize: algorithm.curve!.coordinateSize)! : produced
            }
        } catch {
            Output.err("\(algorithm.rawValue): \(error)")
            return 2
        }
        let token = input + "." + Base64.encodeURL(signature)
        let verifier = JWTVerifier(keys: KeySet([key]), policy: policy)
        guard (try? verifier.verify(token, now: 1_800_000_000)) != nil else {
            Output.err("\(algorithm.rawValue): the benchmark token does not verify")
            return 1
        }
        var count = 0
        let start = monotonicSeconds()
        var elapsed = 0.0
        while elapsed < seconds {
            for _ in 0..<16 { _ = try? verifier.verify(token, now: 1_800_000_000) }
            count += 16
            elapsed = monotonicSeconds() - start
        }
        Output.out("\(algorithm.rawValue)\t\(Int(Double(count) / elapsed))\t\(input.utf8.count)")
    }
    return 0
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
