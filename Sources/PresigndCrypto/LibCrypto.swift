/// How a libcrypto call that cannot fail in a sound process is checked: it must return 1, or
/// the process stops. A MAC, a digest or a signature check never goes on with a half-computed
/// (zero-filled) buffer, which would fail open (a token's signature compared with zeros).
enum LibCrypto {
    static func require(_ result: Int32, _ call: StaticString) {
        precondition(result == 1, "libcrypto: \(call) failed")
    }
}
