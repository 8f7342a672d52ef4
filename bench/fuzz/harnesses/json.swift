// libFuzzer harness: the JSON parser. Whatever parses must serialise to text that parses back
// and serialises the same (27.0 may come back as 27: the text, not the case, is what is kept).
@testable import PresigndSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    for parser in [JSONParser(), JSONParser(rejectDuplicateKeys: false, maxDepth: 8)] {
        guard let value = try? parser.parse(bytes) else { continue }
        let text = value.serializedBytes()
        let again = try? JSONParser(rejectDuplicateKeys: false, maxDepth: 64).parse(text)
        precondition(again?.serializedBytes() == text, "serialised JSON does not parse back to the same text")
    }
    return 0
}
