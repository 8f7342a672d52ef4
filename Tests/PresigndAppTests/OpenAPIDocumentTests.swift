import XCTest
@testable import PresigndApp
import PresigndSupport
import PresigndHTTP
import PresigndSigning
import PresigndUploads

/// The OpenAPI document against the router: every route is described, every described
/// operation has a route, and the document holds together (responses, `$ref`s).
final class OpenAPIDocumentTests: XCTestCase {
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    var document: JSONValue!

    override func setUpWithError() throws {
        document = try JSONParser().parse(OpenAPIDocument.json)
    }

    /// Every route the application can have, built as `AppWiring` builds them (CDN configured,
    /// so the cookie routes exist; Uppy at its default prefix).
    func routerRoutes() -> [Route<Endpoint>] {
        let store = MemoryDocumentStore()
        let objects = MemoryObjectStore()
        let config = FlowsConfig(cdn: CDNConfig(domain: "cdn.app.test", pathPattern: "/avatars/*", cookieDomain: ".app.test"))
        let upload = UploadFlow(config: config, store: store, objects: objects, signer: FakeURLSigner(),
                                newID: { "00000000-0000-4000-8000-000000000001" })
        let documents = DocumentFlow(config: config, store: store, objects: objects, signer: FakeURLSigner())
        let session = MediaSessionCookie(keys: [[1]])
        let revocations = MemoryRevocations()
        let cookies = CDNCookieFlow(cdn: config.cdn!, lifetime: 3600, signer: CountingCookieSigner(), store: store,
                                    session: session, revocations: revocations, keyPairID: "K1")
        let media = MediaFlow(config: MediaConfig(), cdn: config.cdn!, verifier: CloudFrontVerifier(keys: [:]), session: session,
                              revocations: revocations, signer: FakeURLSigner(), objects: objects, authenticator: HeaderAuthenticator(), logger: .discarding)
        let uppy = UppyFlow(uploads: upload, bucket: "bucket", objectURL: { "https://s3.test/bucket/\($0)" })
        let routes: [Route<Endpoint>] = HealthRoutes.routes() + ReadinessRoutes.routes(store: store) + OpenAPIRoutes.routes()
            + upload.routes + uppy.routes + documents.routes + cookies.routes + media.routes
        return routes + RevocationFlow(store: revocations).routes
    }

    /// `(method, path)` of every operation in the document, e.g. `GET /api/documents`.
    func documentedOperations() throws -> [String: JSONObject] {
        let paths = try XCTUnwrap(document["paths"]?.objectValue, "the document has no paths object")
        var operations: [String: JSONObject] = [:]
        for (path, item) in paths.members {
            for method in OpenAPIDocumentTests.methods {
                if let operation = item[method]?.objectValue { operations["\(method.uppercased()) \(path)"] = operation }
            }
        }
        return operations
    }

    func testIsOpenAPI31() throws {
        let version = try XCTUnwrap(document["openapi"]?.stringValue)
        XCTAssertTrue(version.hasPrefix("3.1"), "openapi is \(version)")
        XCTAssertNotNil(document["info"]?["title"]?.stringValue)
        XCTAssertEqual(document["components"]?["securitySchemes"]?["bearerAuth"]?["scheme"], "bearer")
    }

    func testEveryRouteIsDocumentedAndEveryOperationRouted() throws {
        // HEAD is not a route of its own: the router answers it with the GET route.
        let routed = Set(routerRoutes().filter { $0.method != "HEAD" }.map { "\($0.method) \($0.pattern)" })
        let documented = Set(try documentedOperations().keys.filter { !$0.hasPrefix("HEAD ") })
        XCTAssertFalse(routed.isEmpty)
        for missing in routed.subtracting(documented).sorted() {
            XCTFail("route \(missing) is not in the OpenAPI document")
        }
        for extra in documented.subtracting(routed).sorted() {
            XCTFail("the OpenAPI document describes \(extra), which no route serves")
        }
    }

    func testRoutesThatNeedATokenSayBearerAndOthersNone() throws {
        let operations = try documentedOperations()
        for route in routerRoutes() {
            let security = operations["\(route.method) \(route.pattern)"]?["security"]
            switch route.access {
            case .user: XCTAssertEqual(security, JSONValue.array([["bearerAuth": []]]), "\(route.method) \(route.pattern) needs bearerAuth")
            case .everyone: XCTAssertEqual(security, JSONValue.array([]), "\(route.method) \(route.pattern) needs no token")
            }
        }
    }

    func testEveryOperationHasASuccessAndAClientErrorResponse() throws {
        for (name, operation) in try documentedOperations() {
            let statuses = operation["responses"]?.objectValue?.keys ?? []
            XCTAssertTrue(statuses.contains { $0.hasPrefix("2") }, "\(name) documents no 2xx response")
            XCTAssertTrue(statuses.contains { $0.hasPrefix("4") }, "\(name) documents no 4xx response")
        }
    }

    func testUserRoutesDocumentTheAuthenticationErrors() throws {
        let operations = try documentedOperations()
        for route in routerRoutes() where route.access == .user {
            let responses = operations["\(route.method) \(route.pattern)"]?["responses"]?.objectValue?.keys ?? []
            for status in ["400", "401", "403", "404", "503"] {
                XCTAssertTrue(responses.contains(status), "\(route.method) \(route.pattern) does not document \(status)")
            }
        }
    }

    func testEveryReferenceResolves() throws {
        var references: [String] = []
        collectReferences(document, into: &references)
        XCTAssertFalse(references.isEmpty)
        for reference in Set(references).sorted() {
            XCTAssertTrue(reference.hasPrefix("#/"), "\(reference) is not a local reference")
            var node: JSONValue? = document
            // The document's names hold no `/` or `~`, so no JSON Pointer escapes need undoing.
            for token in reference.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
                node = node?[String(token)]
            }
            XCTAssertNotNil(node, "\(reference) does not resolve")
        }
    }

    func testPathParametersMatchTheRoutePatterns() throws {
        for (name, operation) in try documentedOperations() {
            let path = String(name.split(separator: " ", maxSplits: 1)[1])
            let inPattern = Set(path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
            let declared = Set((operation["parameters"]?.arrayValue ?? []).filter { $0["in"] == "path" }.compactMap { $0["name"]?.stringValue })
            XCTAssertEqual(declared, inPattern, "\(name) declares path parameters \(declared.sorted())")
        }
    }

    func testServedDocumentIsTheDocument() throws {
        let app = Application(routes: OpenAPIRoutes.routes(), authenticator: HeaderAuthenticator(), clock: SettableClock(),
                              logger: .discarding)
        let response = app.handle(HTTPRequest(method: "GET", path: "/api/openapi.json", query: "", headers: [:], body: [],
                                              remoteAddress: "192.0.2.7"))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["Content-Type"], "application/json")
        XCTAssertEqual(response.body, Array(OpenAPIDocument.json.utf8))
    }

    func collectReferences(_ value: JSONValue, into references: inout [String]) {
        switch value {
        case .object(let object):
            for (key, member) in object.members {
                if key == "$ref", let target = member.stringValue { references.append(target) } else { collectReferences(member, into: &references) }
            }
        case .array(let items):
            for item in items { collectReferences(item, into: &references) }
        default:
            break
        }
    }

    /// The webhooks described are exactly the event types presignd writes, each with the Event body.
    func testEveryEventTypeIsDescribedAsAWebhook() throws {
        let webhooks = try XCTUnwrap(document["webhooks"]?.objectValue, "the document has no webhooks object")
        XCTAssertEqual(Set(webhooks.keys), Set(DocumentEventType.allCases.map(\.rawValue)))
        for (name, item) in webhooks.members {
            XCTAssertEqual(item["post"]?["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.stringValue,
                           "#/components/schemas/Event", name)
        }
        let types = document["components"]?["schemas"]?["Event"]?["properties"]?["type"]?["enum"]?.arrayValue?.compactMap(\.stringValue)
        XCTAssertEqual(types, DocumentEventType.allCases.map(\.rawValue))
    }
}
