import PresigndCrypto
package import PresigndHTTP
package import PresigndSupport

/// JWT settings from the environment. Keys are loaded here, once, so a bad key stops startup
/// with the variable to fix rather than failing requests later.
///
/// | variable | meaning |
/// | --- | --- |
/// | `PRESIGND_JWT_HS256_SECRET` / `_HS384_` / `_HS512_` (+`_FILE`) | HMAC secret, bound to that algorithm |
/// | `PRESIGND_JWT_HMAC_KID` | the `kid` tokens signed with those secrets carry, if any |
/// | `PRESIGND_JWT_PUBLIC_KEY_FILE` + `_ALG` (+ `_KID`) | a PEM public key or certificate and its one algorithm |
/// | `PRESIGND_JWT_JWKS_FILE` | a JWK Set on disk |
/// | `PRESIGND_JWT_JWKS_URL` (+ `_TIMEOUT_MS`, `_REFRESH_INTERVAL`) | a JWK Set fetched over HTTPS and cached |
/// | `PRESIGND_JWT_ISSUER`, `PRESIGND_JWT_AUDIENCE` | accepted `iss` / `aud` values, comma-separated |
/// | `PRESIGND_JWT_LEEWAY` | clock skew in seconds (60) |
/// | `PRESIGND_JWT_USER_CLAIM` | the claim holding the user id (`sub`) |
/// | `PRESIGND_JWT_SCOPE_CLAIMS` | claims holding scopes/roles (`scope,scp,permissions,roles`) |
/// | `PRESIGND_JWT_COOKIE` | a cookie to read the token from when there is no Authorization header |
/// | `PRESIGND_JWT_REQUIRE_EXP` | refuse tokens without `exp` (true) |
/// | `PRESIGND_JWT_MAX_LIFETIME` | seconds a token may still have to live (off: 0 or unset) |
/// | `PRESIGND_JWT_SCOPES_<GROUP>` | scopes every token must hold for that route group, e.g. `_UPLOADS`; `_ADMIN` (the revocation route) is `presignd:admin` unless set |
package struct JWTConfig: ConfigSection {
    package static let prefix = "PRESIGND_JWT_"
    static let scopesPrefix = "PRESIGND_JWT_SCOPES_"
    /// The route groups whose scopes `PRESIGND_JWT_SCOPES_<GROUP>` sets.
    package static let routeGroups = ["uploads", "documents", "cdn", "admin"]
    /// Groups that are never open to every user: the scopes they require unless set.
    package static let defaultScopes = ["admin": ["presignd:admin"]]

    package let keys: KeySet
    package let jwksURL: String?
    package let jwksTimeoutMilliseconds: Int
    package let jwksRefresh: JWKSRefreshPolicy
    package let policy: ClaimsPolicy
    package let cookieName: String?
    /// Route group (lowercased) → scopes a token must all hold.
    package let requiredScopes: [String: [String]]
    package let entries: [ConfigEntry]

    package static func load(_ env: Environment) throws(ConfigError) -> JWTConfig {
        var keys: [VerificationKey] = []
        var entries: [ConfigEntry] = []
        let hmacKeyID = env.string("PRESIGND_JWT_HMAC_KID")
        for algorithm in [JWSAlgorithm.hs256, .hs384, .hs512] {
            let variable = "PRESIGND_JWT_\(algorithm.rawValue)_SECRET"
            let secret = try env.secret(variable)
            entries.append(ConfigEntry(variable, secret, secret: true))
            guard let secret else { continue }
            do { keys.append(try .hmac(Array(secret.utf8), algorithm: algorithm, keyID: hmacKeyID)) } catch {
                try env.refuse(ConfigError(variable: variable, problem: error.problem))
            }
        }
        entries.append(ConfigEntry("PRESIGND_JWT_HMAC_KID", hmacKeyID))

        if let key = try publicKey(env) { keys.append(key) }
        for name in ["PRESIGND_JWT_PUBLIC_KEY_FILE", "PRESIGND_JWT_PUBLIC_KEY_ALG", "PRESIGND_JWT_PUBLIC_KEY_KID", "PRESIGND_JWT_JWKS_FILE"] {
            entries.append(ConfigEntry(name, env.string(name)))
        }
        if let path = env.string("PRESIGND_JWT_JWKS_FILE") {
            if let text = env.readFile(path) {
                do { keys += try JWKSParser.parse(Array(text.utf8)).keys.keys } catch {
                    try env.refuse(ConfigError(variable: "PRESIGND_JWT_JWKS_FILE", problem: error.problem))
                }
            } else {
                try env.refuse(ConfigError(variable: "PRESIGND_JWT_JWKS_FILE", problem: "cannot read the file \(path)"))
            }
        }

        var jwksURL = env.string("PRESIGND_JWT_JWKS_URL")
        if let url = jwksURL, !isAcceptableJWKSURL(url) {
            try env.refuse(ConfigError(variable: "PRESIGND_JWT_JWKS_URL", problem: "use an https:// URL (plain http:// only to 127.0.0.1 or localhost)"))
            jwksURL = nil
        }
        if keys.isEmpty && jwksURL == nil {
            try env.refuse(ConfigError(
                variable: "PRESIGND_JWT_HS256_SECRET",
                problem: "no key configured: set an HS256/384/512 secret, PRESIGND_JWT_PUBLIC_KEY_FILE, PRESIGND_JWT_JWKS_FILE or PRESIGND_JWT_JWKS_URL"))
        }
        let timeout = try env.integer("PRESIGND_JWT_JWKS_TIMEOUT_MS", default: 3_000, range: 100...30_000)
        var refresh = JWKSRefreshPolicy()
        refresh.minimumInterval = Int64(try env.integer("PRESIGND_JWT_JWKS_REFRESH_INTERVAL", default: 60, range: 1...3_600))

        let policy = ClaimsPolicy(
            issuers: list(env.string("PRESIGND_JWT_ISSUER")),
            audiences: list(env.string("PRESIGND_JWT_AUDIENCE")),
            leeway: Int64(try env.integer("PRESIGND_JWT_LEEWAY", default: 60, range: 0...3_600)),
            requireExpiry: try env.boolean("PRESIGND_JWT_REQUIRE_EXP", default: true),
            userClaim: env.string("PRESIGND_JWT_USER_CLAIM") ?? "sub",
            scopeClaims: env.string("PRESIGND_JWT_SCOPE_CLAIMS").map(list) ?? ClaimsPolicy.defaultScopeClaims,
            maxLifetime: try maxLifetime(env))
        let cookieName = env.string("PRESIGND_JWT_COOKIE")
        if let cookieName, cookieName.contains(where: { ";=, \t\"".contains($0) }) {
            try env.refuse(ConfigError(variable: "PRESIGND_JWT_COOKIE", problem: "not a valid cookie name"))
        }
        var requiredScopes = defaultScopes
        for (name, value) in env.variables where name.hasPrefix(scopesPrefix) && !value.isEmpty {
            requiredScopes[String(name.dropFirst(scopesPrefix.count)).lowercased()] = list(value)
        }

        entries += [
            ConfigEntry("PRESIGND_JWT_JWKS_URL", jwksURL),
            ConfigEntry("PRESIGND_JWT_JWKS_TIMEOUT_MS", String(timeout)),
            ConfigEntry("PRESIGND_JWT_JWKS_REFRESH_INTERVAL", String(refresh.minimumInterval)),
            ConfigEntry("PRESIGND_JWT_ISSUER", policy.issuers.isEmpty ? nil : policy.issuers.joined(separator: ",")),
            ConfigEntry("PRESIGND_JWT_AUDIENCE", policy.audiences.isEmpty ? nil : policy.audiences.joined(separator: ",")),
            ConfigEntry("PRESIGND_JWT_LEEWAY", String(policy.leeway)),
            ConfigEntry("PRESIGND_JWT_USER_CLAIM", policy.userClaim),
            ConfigEntry("PRESIGND_JWT_SCOPE_CLAIMS", policy.scopeClaims.joined(separator: ",")),
            ConfigEntry("PRESIGND_JWT_COOKIE", cookieName),
            ConfigEntry("PRESIGND_JWT_REQUIRE_EXP", String(policy.requireExpiry)),
            ConfigEntry("PRESIGND_JWT_MAX_LIFETIME", policy.maxLifetime.map(String.init) ?? "off"),
        ]
        // The route groups presignd has, configured or not, then any other group named.
        let groups = routeGroups + requiredScopes.keys.sorted().filter { !routeGroups.contains($0) }
        entries += groups.map { ConfigEntry(scopesPrefix + $0.uppercased(), requiredScopes[$0].map { $0.joined(separator: " ") } ?? "(none required)") }
        return JWTConfig(keys: KeySet(keys), jwksURL: jwksURL, jwksTimeoutMilliseconds: timeout, jwksRefresh: refresh,
                         policy: policy, cookieName: cookieName, requiredScopes: requiredScopes, entries: entries)
    }

    /// The authenticator these settings describe; `fetch` is used only when a JWKS URL is set.
    package func makeAuthenticator(fetch: @escaping JWKSKeySource.Fetch, log: @escaping @Sendable (String) -> Void) -> JWTAuthenticator {
        let jwks = jwksURL.map { JWKSKeySource(url: $0, timeoutMilliseconds: jwksTimeoutMilliseconds, policy: jwksRefresh, fetch: fetch, log: log) }
        return JWTAuthenticator(verifier: JWTVerifier(keys: keys, jwks: jwks, policy: policy), cookieName: cookieName, log: log)
    }

    /// The scopes table the application's scope middleware checks.
    package var scopes: ScopeRequirements { ScopeRequirements(requiredScopes) }

    /// Throws the 403 `insufficient_scope` when `user` lacks a scope `group` requires.
    package func authorize(_ user: AuthenticatedUser, group: String) throws(APIError) {
        try scopes.authorize(user, group: group)
    }

    static func publicKey(_ env: Environment) throws(ConfigError) -> VerificationKey? {
        guard let path = env.string("PRESIGND_JWT_PUBLIC_KEY_FILE") else { return nil }
        guard let name = env.string("PRESIGND_JWT_PUBLIC_KEY_ALG") else {
            return try env.refuse(ConfigError(variable: "PRESIGND_JWT_PUBLIC_KEY_ALG", problem: "set the key's one algorithm (RS256, PS256, ES256, EdDSA, …)"),
                                  fallback: nil)
        }
        guard let algorithm = JWSAlgorithm.named(name), algorithm.family != .hmac else {
            return try env.refuse(ConfigError(variable: "PRESIGND_JWT_PUBLIC_KEY_ALG",
                                              problem: "expected one of RS256/384/512, PS256/384/512, ES256, ES384, EdDSA; got \"\(name)\""),
                                  fallback: nil)
        }
        guard let pem = env.readFile(path) else {
            return try env.refuse(ConfigError(variable: "PRESIGND_JWT_PUBLIC_KEY_FILE", problem: "cannot read the file \(path)"), fallback: nil)
        }
        do { return try .publicKey(pem: pem, algorithm: algorithm, keyID: env.string("PRESIGND_JWT_PUBLIC_KEY_KID")) } catch {
            return try env.refuse(ConfigError(variable: "PRESIGND_JWT_PUBLIC_KEY_FILE", problem: error.problem), fallback: nil)
        }
    }

    /// Off by default (unset or 0); otherwise 60 s to 30 days.
    static func maxLifetime(_ env: Environment) throws(ConfigError) -> Int64? {
        let seconds = try env.integer("PRESIGND_JWT_MAX_LIFETIME", default: 0, range: 0...2_592_000)
        guard seconds > 0 else { return nil }
        guard seconds >= 60 else {
            return try env.refuse(ConfigError(variable: "PRESIGND_JWT_MAX_LIFETIME", problem: "use 0 (off) or at least 60 seconds, got \(seconds)"),
                                  fallback: nil)
        }
        return Int64(seconds)
    }

    /// https anywhere; http only to this machine, where there is no network to trust.
    static func isAcceptableJWKSURL(_ url: String) -> Bool {
        let lowered = url.lowercased()
        if lowered.hasPrefix("https://") { return true }
        return ["http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/", "http://[::1]:", "http://[::1]/"]
            .contains { lowered.hasPrefix($0) }
    }

    /// `a, b c` → ["a", "b", "c"]: commas and spaces both separate.
    static func list(_ text: String?) -> [String] {
        guard let text else { return [] }
        return text.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
    }
}
