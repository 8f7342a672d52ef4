import XCTest
import PresigndUploads

/// Confirm's content check (ContentCheck): crafted first bytes against declared types, names
/// and purposes.
final class ContentCheckTests: XCTestCase {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8)
    static let gif = Array("GIF89a".utf8) + [1, 0, 1, 0]
    static let webp = Array("RIFF".utf8) + [0x24, 0, 0, 0] + Array("WEBPVP8 ".utf8)
    static let pdf = Array("%PDF-1.7\n%\u{E2}\u{E3}\n1 0 obj".utf8)
    static let text = Array("Dear Bob,\r\n\tthe numbers: 1, 2, 3.\n".utf8)
    static let html = Array("\n  <!DOCTYPE html><html><script>alert(document.cookie)</script>".utf8)
    static let svg = Array("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".utf8)
    static let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    static let windowsProgram: [UInt8] = {
        var bytes = [UInt8](repeating: 0, count: 256)
        bytes[0] = 0x4D; bytes[1] = 0x5A; bytes[60] = 0x80
        bytes.replaceSubrange(0x80..<0x84, with: Array("PE\u{0}\u{0}".utf8))
        return bytes
    }()

    let avatar = UploadPurpose(name: "avatar", prefix: "avatars", maxSize: 1 << 20, allowedTypePrefix: "image/")
    let document = UploadPurpose(name: "document", prefix: "documents", maxSize: 1 << 20, allowedTypePrefix: "")
    let svgOnly = UploadPurpose(name: "logo", prefix: "logos", maxSize: 1 << 20, allowedTypePrefix: "image/svg+xml")

    func check(_ bytes: [UInt8], _ type: String, _ name: String, _ purpose: UploadPurpose? = nil) -> String? {
        ContentCheck.disagreement(prefix: bytes, declaredType: type, fileName: name, purpose: purpose ?? document)
    }

    func testHonestFilesPass() {
        XCTAssertNil(check(Self.png, "image/png", "me.png", avatar))
        XCTAssertNil(check(Self.jpeg, "image/jpeg", "Holiday.JPG", avatar))
        XCTAssertNil(check(Self.jpeg, "image/jpg", "photo.jpeg", avatar), "image/jpg is what some clients call JPEG")
        XCTAssertNil(check(Self.gif, "image/gif", "a.gif", avatar))
        XCTAssertNil(check(Self.webp, "image/webp", "a.webp", avatar))
        XCTAssertNil(check(Self.pdf, "application/pdf", "report.pdf"))
        XCTAssertNil(check(Self.text, "text/plain; charset=utf-8", "notes.txt"))
        XCTAssertNil(check(Self.text, "text/csv", "numbers.csv"))
        XCTAssertNil(check(Self.png, "image/png", "no-extension", avatar))
    }

    func testTheIssuesCraftedFilesAreEachRefusedWithTheirReason() {
        XCTAssertEqual(check(Self.html, "image/png", "cat.png", avatar), "the file is HTML markup, not a PNG image as declared (image/png)")
        XCTAssertEqual(check(Self.svg, "image/png", "logo.png", avatar), "the file is SVG markup, not a PNG image as declared (image/png)")
        XCTAssertEqual(check(Self.pdf, "image/png", "scan.png", avatar), "the file is a PDF document (application/pdf), not the declared image/png")
        XCTAssertEqual(check(Self.pdf, "image/jpeg", "scan.jpg"), "the file is a PDF document (application/pdf), not the declared image/jpeg")
        XCTAssertEqual(check(Self.png, "image/gif", "me.gif", avatar), "the file is a PNG image (image/png), not the declared image/gif")
        XCTAssertEqual(check(Self.elf, "application/pdf", "invoice.pdf"),
                       "the file is a program (executable code) (application/x-executable), not the declared application/pdf")
        XCTAssertEqual(check(Self.windowsProgram, "application/pdf", "invoice.pdf"),
                       "the file is a program (executable code) (application/x-executable), not the declared application/pdf")
    }

    func testAPurposeThatTakesAnyTypeStillRefusesContentThatContradictsItsType() {
        XCTAssertNotNil(check(Self.text, "application/pdf", "a.pdf"))
        XCTAssertEqual(check(Self.text, "image/png", "a.png"), "the file is text, not a PNG image as declared (image/png)")
        XCTAssertEqual(check([0x00, 0x01, 0x02, 0xFE], "text/plain", "a.txt"), "the file is binary data, not the declared text/plain")
        XCTAssertEqual(check([0x00, 0x01, 0x02, 0xFE], "image/png", "a.png"),
                       "the file is not a PNG image as declared (image/png): its first bytes are not that format's")
    }

    func testTheNameMustAgreeToo() {
        // A type nobody declared (the browser knew none): the content and the name decide.
        XCTAssertNil(check(Self.png, "application/octet-stream", "me.png"))
        XCTAssertEqual(check(Self.elf, "application/octet-stream", "invoice.pdf"),
                       "the file's name ends in .pdf, which is a PDF document, but the file is a program (executable code)")
        XCTAssertNil(check(Self.elf, "application/octet-stream", "tool"))
        XCTAssertEqual(check(Self.png, "image/png", "me.html"), "the file's name ends in .html, a text format, but the file is a PNG image")
        XCTAssertEqual(check(Self.png, "text/plain", "notes.txt"), "the file is a PNG image (image/png), not the declared text/plain")
    }

    func testActiveContentIsNeverAnImageAndOnlyPassesWhereThePurposeAllowsIt() {
        XCTAssertEqual(check(Self.svg, "image/svg+xml", "logo.svg", avatar),
                       "the file is SVG markup, which can run scripts; avatar files must be images without active content")
        XCTAssertNil(check(Self.svg, "image/svg+xml", "logo.svg", svgOnly), "a purpose configured for SVG takes it")
        XCTAssertNil(check(Self.svg, "image/svg+xml", "logo.svg"), "a purpose that takes any type takes it (served as an attachment)")
        XCTAssertNil(check(Self.html, "text/html", "page.html"))
        XCTAssertEqual(check(Self.html, "text/html", "page.html", avatar),
                       "the file is HTML markup, which can run scripts; avatar files must be images without active content")
        XCTAssertEqual(check(Self.html, "video/mp4", "clip.mp4"), "the file is HTML markup, not MP4 or QuickTime media as declared (video/mp4)")
    }

    func testTypesBrowsersGiveOtherKindsOfFilesAreJudgedByNameAndContent() {
        XCTAssertNil(check(Self.text, "application/vnd.ms-excel", "numbers.csv"), "Windows labels CSV files as Excel sheets")
        XCTAssertNil(check(Array("export const x: number = 1;\n".utf8), "video/mp2t", "index.ts"), "TypeScript's .ts")
    }

    func testIdentification() {
        XCTAssertEqual(ContentCheck.identify(Self.png), .format(ContentCheck.formats[0]))
        XCTAssertEqual(ContentCheck.identify(Self.text), .text)
        XCTAssertEqual(ContentCheck.identify(Array("<p>hello</p>".utf8)), .active(.html))
        XCTAssertEqual(ContentCheck.identify(Array("<pre>is not a p tag".utf8)), .text)
        XCTAssertEqual(ContentCheck.identify(Array("\u{FEFF}<svg/>".utf8)), .active(.svg))
        XCTAssertEqual(ContentCheck.identify(Array("<?xml version=\"1.0\"?><feed/>".utf8)), .active(.xml))
        XCTAssertEqual(ContentCheck.identify([0x00, 0x00, 0x00, 0x00]), .unknownBinary)
        XCTAssertEqual(ContentCheck.identify(Array("MZ is a text that starts like a DOS program".utf8)), .text)
        let mp4 = [0, 0, 0, 0x18] + Array("ftypisom".utf8)
        XCTAssertEqual(ContentCheck.identify(mp4).description, "MP4 or QuickTime media")
        let avif = [0, 0, 0, 0x1C] + Array("ftypavif".utf8)
        XCTAssertEqual(ContentCheck.identify(avif).description, "an AVIF image")
        XCTAssertEqual(ContentCheck.identify(Array("ID3\u{3}".utf8)).description, "MP3 audio")
        XCTAssertEqual(ContentCheck.identify([0xFF, 0xFB, 0x90, 0x64]).description, "MP3 audio")
        XCTAssertEqual(ContentCheck.identify([0xFF, 0xF1, 0x50, 0x80]).description, "AAC audio")
        XCTAssertEqual(ContentCheck.identify([0x50, 0x4B, 0x03, 0x04, 0x14, 0]).description, "a ZIP archive (or a format built on one)")
        XCTAssertNil(check([0x50, 0x4B, 0x03, 0x04, 0x14, 0], "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "cv.docx"))
    }
}
