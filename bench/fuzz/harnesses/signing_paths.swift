// libFuzzer harness: percent-decoding and encoding, canonical paths and canonical queries.
@testable import PresigndSupport
@testable import PresigndSigning

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    let encoded = PercentEncoding.encode(text)
    precondition(PercentEncoding.decode(encoded) == text, "percent-encoding does not round-trip")
    precondition(encoded.utf8.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "/") }, "encoded text is not plain ASCII")
    _ = PercentEncoding.decode(text)
    _ = PercentEncoding.decodeFormComponent(text)
    for rule in [CanonicalPathRule.s3, .doubleEncoded, .normalizedDoubleEncoded] {
        let path = rule.canonical(text)
        if rule == .normalizedDoubleEncoded { precondition(path.hasPrefix("/"), "a normalised path must be absolute") }
    }
    if let pairs = try? CanonicalQuery.parse(Substring(text)) {
        _ = CanonicalQuery.string(encoded: CanonicalQuery.encodedPairs(pairs))
    }
    return 0
}
