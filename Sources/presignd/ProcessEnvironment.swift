#if canImport(Glibc)
import Glibc
#endif

enum ProcessEnvironment {
    /// The process environment as a dictionary, read from `environ` (no Foundation needed).
    static func current() -> [String: String] {
        var environment: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let pair = String(cString: pointer)
            if let equals = pair.firstIndex(of: "=") {
                environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            entry += 1
        }
        return environment
    }
}
