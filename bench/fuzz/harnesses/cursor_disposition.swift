// libFuzzer harness: the document cursor (decode, and encode/decode round trip) and the
// Content-Disposition builder (never a control character, never a second header).
@testable import PresigndSupport
@testable import PresigndUploads
@testable import PresigndMetrics

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    if let cursor = DocumentCursor.decode(text) {
        precondition(DocumentCursor.decode(cursor.encoded) == cursor, "a cursor does not round-trip")
    }
    for kind in [ContentDisposition.Kind.attachment, .inline] {
        let header = ContentDisposition.header(kind, fileName: text)
        precondition(header.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }, "a header byte outside visible ASCII")
        _ = ContentDisposition.allowedKind(kind, contentType: text)
    }
    return 0
}
