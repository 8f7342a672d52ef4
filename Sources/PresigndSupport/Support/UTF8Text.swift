/// Text from bytes that must be valid UTF-8.
package enum UTF8Text {
    /// `String(validating: bytes, as: UTF8.self)`, with ASCII taken as it is: the standard
    /// library's validation is generic and looks up type metadata on every call (about 900
    /// instructions for a short string, most of a JWT claim's parsing), while bytes below 0x80
    /// are valid UTF-8 by definition and `String(decoding:as:)` copies them directly.
    package static func validating(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var index = 0
        while index < bytes.count && bytes[index] < 0x80 { index += 1 }
        if index == bytes.count { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    package static func validating(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { validating($0) }
    }

    package static func validating(_ bytes: ArraySlice<UInt8>) -> String? {
        bytes.withUnsafeBufferPointer { validating($0) }
    }
}
