import PresigndHTTP
import PresigndSupport

/// How a request path becomes SigV4's canonical URI.
package enum CanonicalPathRule: Sendable {
    /// S3: the path exactly as sent (already encoded once); no dot-segment removal, no `//` collapsing.
    case s3
    /// Every other service: remove dot segments and empty segments, then percent-encode the
    /// already-encoded path again (so `%` becomes `%25`).
    case normalizedDoubleEncoded
    /// Double-encoded but not normalised (aws-c-auth's `normalize: false`).
    case doubleEncoded

    func canonical(_ wirePath: String) -> String {
        let path = wirePath.isEmpty ? "/" : wirePath
        switch self {
        case .s3:
            return path
        case .doubleEncoded:
            return PercentEncoding.encode(path, keepSlash: true)
        case .normalizedDoubleEncoded:
            return PercentEncoding.encode(CanonicalPathRule.removeDotSegments(path), keepSlash: true)
        }
    }

    /// `/a//b/../c/./` → `/a/c/`: empty and `.` segments vanish, `..` drops its parent.
    static func removeDotSegments(_ path: String) -> String {
        var kept: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        for segment in segments {
            switch segment {
            case ".": continue
            case "..": if !kept.isEmpty { kept.removeLast() }
            default: kept.append(segment)
            }
        }
        let endsAsDirectory = path.hasSuffix("/") || segments.last == "." || segments.last == ".."
        var result = "/" + kept.joined(separator: "/")
        if endsAsDirectory && !kept.isEmpty { result += "/" }
        return result
    }
}
