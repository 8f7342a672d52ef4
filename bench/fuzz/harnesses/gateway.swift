// libFuzzer harness: FastCGI params (name=value pairs split at NUL bytes, as libfcgi hands them
// over) → the gateway's request head, under small limits: read in place as the server reads them
// (PackedGatewayParams lends them as the FastCGI adapter does), and through GatewayParam copies (CGI and tests), which must agree.
@testable import PresigndHTTP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    let raw = PackedGatewayParams(Array(bytes))
    var entries = 0
    var params: [GatewayParam] = []
    raw.forEachParam { param in
        entries += 1
        // A GatewayParam's name is a String, so only a UTF-8 name makes the same param.
        if let text = param.name.withUnsafeBufferPointer({ String(validating: $0, as: UTF8.self) }) {
            params.append(GatewayParam(text, param.value.bytes))
        }
        return true
    }
    let limits = GatewayLimits(bodyLimit: 1024, headerLimit: 2048, pathLimit: 512)
    let head = try? GatewayRequestHead.parse(raw, limits: limits)
    if let head {
        precondition(head.path.utf8.count <= 4 * limits.pathLimit, "a path past its limit was accepted")
        _ = try? GatewayBody.check(head, limit: limits.bodyLimit)
    }
    if params.count == entries {
        let copied = try? GatewayRequestHead.parse(params, limits: limits)
        precondition((copied == nil) == (head == nil), "the borrowed and the copied params disagree")
        if let head, let copied {
            precondition(head.method == copied.method && head.path == copied.path && head.query == copied.query
                && head.headers == copied.headers && head.contentLength == copied.contentLength, "different heads")
        }
    }
    _ = GatewayRequestHead.requestID(in: raw)
    return 0
}
