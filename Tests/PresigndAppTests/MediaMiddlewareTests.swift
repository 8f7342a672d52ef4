import XCTest
@testable import PresigndApp
import PresigndSupport
import PresigndHTTP
import PresigndJWT
import PresigndSigning
import PresigndCrypto
import PresigndUploads

/// The media route without nginx: cookies signed by a real CloudFront signer, verified by the
/// real verifier; path tricks never reach another key; owner-only paths.
final class MediaMiddlewareTests: XCTestCase {
    static let pem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPoCmLOqOE2hyJzYU
        mMSr/lfalJ16VJwLrrb1SCILa9GhRANCAARZNveA8YPXTri82hCmfV6TFnckAcGe
        Xn9hMSVbwJ4Xnc+MrexpVH+D1xDdugMiMGldQ7R3Q6sf5/qbNdYhgdHo
        -----END PRIVATE KEY-----
        """
    let clock = SettableClock()
    let cdn = CDNConfig(domain: "cdn.app.test", pathPattern: "/*", cookieDomain: ".app.test")
    let session = MediaSessionCookie(keys: [MediaSessionCookie.key(fromPrivateKeyPEM: Array(MediaMiddlewareTests.pem.utf8))])
    let revocations = MemoryRevocations()
    let objects = MemoryObjectStore()
    let presets = ["thumb": MediaConfig.Preset(width: 64, height: 64, mode: .crop), "small": MediaConfig.Preset(width: 256, height: 256)]

    func app(ownerPaths: [String] = ["/images/{user}/*"]) throws -> Application {
        let verifier = CloudFrontVerifier(keys: ["K1": try AsymmetricKey.privateKey(pem: Self.pem)])
        let config = MediaConfig(ownerPatterns: ownerPaths.compactMap(MediaConfig.OwnerPattern.init), maxAge: 600, presets: presets,
                                 imageMaxBytes: 100_000, imageMaxPixels: 1_000_000)
        let media = MediaFlow(config: config, cdn: cdn, verifier: verifier, session: session, revocations: revocations,
                              signer: FakeURLSigner(), objects: objects, authenticator: HeaderAuthenticator(), logger: .discarding)
        return Application(routes: media.routes, authenticator: HeaderAuthenticator(), clock: clock, logger: .discarding)
    }

    /// The CloudFront cookies and `user`'s media session cookie, issued at `issuedAt` (now).
    func cookies(_ resource: String = "https://cdn.app.test/*", expires: UnixSeconds? = nil, user: String? = "alice",
                 issuedAt: UnixSeconds? = nil) throws -> String {
        let signer = try CloudFrontSigner(keyPairID: "K1", privateKeyPEM: Self.pem, hashAlgorithm: .sha256)
        let expiresAt = expires ?? clock.now() + 3600
        var pairs = try signer.cookies(policy: .custom(resource: resource, dateLessThan: expiresAt)).map { "\($0.name)=\($0.value)" }
        if let user {
            pairs.append("Presignd-Media=" + session.value(user: user, issuedAt: issuedAt ?? clock.now(), expiresAt: expiresAt))
        }
        return pairs.joined(separator: "; ")
    }

    func get(_ app: Application, _ path: String, query: String = "", cookie: String?, user: String? = nil, method: String = "GET",
             headers extra: [(String, String)] = []) -> HTTPResponse {
        var headers = HTTPHeaders()
        if let cookie { headers.add("Cookie", cookie) }
        if let user { headers.add("Authorization", "Test \(user)") }
        for (name, value) in extra { headers.add(name, value) }
        return app.handle(HTTPRequest(method: method, path: path, query: query, headers: headers, body: [], remoteAddress: "192.0.2.1"))
    }

    func testValidCookiesRedirectToNginxWithAShortPresignedGet() throws {
        let r = get(try app(), "/media/avatars/alice/a%20b.png", cookie: try cookies())
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["X-Accel-Redirect"], "/_presignd_media")
        XCTAssertEqual(r.headers["X-Presignd-Media-Key"], "original avatars/alice/a b.png", "the cache key is the variant and the object key, not the signature")
        XCTAssertEqual(r.headers["X-Presignd-Media-Variant"], "original")
        XCTAssertEqual(r.headers["X-Presignd-Media-URL"], "https://s3.test/bucket/avatars/alice/a b.png?get&cd=&ct=&exp=60")
        XCTAssertEqual(r.headers["X-Presignd-Media-Cache-Control"], "private, max-age=600")
        XCTAssertEqual(r.body, [])
        let soon = get(try app(), "/media/avatars/a.png", cookie: try cookies(expires: clock.now() + 100))
        XCTAssertEqual(soon.headers["X-Presignd-Media-Cache-Control"], "private, max-age=99", "never beyond the cookie's life")
        XCTAssertEqual(get(try app(), "/media/avatars/a.png", cookie: try cookies(), method: "HEAD").status, 200)
        XCTAssertEqual(get(try app(), "/media/avatars/a.png", cookie: try cookies(), method: "POST").status, 405)
    }

    func testBadCookiesAre403() throws {
        let a = try app()
        for (name, cookie) in [("none", nil), ("expired", try cookies(expires: clock.now() - 1)),
                               ("wrong resource", try cookies("https://cdn.app.test/avatars/*")),
                               ("other domain", try cookies("https://cdn.other.test/*"))] as [(String, String?)] {
            let r = get(a, "/media/images/x.png", cookie: cookie)
            XCTAssertEqual(r.status, 403, name)
            XCTAssertEqual(try JSONParser().parse(r.body)["error"]?["code"], "media_forbidden", name)
            XCTAssertNil(r.headers["X-Accel-Redirect"], name)
        }
    }

    func testPathTricksNeverReachAnotherKey() throws {
        let a = try app()
        let cookie = try cookies()
        for path in ["/media/avatars/../images/bob/x.png", "/media/avatars/%2e%2e/images/bob/x.png", "/media/avatars/%2E%2E%2Fimages/bob/x.png",
                     "/media/avatars%2f..%2fimages/bob/x.png", "/media/avatars/%252e%252e/images/x.png", "/media/avatars/x%00.png",
                     "/media/avatars//x.png", "/media/./avatars/x.png", "/media/avatars/x%5c..%5cy.png", "/media/", "/media/%ZZ",
                     "/media/avatars/%C2%85x.png"] {
            let r = get(a, path, cookie: cookie)
            XCTAssertEqual(r.status, 400, path)
            XCTAssertNil(r.headers["X-Accel-Redirect"], path)
        }
    }

    func testOwnerOnlyPaths() throws {
        let a = try app()
        let cookie = try cookies()
        XCTAssertEqual(get(a, "/media/images/alice/x.png", cookie: cookie, user: "alice").status, 200)
        XCTAssertEqual(get(a, "/media/images/alice/x.png", cookie: cookie, user: "bob").status, 403)
        XCTAssertEqual(get(a, "/media/images/alice/x.png", cookie: cookie).status, 403, "no token: not the owner")
        XCTAssertEqual(get(a, "/media/images/auth0~7C42/x.png", cookie: cookie, user: "auth0|42").status, 200, "the key-safe segment of the id")
        XCTAssertEqual(get(a, "/media/avatars/alice/x.png", cookie: cookie, user: "bob").status, 200, "shared paths: any holder")
        XCTAssertNil(MediaConfig.OwnerPattern("/images/*"))
        XCTAssertNil(MediaConfig.OwnerPattern("/images/{user}"))
    }

    func testOtherPathsPassThrough() throws {
        XCTAssertEqual(get(try app(), "/mediafile", cookie: nil).status, 404)
        XCTAssertEqual(get(try app(), "/api/documents", cookie: nil).status, 404)
    }

    func testTheDecisionIsA204ForNginxsAuthRequestAndNamesThePresetsVariant() throws {
        let a = try app()
        let decide = [("X-Presignd-Media-Decide", "1")]
        let r = get(a, "/media/avatars/a.png", query: "size=thumb", cookie: try cookies(), headers: decide)
        XCTAssertEqual(r.status, 204)
        XCTAssertNil(r.headers["X-Accel-Redirect"])
        XCTAssertEqual(r.headers["X-Presignd-Media-Variant"], "crop/64/64")
        XCTAssertEqual(r.headers["X-Presignd-Media-Key"], "crop/64/64 avatars/a.png")
        XCTAssertEqual(r.headers["X-Presignd-Media-URL"], "https://s3.test/bucket/avatars/a.png", "nginx fetches the original, signed in headers")
        XCTAssertEqual(r.headers["X-Presignd-Media-Authorization"], "AWS4-HMAC-SHA256 test")
        XCTAssertEqual(r.headers["X-Presignd-Media-Date"], String(clock.now()))
        XCTAssertNil(r.headers["X-Accel-Expires"], "nginx may keep this decision for its half-second slot")
        XCTAssertEqual(get(a, "/media/avatars/a.png", query: "size=small", cookie: try cookies(), headers: decide).headers["X-Presignd-Media-Variant"],
                       "resize/256/256")
        let expiring = get(a, "/media/avatars/a.png", cookie: try cookies(expires: clock.now() + 1), headers: decide)
        XCTAssertEqual(expiring.headers["X-Accel-Expires"], "0", "not kept past the cookies' expiry")
        XCTAssertEqual(get(a, "/media/avatars/a.png", cookie: try cookies(user: nil), headers: decide).status, 403)

        let unknown = get(a, "/media/avatars/a.png", query: "size=huge", cookie: try cookies())
        XCTAssertEqual(unknown.status, 404, "only configured sizes exist")
        XCTAssertEqual(try JSONParser().parse(unknown.body)["error"]?["message"], "no image size by that name; the sizes are small, thumb")
        XCTAssertEqual(get(a, "/media/avatars/a.png", query: "size=128x128", cookie: try cookies()).status, 404)
    }

    func testMediaNeedsTheSessionCookieOfAUserWhoIsNotRevoked() throws {
        let a = try app()
        XCTAssertEqual(get(a, "/media/avatars/a.png", cookie: try cookies(user: nil)).status, 403, "CloudFront cookies alone")
        let forged = try cookies().replacingOccurrences(of: "Presignd-Media=1.", with: "Presignd-Media=1.Ym9i")
        XCTAssertEqual(get(a, "/media/avatars/a.png", cookie: forged).status, 403, "a session whose MAC does not match")
        XCTAssertEqual(get(a, "/media/avatars/a.png", cookie: try cookies() + "; " + (try cookies(user: "bob")).split(separator: ";").last!.trimmingSpaces()).status,
                       403, "two sessions")

        let before = try cookies(issuedAt: clock.now() - 10)
        let bobs = try cookies(user: "bob", issuedAt: clock.now() - 10)
        XCTAssertEqual(get(a, "/media/avatars/a.png", cookie: before).status, 200)
        _ = try revocations.revoke(.user("alice"), cutoff: RevocationSubject.cutoff(revokedAt: clock.now()), reason: "left",
                                   audit: AuditEntry(actor: "ops", action: .userRevoke, resource: "user:alice", clientAddress: "", at: clock.now()))
        let refused = get(a, "/media/avatars/a.png", cookie: before)
        XCTAssertEqual(refused.status, 403, "issued before the cutoff")
        XCTAssertEqual(try JSONParser().parse(refused.body)["error"]?["message"], "access was revoked after these cookies were issued; sign in again")
        XCTAssertEqual(get(a, "/media/avatars/a.png", cookie: try cookies(), headers: [("X-Presignd-Media-Decide", "1")]).status, 403,
                       "issued in the second of the revocation: refused too")
        XCTAssertEqual(get(a, "/media/avatars/a.png", cookie: bobs).status, 200, "other users are unaffected")
        clock.advance(1)
        XCTAssertEqual(get(a, "/media/avatars/a.png", cookie: try cookies()).status, 200, "cookies issued after the cutoff (a new sign-in)")

        _ = try revocations.revoke(.cdnKey("K1"), cutoff: clock.now() + 1, reason: nil,
                                   audit: AuditEntry(actor: "ops", action: .cdnKeyRetire, resource: "cdn-key:K1", clientAddress: "", at: clock.now()))
        XCTAssertEqual(get(a, "/media/avatars/a.png", cookie: bobs).status, 403, "a retired key's cookies, whoever holds them")
    }

    func testTheImageCheckRefusesWhatTheImageFilterMustNotDecode() throws {
        let a = try app()
        let check = [("X-Presignd-Media-Check", "image")]
        func png(_ width: Int, _ height: Int) -> [UInt8] {
            func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
            return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8) + be32(width) + be32(height) + [8, 6, 0, 0, 0]
        }
        objects.state.withLock { s in
            s.objects["ok.png"] = ObjectHead(size: 5_000, contentType: "image/png")
            s.contents["ok.png"] = png(800, 600)
            s.objects["bomb.png"] = ObjectHead(size: 5_000, contentType: "image/png")
            s.contents["bomb.png"] = png(50_000, 50_000)
            s.objects["big.png"] = ObjectHead(size: 200_000, contentType: "image/png")
            s.contents["big.png"] = png(100, 100)
            s.objects["doc.pdf"] = ObjectHead(size: 5_000, contentType: "application/pdf")
        }
        // No cookies come with nginx's check: the decision before it has been made.
        XCTAssertEqual(get(a, "/media/ok.png", query: "size=thumb", cookie: nil, headers: check).status, 204)
        func refusal(_ key: String) -> (String?, String?) {
            let r = get(a, "/media/\(key)", query: "size=thumb", cookie: nil, headers: check)
            XCTAssertEqual(r.status, 403, "nginx's auth_request passes a 403 on")
            return (r.headers["X-Presignd-Media-Refusal"], r.headers["X-Presignd-Media-Refusal-Message"])
        }
        XCTAssertEqual(refusal("bomb.png").0, "413")
        XCTAssertEqual(refusal("bomb.png").1, "the image is 50000 x 50000 pixels; sizes are made from images of at most 1000000 pixels")
        XCTAssertEqual(refusal("big.png").1, "the image is 200000 bytes; sizes are made from images of at most 100000 bytes")
        XCTAssertEqual(refusal("doc.pdf").0, "415")
        XCTAssertEqual(refusal("gone.png").0, "404")
        for key in ["bomb.png", "big.png", "doc.pdf", "gone.png"] {
            let message = refusal(key).1 ?? ""
            XCTAssertTrue(message.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") },
                          "nginx puts it in a JSON string as it is: \(message)")
        }
        XCTAssertEqual(get(a, "/media/ok.png", cookie: nil, headers: check).status, 204, "nginx's check names the object alone")
        XCTAssertEqual(get(a, "/media/ok.png", query: "size=thumb", cookie: nil).status, 403, "without the check header, cookies are needed")
    }
}
