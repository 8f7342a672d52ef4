/// presignd's version, reported by `/healthz` and `presignd --version`.
public enum PresigndVersion {
    public static let current = "0.1.0"
}
