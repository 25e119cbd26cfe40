import Foundation
import Testing

/// `auth-url` through the real binary, against a real HTTP auth service (Python's http.server),
/// in the two setups users have: a Service URL, and oauth2-proxy's documented `$host` one.
@Suite(.serialized) struct ExternalAuthTests {
    /// An auth service in the manner of oauth2-proxy: `session=good` → 202 with the user (and a
    /// cookie), `session=token` → 200 with the user, `session=nocache` → 200 with `no-store`,
    /// `session=forbidden` → 403, `session=broken` → 500, else 401; `/oauth2/start` → 200.
    /// Every request's headers are appended to `log` as one JSON line.
    final class AuthService {
        let process: PythonProcess
        let log: URL
        var port: Int { self.process.port }

        init(address: String) throws {
            self.log = try TemporaryDirectory.make().appendingPathComponent("auth.log")
            let script = """
                import http.server, json, sys
                class H(http.server.BaseHTTPRequestHandler):
                    protocol_version = "HTTP/1.1"
                    def do_GET(self):
                        with open(sys.argv[3], "a") as f:
                            f.write(json.dumps({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}) + "\\n")
                        cookie = self.headers.get("Cookie", "")
                        if self.path.startswith("/oauth2/start"):
                            status, extra = 200, []
                        elif self.path.startswith("/moved"):
                            status, extra = 302, [("Location", "http://internal.local:8080/login?next=1")]
                        elif "session=good" in cookie:
                            status, extra = 202, [("X-Auth-Request-User", "alice"), ("X-Auth-Request-Email", "alice@example.com"), ("Set-Cookie", "session=good; Path=/; HttpOnly")]
                        elif "session=token" in cookie:
                            status, extra = 200, [("X-Auth-Request-User", "bob")]
                        elif "session=nocache" in cookie:
                            status, extra = 200, [("X-Auth-Request-User", "carol"), ("Cache-Control", "no-store")]
                        elif "session=forbidden" in cookie:
                            status, extra = 403, []
                        elif "session=broken" in cookie:
                            status, extra = 500, []
                        else:
                            status, extra = 401, [("WWW-Authenticate", 'Bearer realm="test"')]
                        body = b"auth"
                        self.send_response(status)
                        for k, v in extra: self.send_header(k, v)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                    do_POST = do_GET
                    def log_message(self, *args): pass
                http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
                """
            let log = self.log
            self.process = try PythonProcess(host: address) { ["-c", script, address, String($0), log.path] }
        }

        /// The headers of every request the service received, in order.
        var requests: [(path: String, headers: [String: String])] {
            PythonProcess.jsonLines(self.log).map { ($0["path"] as? String ?? "", $0["headers"] as? [String: String] ?? [:]) }
        }

        func stop() { self.process.stop() }
    }

    @Test func aServiceURLDecidesEveryRequest() async throws {
        let backends = try await TestBackends(addresses: ["127.0.65.1"], page: "x")
        let auth = try AuthService(address: "127.0.65.2")
        defer { auth.stop() }
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.65.1"])
                + RulesDirectory.service("authsvc", port: auth.port, ready: ["127.0.65.2"])
                + RulesDirectory.ingress(
                    "by-service", host: "app.test", paths: [("/", "Prefix", "app")],
                    annotations: [
                        "auth-url": "http://authsvc.default.svc.cluster.local/verify",
                        "auth-response-headers": "X-Auth-Request-User, X-Auth-Request-Email",
                    ])
                + RulesDirectory.ingress(
                    "by-address", host: "addr.test", paths: [("/", "Prefix", "app")],
                    annotations: ["auth-url": "http://127.0.65.2:\(auth.port)/verify", "auth-method": "POST"]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--allow-loopback-external-names"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)

        let anonymous = try curl.get("app.test", "/page?x=1")
        #expect(anonymous.status == 401)
        #expect(anonymous.headers["www-authenticate"] == "Bearer realm=\"test\"")
        let sent = try #require(auth.requests.last)
        #expect(sent.path == "/verify")
        #expect(sent.headers["host"] == "authsvc.default.svc.cluster.local")
        #expect(sent.headers["x-original-url"] == "http://app.test:\(portico.port)/page?x=1")
        #expect(sent.headers["x-original-method"] == "GET")
        #expect(sent.headers["x-sent-from"] == "nginx-ingress-controller")
        #expect(sent.headers["x-auth-request-redirect"] == "/page?x=1")
        #expect(sent.headers["content-length"] == nil)

        let allowed = try curl.get("app.test", "/page", ["-H", "Cookie: session=good", "-H", "X-Auth-Request-User: mallory"])
        #expect(allowed.status == 200)
        #expect(allowed.report["header x-auth-request-user"] == "alice")  // the auth answer's, never the client's
        #expect(allowed.report["header x-auth-request-email"] == "alice@example.com")
        #expect(allowed.headers["set-cookie"] == "session=good; Path=/; HttpOnly")
        #expect(try curl.get("app.test", "/", ["-H", "Cookie: session=forbidden"]).status == 403)
        #expect(try curl.get("app.test", "/", ["-H", "Cookie: session=broken"]).status == 500)
        // A request body waits for the verdict, then goes whole.
        let posted = try curl.get("app.test", "/upload", ["-H", "Cookie: session=good", "--data-binary", "hello body"])
        #expect(posted.status == 200)
        #expect(posted.report["body-bytes"] == "10")

        // By address, with auth-method: POST and the extra X-Original-URI / X-Scheme.
        #expect(try curl.get("addr.test", "/", ["-H", "Cookie: session=good"]).status == 200)
        #expect(auth.requests.last?.headers["x-original-uri"] == "/")
        #expect(auth.requests.last?.headers["x-scheme"] == "http")
        portico.terminate()
        await backends.stop()
    }

    /// oauth2-proxy's documented setup: `auth-url: https://$host/oauth2/auth` and
    /// `auth-signin: https://$host/oauth2/start?rd=$escaped_request_uri`, with oauth2-proxy served
    /// by its own Ingress on the same host.
    @Test func oauth2ProxysDocumentedSetup() async throws {
        let backends = try await TestBackends(addresses: ["127.0.66.1"], page: "x")
        let proxy = try AuthService(address: "127.0.66.2")
        defer { proxy.stop() }
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.66.1"])
                + RulesDirectory.service("oauth2-proxy", port: proxy.port, ready: ["127.0.66.2"])
                + RulesDirectory.ingress(
                    "app", host: "app.test", paths: [("/", "Prefix", "app")],
                    annotations: [
                        "auth-url": "https://$host/oauth2/auth",
                        "auth-signin": "https://$host/oauth2/start?rd=$escaped_request_uri",
                        "auth-response-headers": "X-Auth-Request-User",
                    ])
                + RulesDirectory.ingress("oauth2-proxy", host: "app.test", paths: [("/oauth2", "Prefix", "oauth2-proxy")]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)

        let redirected = try curl.get("app.test", "/dashboard?tab=2")
        #expect(redirected.status == 302)
        #expect(redirected.headers["location"] == "https://app.test/oauth2/start?rd=%2Fdashboard%3Ftab%3D2")
        #expect(proxy.requests.last?.path == "/oauth2/auth")
        #expect(try curl.get("app.test", "/oauth2/start?rd=%2F").status == 200)  // the sign-in itself is not protected
        let signedIn = try curl.get("app.test", "/dashboard", ["-H", "Cookie: session=good"])
        #expect(signedIn.status == 200)
        #expect(signedIn.report["header x-auth-request-user"] == "alice")
        portico.terminate()
        await backends.stop()
    }

    /// `proxy-redirect-from`/`-to`: the upstream's own address in a `Location` is replaced.
    /// `auth-cache-key`/`auth-cache-duration`: a verdict is reused for the same key while its
    /// status's duration lasts, unless the answer sets a cookie or forbids caching (nginx's
    /// proxy_cache rules); `auth-proxy-set-headers` adds fields to the sub-request.
    @Test func verdictsAreCachedPerKeyAndExtraHeadersSent() async throws {
        let backends = try await TestBackends(addresses: ["127.0.65.5"], page: "x")
        let auth = try AuthService(address: "127.0.65.6")
        defer { auth.stop() }
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.65.5"])
                + RulesDirectory.service("authsvc", port: auth.port, ready: ["127.0.65.6"])
                + ControllerSettingsTests.headers("default", "auth-extra", ["X-Cluster": "east"])
                + RulesDirectory.ingress(
                    "cached", host: "cached.test", paths: [("/", "Prefix", "app")],
                    annotations: [
                        "auth-url": "http://authsvc.default.svc.cluster.local/verify", "auth-response-headers": "X-Auth-Request-User",
                        "auth-cache-key": "$cookie_session", "auth-cache-duration": "200 401 30s", "auth-proxy-set-headers": "auth-extra",
                    ]),
        ])
        // One event loop: verdicts are cached per loop (each loop asks once per key).
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--workers", "1"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        func hits(_ session: String) -> Int { auth.requests.filter { $0.headers["cookie"] == "session=\(session)" }.count }

        for _ in 0..<3 {
            let answer = try curl.get("cached.test", "/", ["-H", "Cookie: session=token", "-H", "X-Cluster: west"])
            #expect(answer.status == 200)
            #expect(answer.report["header x-auth-request-user"] == "bob", "the cached verdict still copies its headers")
        }
        #expect(hits("token") == 1)
        #expect(auth.requests.first { $0.path == "/verify" }?.headers["x-cluster"] == "east", "auth-proxy-set-headers replaces the client's field")
        for _ in 0..<2 {
            let denied = try curl.get("cached.test", "/", ["-H", "Cookie: session=stranger"])
            #expect(denied.status == 401)
            #expect(denied.headers["www-authenticate"] == "Bearer realm=\"test\"")
        }
        #expect(hits("stranger") == 1, "401 is in the durations")
        _ = try curl.get("cached.test", "/", ["-H", "Cookie: session=forbidden"])
        _ = try curl.get("cached.test", "/", ["-H", "Cookie: session=forbidden"])
        #expect(hits("forbidden") == 2, "403 is not")
        for session in ["nocache", "good"] {
            _ = try curl.get("cached.test", "/", ["-H", "Cookie: session=\(session)"])
            _ = try curl.get("cached.test", "/", ["-H", "Cookie: session=\(session)"])
            #expect(hits(session) == 2, "\(session): not cacheable")
        }
        portico.terminate()
        await backends.stop()
    }

    @Test func proxyRedirectRewritesTheLocation() async throws {
        let service = try AuthService(address: "127.0.71.2")
        defer { service.stop() }
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: service.port, ready: ["127.0.71.2"])
                + RulesDirectory.ingress(
                    "app", host: "public.test", paths: [("/", "Prefix", "app")],
                    annotations: ["proxy-redirect-from": "http://internal.local:8080/", "proxy-redirect-to": "https://public.test/"])
                + RulesDirectory.ingress("plain", host: "plain.test", paths: [("/", "Prefix", "app")]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        #expect(try curl.get("public.test", "/moved").headers["location"] == "https://public.test/login?next=1")
        #expect(try curl.get("plain.test", "/moved").headers["location"] == "http://internal.local:8080/login?next=1")  // default: off
    }
}
