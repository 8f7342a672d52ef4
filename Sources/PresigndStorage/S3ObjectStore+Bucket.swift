import PresigndApp
import PresigndCrypto
import PresigndHTTP
import PresigndHTTPClient
import PresigndMetrics
import PresigndSigning
import PresigndSupport
import PresigndUploads

/// The bucket's own configuration (`?cors`, `?publicAccessBlock`, `?lifecycle`), for
/// `presignd bucket-setup`.
extension S3ObjectStore {
    /// The store does not implement this configuration (501, `NotImplemented`): a warning, not a failure.
    package struct Unsupported: Error, Sendable {
        package let subresource: String
    }

    /// The subresource's XML, nil when the bucket has none (404).
    package func bucketConfiguration(_ subresource: String) throws -> [UInt8]? {
        let response = try send("Get \(subresource)", "GET", key: nil, query: [(subresource, "")])
        switch response.status {
        case 200: return response.body
        case 404 where S3XML(response.body).errorCode != "NoSuchBucket": return nil
        case 501: throw Unsupported(subresource: subresource)
        default: throw failure("Get \(subresource)", response)
        }
    }

    /// Replaces the subresource; `Content-MD5` is sent because S3 requires an integrity header here.
    package func putBucketConfiguration(_ subresource: String, body: [UInt8]) throws {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/xml")
        headers.add("Content-MD5", Base64.encode(Digest.hash(.md5, body)))
        let response = try send("Put \(subresource)", "PUT", key: nil, query: [(subresource, "")], headers: headers, body: body)
        switch response.status {
        case 200, 204: return
        case 501: throw Unsupported(subresource: subresource)
        default: throw failure("Put \(subresource)", response)
        }
    }
}
