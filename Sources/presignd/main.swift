#if canImport(Glibc)
import Glibc
#endif
import PresigndSupport

// Wiring only: each subcommand lives in its own file and is called the same way.
let arguments = Array(CommandLine.arguments.dropFirst())
let environment = Environment(ProcessEnvironment.current(), readFile: { readWholeFile($0) })
let commands: [String: any Command.Type] = [
    "presign": PresignCommand.self,
    "cloudfront": CloudFrontCommand.self,
    "check-config": CheckConfigCommand.self,
    "jwt": JWTCommand.self,
    "serve": ServeCommand.self,
    "bucket-setup": BucketSetupCommand.self,
    "sweep": SweepCommand.self,
    "migrate": MigrateCommand.self,
    "deliver": DeliverCommand.self,
    "events": EventsCommand.self,
    "revoke": RevokeCommand.self,
]

switch arguments.first {
case nil:
    exit(ServeCommand.runDetected())
case "--version", "version":
    writeOut("presignd \(PresigndVersion.current)\n")
case "--help", "-h", "help":
    writeOut(Usage.text + "\n")
case let name?:
    guard let command = commands[name] else {
        writeOut("presignd: unknown command \(name)\n\n\(Usage.text)\n", to: 2)
        exit(2)
    }
    exit(command.run(Array(arguments.dropFirst()), environment: environment))
}
