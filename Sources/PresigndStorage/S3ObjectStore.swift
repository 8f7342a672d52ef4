package import PresigndApp
import PresigndCrypto
import PresigndHTTP
package import PresigndHTTPClient
package import PresigndMetrics
package import PresigndSigning
package import PresigndSupport
package import PresigndUploads

/// `ObjectStore` on S3 with libcurl: the calls presignd makes itself (HeadObject, a ranged
/// GetObject, DeleteObject, Create/List/Complete/AbortMultipartUpload), each header-signed,
/// sent, and its XML and errors read here, in one place.
package struct S3ObjectStore: ObjectStore {
    let bucket: String
    let signer: S3RequestSigner
    let client: HTTPClient
    let clock: any Clock
    let logger: Logger
    let timeoutMilliseconds: Int
    let metrics: Metrics

    package init(bucket: String, signer: S3RequestSigner, client: HTTPClient, clock: any Clock, logger: Logger,
                timeoutMilliseconds: Int = 5_000, metrics: Metrics = .off) {
        self.metrics = metrics
        self.bucket = bucket
        self.signer = signer
        self.client = client
        self.clock = clock
        self.logger = logger
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    package func head(key: String) throws -> ObjectHead? {
        // Checksum mode: the store answers the SHA-256 it keeps of the object, if any.
        var headers = HTTPHeaders()
        headers.add("x-amz-checksum-mode", "ENABLED")
        let response = try send("HeadObject", "HEAD", key: key, headers: headers)
        switch response.status {
        case 200:
            guard let length = response.header("Content-Length").flatMap({ Int64($0) }) else {
                logger.error("HeadObject answered without a Content-Length")
                throw DependencyUnavailable(.storage)
            }
            return ObjectHead(size: length, contentType: response.header("Content-Type") ?? "binary/octet-stream",
                              checksumSHA256: response.header("x-amz-checksum-sha256"))
        case 404:
            return nil
        default:
            throw failure("HeadObject", response)
        }
    }

    package func firstBytes(key: String, count: Int) throws -> [UInt8]? {
        var headers = HTTPHeaders()
        headers.add("Range", "bytes=0-\(count - 1)")
        let response = try send("GetObject", "GET", key: key, headers: headers)
        switch response.status {
        case 206, 200:
            // A store that ignores Range sends the whole object (the client stops past its limit).
            return Array(response.body.prefix(count))
        case 404:
            return nil
        case 416:
            // Nothing in range: the object is empty.
            return []
        default:
            throw failure("GetObject", response)
        }
    }

    package func delete(key: String) throws {
        let response = try send("DeleteObject", "DELETE", key: key)
        guard response.status == 204 || response.status == 200 || response.status == 404 else {
            throw failure("DeleteObject", response)
        }
    }

    package func createMultipartUpload(key: String, contentType: String, contentDisposition: String,
                                       checksumAlgorithm: ChecksumAlgorithm?) throws -> String {
        var headers = HTTPHeaders()
        headers.add("Content-Type", contentType)
        headers.add("Content-Disposition", contentDisposition)
        // MD5 needs nothing here: Content-MD5 is checked on each UploadPart by itself.
        if checksumAlgorithm == .sha256 { headers.add("x-amz-checksum-algorithm", ChecksumAlgorithm.sha256.rawValue) }
        let response = try send("CreateMultipartUpload", "POST", key: key, query: [("uploads", "")], headers: headers)
        guard response.status == 200 else { throw failure("CreateMultipartUpload", response) }
        guard let uploadID = S3XML(response.body).value("UploadId"), !uploadID.isEmpty else {
            logger.error("CreateMultipartUpload answered without an UploadId")
            throw DependencyUnavailable(.storage)
        }
        return uploadID
    }

    package func listParts(key: String, uploadID: String) throws -> [UploadedPartInfo] {
        var parts: [UploadedPartInfo] = []
        var marker: String? = nil
        // 10,000 parts at 1,000 a page: at most 10 pages; more means the store loops.
        for _ in 0..<11 {
            var query = [(name: "uploadId", value: uploadID), (name: "max-parts", value: "1000")]
            if let marker { query.append((name: "part-number-marker", value: marker)) }
            let response = try send("ListParts", "GET", key: key, query: query)
            guard response.status == 200 else { throw failure("ListParts", response) }
            guard let page = S3XML(response.body).listedParts() else {
                logger.error("ListParts answered a part without a number, ETag or size")
                throw DependencyUnavailable(.storage)
            }
            parts += page.parts
            guard let next = page.nextMarker else { return parts }
            marker = next
        }
        logger.error("ListParts did not end after 11 pages")
        throw DependencyUnavailable(.storage)
    }

    package func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)],
                                         checksums: [Int: String]) throws {
        let body = S3XML.completeMultipartUpload(parts, checksums: checksums)
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/xml")
        // The store combines the parts before it answers (seconds for a GiB): a longer wait than
        // other calls, kept under nginx's 30 s fastcgi_read_timeout; a completion cut short is
        // finished by the next request (the row stays `completing`).
        let response = try send("CompleteMultipartUpload", "POST", key: key, query: [("uploadId", uploadID)], headers: headers, body: body,
                                timeoutMilliseconds: max(timeoutMilliseconds, 25_000))
        // S3 may answer 200 and still report an error in the body once the upload has been combined.
        guard response.status == 200, S3XML(response.body).errorCode == nil else { throw failure("CompleteMultipartUpload", response) }
    }

    package func abortMultipartUpload(key: String, uploadID: String) throws {
        let response = try send("AbortMultipartUpload", "DELETE", key: key, query: [("uploadId", uploadID)])
        guard response.status == 204 || response.status == 200 || response.status == 404 else {
            throw failure("AbortMultipartUpload", response)
        }
    }

    func send(_ operation: String, _ method: String, key: String?, query: [(name: String, value: String)] = [],
              headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], timeoutMilliseconds: Int? = nil) throws -> OutboundResponse {
        let payloadHash = body.isEmpty ? S3RequestSigner.emptyPayloadHash : Hex.encode(Digest.sha256(body))
        let signed = try signer.sign(method: method, bucket: bucket, key: key, query: query, headers: headers,
                                     payloadHash: payloadHash, at: clock.now())
        metrics.count(Metrics.Families.signatures, [("kind", "s3_request")])
        do {
            let response = try client.send(OutboundRequest(method: method, url: signed.url,
                                                           headers: signed.request.headers.map { (name: $0.name, value: $0.value) },
                                                           body: body, timeoutMilliseconds: timeoutMilliseconds ?? self.timeoutMilliseconds))
            metrics.count(Metrics.Families.s3Requests, [("operation", operation), ("outcome", "\(response.status / 100)xx")])
            return response
        } catch {
            metrics.count(Metrics.Families.s3Requests, [("operation", operation), ("outcome", "unreachable")])
            logger.warning("object store unreachable during \(operation): \(error)")
            throw DependencyUnavailable(.storage)
        }
    }

    /// What an unexpected answer means. A 4xx naming an upload or part problem is the
    /// client's to fix (`StoreRefusal`); 403 is presignd's credentials or permissions
    /// (`StorageRefused`: a misconfiguration, not an outage); anything else an outage (503).
    /// Neither the store's status nor its body reaches the client; the log names both.
    func failure(_ operation: String, _ response: OutboundResponse) -> any Error {
        let code = S3XML(response.body).errorCode ?? "HTTP \(response.status)"
        switch (response.status, code) {
        case (404, _) where operation == "ListParts" || operation == "CompleteMultipartUpload":
            // A 404 on a call that names the upload id means the upload is gone, whatever the
            // store calls it (AWS: NoSuchUpload; Ceph RGW 16 answers ListParts NoSuchKey).
            logger.warning("\(operation) refused: \(code) (the multipart upload is gone)")
            return StoreRefusal(code: StoreRefusal.uploadGone)
        case (400, "InvalidPart"), (400, "InvalidPartOrder"), (400, "EntityTooSmall"), (400, "EntityTooLarge"):
            logger.warning("\(operation) refused: \(code)")
            return StoreRefusal(code: code)
        case (403, _), (401, _):
            logger.error("\(operation) refused presignd's request: \(code) (check the credentials, the bucket policy and the clock)")
            return StorageRefused(operation: operation)
        default:
            logger.error("\(operation) failed: \(code) (HTTP \(response.status))")
            return DependencyUnavailable(.storage)
        }
    }
}
