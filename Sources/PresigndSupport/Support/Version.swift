/// presignd's version, reported by `/healthz` and `presignd --version`.
package enum PresigndVersion {
    package static let current = "0.1.0"
}
