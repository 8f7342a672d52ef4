import PresigndApp
import PresigndCrypto
import PresigndHTTP
import PresigndHTTPClient
import PresigndJWT
import PresigndMetrics
import PresigndSigning
import PresigndStorage
import PresigndSupport
import PresigndUploads

/// `presignd bucket-setup [--dry-run]`: gives the bucket what browser uploads need: a CORS rule
/// for `PRESIGND_CORS_ORIGINS` (GET, HEAD, PUT, POST; any header; `ETag` exposed for multipart),
/// public access blocked, and a lifecycle rule that aborts incomplete multipart uploads.
/// Idempotent: each part is read first and written only when it differs; the bucket's other
/// CORS and lifecycle rules are kept. What the store profile says the store lacks, or the store
/// answers 501 to, is a warning, not a failure.
enum BucketSetupCommand: Command {
    static let usage = "usage: presignd bucket-setup [--dry-run]"

    static func run(_ arguments: [String], environment env: Environment) -> Int32 {
        var dryRun = false
        for argument in arguments {
            guard argument == "--dry-run" else {
                writeError("unknown option \(argument)\n\(usage)")
                return 2
            }
            dryRun = true
        }
        do {
            let logger = Logger(sink: Logger.standardError)
            let flows = try FlowsConfig.from(env)
            let cors = try CORSConfig.from(env)
            let s3 = AppWiring.s3Signer(try S3Config.from(env))
            let store = AppWiring.objectStore(s3, logger: logger)
            let days = Int((flows.sweepAfter + 86_399) / 86_400)
            let setup = BucketSetup(origins: cors.origins, corsMaxAge: cors.maxAge, abortAfterDays: max(days, 1))
            writeOut("presignd bucket-setup: bucket \(s3.bucket), store profile \(flows.store.name)\(dryRun ? " (dry run: nothing is changed)" : "")\n")

            var failed = false
            func apply(_ name: String, _ subresource: String, supported: Bool, _ plan: ([UInt8]?) -> BucketSetup.Change) {
                guard supported else {
                    writeOut("\(name): warning: the \(flows.store.name) profile has no \(name); configure it in the store's own console\n")
                    return
                }
                do {
                    switch plan(try store.bucketConfiguration(subresource)) {
                    case .unchanged:
                        writeOut("\(name): unchanged\n")
                    case .put(let body, let reason):
                        if dryRun {
                            writeOut("\(name): would set (\(reason)):\n  \(String(decoding: body, as: UTF8.self))\n")
                        } else {
                            try store.putBucketConfiguration(subresource, body: body)
                            writeOut("\(name): set (\(reason))\n")
                        }
                    }
                } catch is S3ObjectStore.Unsupported {
                    writeOut("\(name): warning: the store does not implement it (501); configure it in the store's own console\n")
                } catch let error as any APIErrorConvertible {
                    writeOut("\(name): failed: \(error.apiError.message)\n")
                    failed = true
                } catch {
                    writeOut("\(name): failed: \(type(of: error))\n")
                    failed = true
                }
            }
            if cors.origins.isEmpty {
                writeOut("cors: warning: PRESIGND_CORS_ORIGINS is empty, so no browser page may upload to the bucket; set it to your app's origins (https://app.example.com)\n")
            } else {
                apply("cors", "cors", supported: true) { setup.cors(current: $0) }
            }
            apply("public access block", "publicAccessBlock", supported: flows.store.publicAccessBlock) { setup.publicAccessBlock(current: $0) }
            apply("lifecycle", "lifecycle", supported: flows.store.lifecycleRules) { setup.lifecycle(current: $0) }
            return failed ? 1 : 0
        } catch {
            // Only the configuration can fail here: each store call reports its own failure above.
            writeError("\(error)")
            return 78
        }
    }
}
