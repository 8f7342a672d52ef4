#if canImport(Glibc)
import Glibc
#endif
import PresigndCore

// Wiring only: each subcommand lives in its own file.
let arguments = Array(CommandLine.arguments.dropFirst())

switch arguments.first {
case "--version", "version":
    Output.out("presignd \(PresigndVersion.current)")
case "serve":
    exit(ServeCommand.run(arguments: Array(arguments.dropFirst())))
case nil:
    exit(ServeCommand.runDetected())
case "--help", "-h", "help":
    Output.out(Usage.text)
default:
    Output.err("presignd: unknown command \(arguments.first ?? "")\n\n\(Usage.text)")
    exit(2)
}
