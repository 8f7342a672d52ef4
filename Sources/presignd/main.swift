#if canImport(Glibc)
import Glibc
#endif
import PresigndHTTP
import PresigndMetrics
import PresigndSigning
import PresigndSupport
import PresigndUploads

// Wiring only: each subcommand lives in its own file.
let arguments = Array(CommandLine.arguments.dropFirst())
let environment = ProcessEnvironment.current()

switch arguments.first {
case "presign":
    exit(runPresignCommand(Array(arguments.dropFirst()), environment: environment))
case "cloudfront":
    exit(runCloudFrontCommand(Array(arguments.dropFirst()), environment: environment))
case "check-config":
    exit(CheckConfigCommand.run(Array(arguments.dropFirst())))
case "--version", "version":
    writeOut("presignd \(PresigndVersion.current)\n")
case "jwt":
    exit(runJWTCommand(Array(arguments.dropFirst())))
case "serve":
    exit(ServeCommand.run(arguments: Array(arguments.dropFirst())))
case nil:
    exit(ServeCommand.runDetected())
case "--help", "-h", "help":
    writeOut(Usage.text + "\n")
case "bucket-setup":
    exit(BucketSetupCommand.run(Array(arguments.dropFirst()), environment: Environment(environment, readFile: { readWholeFile($0) })))
case "sweep":
    exit(SweepCommand.run(Array(arguments.dropFirst()), environment: Environment(environment, readFile: { readWholeFile($0) })))
case "migrate":
    exit(MigrateCommand.run(Array(arguments.dropFirst()), environment: Environment(environment, readFile: { readWholeFile($0) })))
default:
    writeOut("presignd: unknown command \(arguments.first ?? "")\n\n\(Usage.text)\n", to: 2)
    exit(2)
}
