import PresigndApp
import PresigndCore
import PresigndHTTPClient

/// Produces a header-signed (SigV4 `Authorization`) request for one object: URL and headers.
/// The signing module implements it; this store only sends what it is given.
public protocol S3RequestSigning: Sendable {
    func signedObjectRequest(method: String, key: String, now: UnixSeconds) throws -> (url: String, headers: [(name: String, value: String)])
}

/// `ObjectStore` over S3's HeadObject and DeleteObject with libcurl.
public struct S3ObjectStore: ObjectStore {
    let signer: any S3RequestSigning
    let client: HTTPClient
    let clock: any Clock
    let logger: Logger
    let timeoutMilliseconds: Int

    public init(signer: any S3RequestSigning, client: HTTPClient, clock: any Clock, logger: Logger, timeoutMilliseconds: Int = 5_000) {
        self.signer = signer
        self.client = client
        self.clock = clock
        self.logger = logger
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    public func head(key: String) throws -> ObjectHead? {
        let response = try send("HEAD", key: key)
        switch response.status {
        case 200:
            guard let length = response.header("Content-Length").flatMap({ Int64($0) }) else {
                logger.error("HeadObject answered without a Content-Length")
                throw DependencyUnavailable(.storage)
            }
            return ObjectHead(size: length, contentType: response.header("Content-Type") ?? "binary/octet-stream")
        case 404:
            return nil
        default:
            throw unexpected("HeadObject", response.status)
        }
    }

    public func delete(key: String) throws {
        let response = try send("DELETE", key: key)
        guard response.status == 204 || response.status == 200 || response.status == 404 else {
            throw unexpected("DeleteObject", response.status)
        }
    }

    func send(_ method: String, key: String) throws -> OutboundResponse {
        let signed = try signer.signedObjectRequest(method: method, key: key, now: clock.now())
        do {
            return try client.send(OutboundRequest(method: method, url: signed.url, headers: signed.headers,
                                                   timeoutMilliseconds: timeoutMilliseconds))
        } catch {
            logger.warning("object store unreachable: \(error)")
            throw DependencyUnavailable(.storage)
        }
    }

    /// 403 means our credentials or clock are wrong, 5xx the store is struggling: neither is
    /// the client's fault, and neither status or body is shown to the client.
    func unexpected(_ operation: String, _ status: Int) -> Error {
        logger.error("\(operation) answered HTTP \(status)")
        return DependencyUnavailable(.storage)
    }
}
