import PresigndHTTP
package import PresigndHTTPClient
package import PresigndJWT

/// The JWKS provider's adapter: its key set fetched over libcurl, in the shape `JWKSKeySource`
/// takes (it calls this only when a token names a key it does not have, at most once a minute).
package func jwksFetch(_ client: HTTPClient) -> JWKSKeySource.Fetch {
    { url, timeout in
        let response = try client.send(OutboundRequest(method: "GET", url: url, headers: [(name: "Accept", value: "application/json")],
                                                       timeoutMilliseconds: timeout))
        var headers = HTTPHeaders()
        for field in response.headers { headers.add(field.name, field.value) }
        return (status: response.status, headers: headers, body: response.body)
    }
}
