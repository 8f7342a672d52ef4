import Foundation
import PresigndSupport
import PresigndHTTP
import PresigndSigning
import PresigndCrypto
import XCTest

/// Loads the reference vectors copied into `Vectors/` (see `Vectors/PROVENANCE.md`).
enum SigningVectors {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors")

    static func text(_ relativePath: String) -> String? {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(relativePath).path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// `public.json`, parsed with the project's own ordered JSON parser.
    static let publicFile: JSONValue = {
        let text = SigningVectors.text("public.json")!
        return try! JSONParser(rejectDuplicateKeys: false).parse(text)
    }()

    static func cases(_ category: String) -> [JSONValue] {
        publicFile["cases"]!.arrayValue!.filter { $0["category"]?.stringValue == category }
    }

    /// The cases of `categories`, each as its id, inputs and outputs, after checking there are `count`
    /// (so a vector file that lost cases fails instead of passing over fewer).
    static func cases(_ categories: String..., expecting count: Int, file: StaticString = #filePath, line: UInt = #line)
        -> [(id: String, inputs: JSONValue, outputs: JSONValue)] {
        let found = categories.flatMap { SigningVectors.cases($0) }
        XCTAssertEqual(found.count, count, file: file, line: line)
        return found.map { (id: $0["id"]!.stringValue!, inputs: $0["inputs"]!, outputs: $0["outputs"]!) }
    }

    /// The S3 endpoint a case's inputs describe (region, optional custom endpoint, addressing style).
    static func endpoint(_ inputs: JSONValue) throws -> S3Endpoint {
        try S3Endpoint(region: inputs["region"]!.stringValue!, endpoint: inputs["endpoint_url"]?.stringValue,
                       addressing: S3AddressingStyle(rawValue: inputs["addressing_style"]!.stringValue!)!)
    }

    static func credentials(_ value: JSONValue) -> AWSCredentials {
        AWSCredentials(accessKeyID: value["access_key"]!.stringValue!, secretAccessKey: value["secret_key"]!.stringValue!,
                       sessionToken: value["session_token"]?.stringValue)
    }

    static func time(_ iso: String) -> UnixSeconds {
        UTCDateTime.parse(iso)!.unixSeconds
    }

    /// Ordered name/value pairs from a JSON object.
    static func pairs(_ value: JSONValue?) -> [(name: String, value: String)] {
        guard let object = value?.objectValue else { return [] }
        return object.members.map { (name: $0.key, value: $0.value.stringValue ?? "") }
    }

    static func headers(_ value: JSONValue?, excluding: Set<String> = []) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for pair in pairs(value) where !excluding.contains(pair.name.lowercased()) { headers.add(pair.name, pair.value) }
        return headers
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String { Hex.encode(Digest.sha256(bytes)) }
}
