#if canImport(Glibc)
import Glibc
#endif

// Dispatch on the first argument; each command lives in its own file.
let arguments = Array(CommandLine.arguments.dropFirst())
var environment: [String: String] = [:]
var entry = environ
while let pointer = entry.pointee {
    let pair = String(cString: pointer)
    if let equals = pair.firstIndex(of: "=") { environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...]) }
    entry += 1
}

switch arguments.first {
case "presign":
    exit(runPresignCommand(Array(arguments.dropFirst()), environment: environment))
case "cloudfront":
    exit(runCloudFrontCommand(Array(arguments.dropFirst()), environment: environment))
default:
    writeOut("presignd\nusage: presignd presign … | presignd cloudfront … (--help for details)\n")
}
