package import PresigndHTTP
import PresigndSupport

/// The scopes each route group requires (`PRESIGND_JWT_SCOPES_<GROUP>`): a value the
/// application is built with, checked by the group's scope middleware.
package struct ScopeRequirements: Sendable, Equatable {
    /// Route group (lowercased) → scopes a token must all hold.
    package let byGroup: [String: [String]]

    package init(_ byGroup: [String: [String]] = [:]) {
        self.byGroup = Dictionary(uniqueKeysWithValues: byGroup.map { ($0.key.lowercased(), $0.value) })
    }

    package static let none = ScopeRequirements()

    /// Throws the 403 `insufficient_scope` when `user` lacks a scope `group` requires.
    package func authorize(_ user: AuthenticatedUser, group: String) throws(APIError) {
        guard let required = byGroup[group.lowercased()], !required.allSatisfy(user.scopes.contains) else { return }
        throw BearerError.insufficientScope(required: required)
    }
}
