import Synchronization
package import PresigndHTTP
package import PresigndSupport

/// Keys from a JWKS URL, fetched through an injected closure and cached by `JWKSCache`'s rules.
/// Shared by every worker thread: the state sits behind a Mutex, and the fetch itself runs
/// outside the lock, so other threads keep verifying with the cached set while one refreshes.
package final class JWKSKeySource: Sendable {
    /// Fetches `url` within `timeoutMilliseconds`; throws when the provider cannot be reached.
    package typealias Fetch = @Sendable (String, Int) throws -> (status: Int, headers: HTTPHeaders, body: [UInt8])

    package let url: String
    package let timeoutMilliseconds: Int
    let fetch: Fetch
    let log: @Sendable (String) -> Void
    let cache: Mutex<JWKSCache>

    package init(url: String, timeoutMilliseconds: Int = 3_000, policy: JWKSRefreshPolicy = JWKSRefreshPolicy(),
                fetch: @escaping Fetch, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.url = url
        self.timeoutMilliseconds = timeoutMilliseconds
        self.fetch = fetch
        self.log = log
        self.cache = Mutex(JWKSCache(policy: policy))
    }

    /// The set to verify a token with `keyID` against at `now`, refreshed first when the rules
    /// say so; nil only while no set was ever loaded.
    package func keys(for keyID: String?, now: UnixSeconds) -> KeySet? {
        let (decision, cached) = cache.withLock { cache in (cache.decide(keyID: keyID, now: now), cache.keys) }
        guard decision == .fetch else { return cached }
        let outcome = load()
        return cache.withLock { cache in
            switch outcome {
            case .success(let (keys, cacheControl)):
                cache.fetchSucceeded(keys, cacheControl: cacheControl, now: now)
            case .failure(let error):
                cache.fetchFailed(now: now)
                let kept = cache.keys.map { "keeping the \($0.keys.count) keys from the last good fetch" } ?? "no keys loaded yet"
                log("JWKS refresh failed: \(error.problem); \(kept)")
            }
            return cache.keys
        }
    }

    package func load() -> Result<(KeySet, String?), KeyLoadError> {
        do {
            let response = try fetch(url, timeoutMilliseconds)
            guard response.status == 200 else { return .failure(KeyLoadError("the provider answered HTTP \(response.status)")) }
            let parsed = try JWKSParser.parse(response.body)
            for line in parsed.skipped { log("JWKS key skipped: \(line)") }
            return .success((parsed.keys, response.headers["Cache-Control"]))
        } catch let error as KeyLoadError {
            return .failure(error)
        } catch {
            return .failure(KeyLoadError("the provider could not be reached (\(error))"))
        }
    }
}
