// libFuzzer harness: FastCGI params (name=value pairs split at NUL bytes, as libfcgi hands them
// over) → the gateway's request head, under small limits.
@testable import PresigndCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    var params: [GatewayParam] = []
    for entry in bytes.split(separator: 0, omittingEmptySubsequences: false) {
        guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
        params.append(GatewayParam(String(decoding: entry[..<equals], as: UTF8.self), Array(entry[(equals + 1)...])))
    }
    let limits = GatewayLimits(bodyLimit: 1024, headerLimit: 2048, pathLimit: 512)
    if let head = try? GatewayRequestHead.parse(params, limits: limits) {
        precondition(head.path.utf8.count <= 4 * limits.pathLimit, "a path past its limit was accepted")
        _ = try? GatewayBody.check(head, limit: limits.bodyLimit)
    }
    return 0
}
