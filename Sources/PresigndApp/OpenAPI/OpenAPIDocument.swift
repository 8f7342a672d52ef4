/// The OpenAPI 3.1 document of every route (`openapi.json` beside this file, embedded in the binary
/// at build time), served at `GET /api/openapi.json`. The Uppy routes are described at their
/// default prefix, `/api/uppy`. `OpenAPIDocumentTests` fails when a route is missing there or an
/// operation there has no route; `ErrorCodeTests` holds its error codes to `ErrorCode.documented`.
package enum OpenAPIDocument {
    package static let bytes: [UInt8] = PackageResources.openapi_json

    package static var json: String { String(decoding: bytes, as: UTF8.self) }
}
