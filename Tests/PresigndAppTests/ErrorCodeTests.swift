import XCTest
@testable import PresigndApp
import PresigndHTTP
import PresigndSupport

/// One list of error codes: `ErrorCode.documented`, README's "Statuses and codes" table and the
/// OpenAPI document's `Error.code` enum name the same codes, and no code is written as text in
/// the sources (each is one of the list's constants).
final class ErrorCodeTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func documented() -> Set<String> { Set(ErrorCode.documented.map(\.rawValue)) }

    func testTheListHasNoRepeats() {
        XCTAssertEqual(ErrorCode.documented.count, documented().count)
    }

    func testReadmeTableListsExactlyTheCodes() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(readme.range(of: "### Statuses and codes")).upperBound
        let end = try XCTUnwrap(readme.range(of: "\n### ", range: section..<readme.endIndex)).lowerBound
        var codes = Set<String>()
        for line in readme[section..<end].split(separator: "\n") where line.hasPrefix("| ") {
            let columns = line.split(separator: "|", omittingEmptySubsequences: false)
            guard columns.count > 3, let status = Int(columns[1].trimmingCharacters(in: .whitespaces).prefix(3)), status >= 400 else { continue }
            for piece in columns[2].split(separator: "`").enumerated() where piece.offset % 2 == 1 { codes.insert(String(piece.element)) }
        }
        XCTAssertEqual(codes.subtracting(documented()).sorted(), [], "README lists codes presignd does not have")
        XCTAssertEqual(documented().subtracting(codes).sorted(), [], "README does not list these codes")
    }

    func testOpenAPIErrorCodeEnumIsTheList() throws {
        let document = try JSONParser().parse(Array(OpenAPIDocument.json.utf8))
        let code = document["components"]?["schemas"]?["Error"]?["properties"]?["error"]?["properties"]?["code"]
        let listed = try XCTUnwrap(code?["enum"]?.arrayValue).compactMap(\.stringValue)
        XCTAssertEqual(listed, ErrorCode.documented.map(\.rawValue))
    }

    func testNoCodeIsWrittenAsTextInTheSources() throws {
        let sources = Self.root.appendingPathComponent("Sources")
        let files = try XCTUnwrap(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        var offenders: [String] = []
        for case let file as URL in files where file.pathExtension == "swift" && file.lastPathComponent != "ErrorCode.swift"
            && file.lastPathComponent != "OpenAPIDocument.swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for pattern in ["code: \"", "badRequest(\"", "code == \""] where text.contains(pattern) {
                for line in text.split(separator: "\n") where line.contains(pattern) && !line.contains("StoreRefusal") {
                    offenders.append("\(file.lastPathComponent): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        XCTAssertEqual(offenders, [], "name error codes by ErrorCode's constants, so the list stays the one list")
    }
}
