import PresigndCrypto
package import PresigndHTTP
import PresigndSupport

/// The errors of RFC 6750 §3 as ready-to-send `APIError`s, each with its `WWW-Authenticate`
/// challenge. Descriptions are fixed texts, never anything from the token.
package enum BearerError {
    package static let realm = "presignd"

    /// No credentials at all: 401 with a bare challenge (§3.1: no error code).
    package static func missingToken() -> APIError {
        APIError(status: 401, code: .missingToken,
                 message: "send a token as Authorization: Bearer <token>",
                 headers: ["WWW-Authenticate": "Bearer realm=\"\(realm)\""])
    }

    /// Credentials sent in a way we cannot read unambiguously: 400 `invalid_request`.
    package static func invalidRequest(_ description: String) -> APIError {
        APIError(status: 400, code: .invalidRequest, message: description,
                 headers: ["WWW-Authenticate": challenge(error: "invalid_request", description: description)])
    }

    /// A token that was refused: 401 `invalid_token` with the precise reason; 503 when the
    /// identity provider's keys could not be loaded, which a new token would not fix.
    package static func invalidToken(_ refusal: JWTRefusal) -> APIError {
        if refusal == .keysUnavailable {
            return APIError(status: 503, code: .authUnavailable,
                            message: "\(refusal.rawValue); try again shortly", headers: ["Retry-After": "5"])
        }
        return APIError(status: 401, code: .invalidToken, message: "the bearer token was refused: \(refusal.rawValue)",
                        headers: ["WWW-Authenticate": challenge(error: "invalid_token", description: refusal.rawValue)])
    }

    /// A short, closed-set label for a refusal this enum made, for metrics: the `JWTRefusal`
    /// case name (`expired`, `badSignature`, …) for `invalid_token`, otherwise the error code.
    package static func reason(of error: APIError) -> String {
        guard error.code == .invalidToken || error.code == .authUnavailable,
              let refusal = JWTRefusal.allCases.first(where: { error.message.hasSuffix(": \($0.rawValue)")
                                                               || error.message.hasPrefix("\($0.rawValue);") }) else {
            return error.code.rawValue
        }
        return String(describing: refusal)
    }

    /// A valid token without the scopes a route group requires: 403 `insufficient_scope`.
    package static func insufficientScope(required: [String]) -> APIError {
        let scope = required.joined(separator: " ")
        let description = "the token lacks a required scope"
        return APIError(status: 403, code: .insufficientScope, message: "\(description); required: \(scope)",
                        headers: ["WWW-Authenticate": challenge(error: "insufficient_scope", description: description, scope: scope)])
    }

    /// `Bearer error="…", error_description="…"[, scope="…"]`, with characters outside
    /// RFC 6750's quoted-string repertoire (%x20-21 / %x23-5B / %x5D-7E) removed.
    static func challenge(error: String, description: String, scope: String? = nil) -> String {
        var text = "Bearer error=\"\(error)\", error_description=\"\(quotable(description))\""
        if let scope { text += ", scope=\"\(quotable(scope))\"" }
        return text
    }

    static func quotable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value <= 0x7E && $0 != "\"" && $0 != "\\" }))
    }
}
