import PresigndSupport

/// Request or response headers; names compare case-insensitively and keep their order.
package struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    package private(set) var fields: [(name: String, value: String)] = []

    package init() {}

    package init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name, value) }
    }

    /// The first value of `name`, if any.
    package subscript(name: String) -> String? {
        fields.first { HTTPHeaders.sameName($0.name, name) }?.value
    }

    /// The first value of `name`, and whether it came more than once (for a header that must
    /// come once), without collecting the values.
    package func first(_ name: String) -> (value: String?, repeated: Bool) {
        var first: String?
        for field in fields where HTTPHeaders.sameName(field.name, name) {
            if first != nil { return (first, true) }
            first = field.value
        }
        return (first, false)
    }

    package func values(_ name: String) -> [String] {
        var values: [String] = []
        for field in fields where HTTPHeaders.sameName(field.name, name) { values.append(field.value) }
        return values
    }

    package mutating func add(_ name: String, _ value: String) { fields.append((name: name, value: value)) }

    /// Replaces every value of `name` with one.
    package mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    package mutating func remove(_ name: String) {
        fields.removeAll { HTTPHeaders.sameName($0.name, name) }
    }

    /// `a.lowercased() == b.lowercased()`, without allocating when both names are ASCII (always,
    /// in practice); anything else still goes through `lowercased()`.
    package static func sameName(_ a: String, _ b: String) -> Bool {
        let ascii = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in asciiSameName(x, y) } ?? nil
        } ?? nil
        return ascii ?? (a.lowercased() == b.lowercased())
    }

    /// Case-insensitive equality of two ASCII names; nil when either holds a non-ASCII byte.
    static func asciiSameName(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard x.count == y.count else {
            return x.contains(where: { $0 >= 0x80 }) || y.contains(where: { $0 >= 0x80 }) ? nil : false
        }
        var same = true
        for index in 0..<x.count {
            let p = x[index], q = y[index]
            if (p | q) >= 0x80 { return nil }
            if p != q && lowerASCII(p) != lowerASCII(q) { same = false }
        }
        return same
    }

    @inline(__always) static func lowerASCII(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    package func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    package static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}
