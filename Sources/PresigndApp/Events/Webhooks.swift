import PresigndCrypto
package import PresigndSupport
package import PresigndUploads

/// A Standard Webhooks signing secret: `whsec_` and the base64 of the key's bytes.
package struct WebhookSecret: Sendable, Equatable {
    package let key: [UInt8]

    package init(key: [UInt8]) { self.key = key }

    /// `whsec_<base64 of 24 to 64 bytes>`; nil for anything else.
    package init?(_ text: String) {
        guard text.hasPrefix("whsec_"), let key = Base64.decode(String(text.dropFirst(6))), (24...64).contains(key.count) else {
            return nil
        }
        self.key = key
    }
}

/// The three headers of the Standard Webhooks specification for one attempt at one message:
/// `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, a space-separated
/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret, so a receiver that knows any one
/// of them (old or new, while a secret is rotated) accepts the message.
package enum WebhookSignature {
    package static func headers(id: String, timestamp: UnixSeconds, body: [UInt8], secrets: [WebhookSecret]) -> [(name: String, value: String)] {
        [("webhook-id", id), ("webhook-timestamp", String(timestamp)),
         ("webhook-signature", signatures(id: id, timestamp: timestamp, body: body, secrets: secrets))]
    }

    package static func signatures(id: String, timestamp: UnixSeconds, body: [UInt8], secrets: [WebhookSecret]) -> String {
        let signed = Array("\(id).\(timestamp).".utf8) + body
        return secrets.map { "v1," + Base64.encode(HMAC.sha256(key: $0.key, data: signed)) }.joined(separator: " ")
    }
}

/// One receiver of webhooks, by name (the name is how `presignd events` and the metrics call it).
package struct WebhookEndpoint: Sendable, Equatable {
    package let name: String
    package let url: String
    package let secrets: [WebhookSecret]
    /// The event types it is sent; nil: all of them.
    package let events: Set<DocumentEventType>?
    /// The purposes whose documents it hears of; nil: all of them.
    package let purposes: Set<String>?

    package init(name: String, url: String, secrets: [WebhookSecret], events: Set<DocumentEventType>? = nil, purposes: Set<String>? = nil) {
        self.name = name
        self.url = url
        self.secrets = secrets
        self.events = events
        self.purposes = purposes
    }

    /// Whether an event of `type` about a document of `purpose` goes to this endpoint.
    package func wants(_ type: DocumentEventType, purpose: String) -> Bool {
        (events?.contains(type) ?? true) && (purposes?.contains(purpose) ?? true)
    }
}

/// When a failed delivery is tried again: exponential back-off from `base`, at most `maximum`,
/// each delay drawn at random from its upper half (jitter, so receivers coming back are not
/// hit by every sender at the same moment).
package struct RetrySchedule: Sendable, Equatable {
    package let baseMilliseconds: Int
    package let maximumMilliseconds: Int

    package init(baseMilliseconds: Int, maximumMilliseconds: Int) {
        self.baseMilliseconds = baseMilliseconds
        self.maximumMilliseconds = maximumMilliseconds
    }

    /// The wait after the `attempt`-th failed attempt (1 for the first), with `random` in 0..<1.
    package func delayMilliseconds(afterAttempt attempt: Int, random: Double) -> Int {
        let doublings = min(max(attempt - 1, 0), 30)
        let full = min(baseMilliseconds.multipliedReportingOverflow(by: 1 << doublings).partialValue, maximumMilliseconds)
        return full / 2 + Int(Double(full - full / 2) * min(max(random, 0), 1))
    }
}

/// Events and their webhooks: `PRESIGND_WEBHOOKS` (JSON, or `PRESIGND_WEBHOOKS_FILE`) names the
/// endpoints; the other variables say how deliveries are tried and how long events are kept.
package struct WebhookConfig: Sendable, Equatable {
    package var endpoints: [WebhookEndpoint] = []
    /// Whether changes write event rows: on with any endpoint, or for applications that `LISTEN`.
    package var eventsEnabled = false
    package var timeoutMilliseconds = 10_000
    /// Attempts per delivery before it is dead-lettered.
    package var maxAttempts = 12
    package var retry = RetrySchedule(baseMilliseconds: 5_000, maximumMilliseconds: 3_600_000)
    /// Days delivered (and dead) events are kept before the sweeper removes them.
    package var retentionDays = 7
    /// Whether `serve` runs the delivery loop (false: a separate `presignd deliver` does).
    package var deliversInServe = true

    package init() {}

    package static func from(_ environment: Environment) throws(ConfigError) -> WebhookConfig {
        var config = WebhookConfig()
        if let json = try environment.secret("PRESIGND_WEBHOOKS") {
            do { config.endpoints = try parse(json, variable: "PRESIGND_WEBHOOKS") } catch { try environment.refuse(error) }
        }
        config.eventsEnabled = try environment.boolean("PRESIGND_EVENTS", default: !config.endpoints.isEmpty)
        if !config.eventsEnabled && !config.endpoints.isEmpty {
            try environment.refuse(ConfigError(variable: "PRESIGND_EVENTS", problem: "webhooks are configured, so events must be on (remove PRESIGND_EVENTS=off or PRESIGND_WEBHOOKS)"))
        }
        config.timeoutMilliseconds = try environment.integer("PRESIGND_WEBHOOK_TIMEOUT_MS", default: 10_000, range: 100...120_000)
        config.maxAttempts = try environment.integer("PRESIGND_WEBHOOK_MAX_ATTEMPTS", default: 12, range: 1...100)
        let base = try environment.integer("PRESIGND_WEBHOOK_RETRY_BASE_MS", default: 5_000, range: 10...3_600_000)
        let maximum = try environment.integer("PRESIGND_WEBHOOK_RETRY_MAX_MS", default: 3_600_000, range: 10...86_400_000)
        if maximum < base {
            try environment.refuse(ConfigError(variable: "PRESIGND_WEBHOOK_RETRY_MAX_MS", problem: "must be at least PRESIGND_WEBHOOK_RETRY_BASE_MS (\(base))"))
        }
        config.retry = RetrySchedule(baseMilliseconds: base, maximumMilliseconds: max(base, maximum))
        config.retentionDays = try environment.integer("PRESIGND_EVENT_RETENTION_DAYS", default: 7, range: 1...3650)
        switch environment.string("PRESIGND_WEBHOOK_DELIVERY") ?? "serve" {
        case "serve": config.deliversInServe = true
        case "separate": config.deliversInServe = false
        case let other:
            try environment.refuse(ConfigError(variable: "PRESIGND_WEBHOOK_DELIVERY", problem: "expected serve or separate, got \"\(other.prefix(40))\""))
        }
        return config
    }

    /// `{"<name>": {"url": "https://…", "secrets": ["whsec_…"], "events": ["upload.ready"], "purposes": ["avatar"]}, …}`.
    package static func parse(_ text: String, variable: String) throws(ConfigError) -> [WebhookEndpoint] {
        let value: JSONValue
        do { value = try JSONParser().parse(Array(text.utf8)) } catch {
            throw ConfigError(variable: variable, problem: "not valid JSON: \(error)")
        }
        guard case .object(let object) = value else {
            throw ConfigError(variable: variable, problem: "expected a JSON object of endpoints by name")
        }
        return try object.members.map { member throws(ConfigError) in try endpoint(name: member.key, member.value, variable: variable) }
    }

    static func endpoint(name: String, _ entry: JSONValue, variable: String) throws(ConfigError) -> WebhookEndpoint {
        func problem(_ text: String) -> ConfigError { ConfigError(variable: variable, problem: "endpoint \"\(name.prefix(64))\": \(text)") }
        guard !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy({ ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else {
            throw problem("names use only letters, digits, '-' and '_' (at most 64)")
        }
        guard case .object(let fields) = entry else { throw problem("expected an object") }
        for key in fields.keys where !["url", "secrets", "events", "purposes"].contains(key) {
            throw problem("unknown field \"\(key.prefix(40))\" (expected url, secrets, events, purposes)")
        }
        guard let url = fields["url"]?.stringValue, url.hasPrefix("https://") || url.hasPrefix("http://"), url.utf8.count <= 2048,
              url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw problem("\"url\" must be an http:// or https:// URL")
        }
        guard let secretValues = fields["secrets"]?.arrayValue, !secretValues.isEmpty else {
            throw problem("\"secrets\" must be a non-empty list of whsec_… secrets (several while one is rotated)")
        }
        let secrets = try secretValues.map { value throws(ConfigError) -> WebhookSecret in
            guard let text = value.stringValue, let secret = WebhookSecret(text) else {
                throw problem("each secret must be whsec_ followed by the base64 of 24 to 64 random bytes")
            }
            return secret
        }
        let events = try fields["events"].map { value throws(ConfigError) -> Set<DocumentEventType> in
            guard let names = value.arrayValue, !names.isEmpty else { throw problem("\"events\" must be a non-empty list of event types") }
            return Set(try names.map { name throws(ConfigError) -> DocumentEventType in
                guard let type = name.stringValue.flatMap(DocumentEventType.init(rawValue:)) else {
                    throw problem("unknown event type \(name.stringValue.map { "\"\($0.prefix(40))\"" } ?? "") (expected one of \(DocumentEventType.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return type
            })
        }
        let purposes = try fields["purposes"].map { value throws(ConfigError) -> Set<String> in
            guard let names = value.arrayValue?.compactMap(\.stringValue), !names.isEmpty, names.count == value.arrayValue?.count else {
                throw problem("\"purposes\" must be a non-empty list of purpose names")
            }
            return Set(names)
        }
        return WebhookEndpoint(name: name, url: url, secrets: secrets, events: events, purposes: purposes)
    }

    /// What `check-config` prints: each endpoint with its filters (its URL's query and secrets masked).
    package var entries: [ConfigEntry] {
        endpoints.map { endpoint in
            let host = endpoint.url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? endpoint.url
            let events = endpoint.events.map { $0.map(\.rawValue).sorted().joined(separator: ",") } ?? "every event"
            let purposes = endpoint.purposes.map { $0.sorted().joined(separator: ",") } ?? "every purpose"
            return ConfigEntry("webhook \(endpoint.name)", "\(host) (\(events); \(purposes); \(endpoint.secrets.count) secret(s))")
        } + [
            ConfigEntry("PRESIGND_WEBHOOKS", endpoints.isEmpty ? "(unset: no webhooks)" : "(the \(endpoints.count) endpoint(s) above)"),
            ConfigEntry("PRESIGND_EVENTS", eventsEnabled ? "on (changes write event rows; NOTIFY presignd_events)" : "off"),
            ConfigEntry("PRESIGND_WEBHOOK_TIMEOUT_MS", "\(timeoutMilliseconds) ms"),
            ConfigEntry("PRESIGND_WEBHOOK_MAX_ATTEMPTS", "\(maxAttempts)"),
            ConfigEntry("PRESIGND_WEBHOOK_RETRY_BASE_MS", "\(retry.baseMilliseconds) ms"),
            ConfigEntry("PRESIGND_WEBHOOK_RETRY_MAX_MS", "\(retry.maximumMilliseconds) ms"),
            ConfigEntry("PRESIGND_EVENT_RETENTION_DAYS", "\(retentionDays) days"),
            ConfigEntry("PRESIGND_WEBHOOK_DELIVERY", deliversInServe ? "serve (a worker of serve delivers)" : "separate (presignd deliver delivers)"),
        ]
    }
}
