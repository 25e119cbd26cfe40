import Foundation
import Testing

/// Gateway API objects read from files and served by the real binary: HTTPRoute matching and
/// precedence, filters, weighted and unresolved backendRefs (500), ReferenceGrant, listener
/// hostnames and HTTPS listeners, with the conformance suite's request/response checks as the
/// model (gateway-api `conformance/tests/httproute-*`).
@Suite(.serialized) struct GatewayAPITests {
    static let v1 = "127.0.64.1"
    static let v2 = "127.0.64.2"
    static let shared = "127.0.64.3"

    /// The `gw-cert` TLS Secret (the development `*.nip.io` certificate) and our GatewayClass
    /// `portico`, as YAML documents.
    static func certificateAndClass() throws -> String {
        let certs = PorticoProcess.repositoryRoot.appendingPathComponent("certs")
        func base64(_ file: String) throws -> String { try Data(contentsOf: certs.appendingPathComponent(file)).base64EncodedString() }
        return """
            apiVersion: v1
            kind: Secret
            metadata: {name: gw-cert}
            type: kubernetes.io/tls
            data: {tls.crt: \(try base64("nip-io.crt")), tls.key: \(try base64("nip-io.key"))}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: portico}
            spec: {controllerName: portico.dev/gateway-controller}
            ---

            """
    }

    static func manifests(port: Int) throws -> String {
        let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        return RulesDirectory.service("v1", port: port, ready: [Self.v1]) + RulesDirectory.service("v2", port: port, ready: [Self.v2])
            + RulesDirectory.service("pair", port: port, ready: [Self.v1, Self.v2]) + """
            apiVersion: v1
            kind: Service
            metadata: {name: common, namespace: shared}
            spec: {ports: [{port: 80, targetPort: \(port)}]}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: common, namespace: shared}
            subsets: [{addresses: [{ip: \(Self.shared)}], ports: [{port: \(port)}]}]
            ---
            \(try Self.certificateAndClass())apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: someone-else}
            spec: {controllerName: example.com/other}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: web}
            spec:
              gatewayClassName: portico
              listeners:
              - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
              - {name: https, protocol: HTTPS, port: 443, hostname: "*.nip.io", tls: {certificateRefs: [{name: gw-cert}]}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: foreign}
            spec:
              gatewayClassName: someone-else
              listeners: [{name: http, protocol: HTTP, port: 80}]
            ---
            \(route)metadata: {name: matching}
            spec:
              parentRefs: [{name: web, sectionName: http}]
              hostnames: [match.test]
              rules:
              - backendRefs: [{name: v1, port: 80}]
              - matches: [{headers: [{name: X-Version, value: two}]}]
                backendRefs: [{name: v2, port: 80}]
              - matches: [{path: {type: Exact, value: /exact}}]
                backendRefs: [{name: v2, port: 80}]
              - matches: [{path: {value: /q}, queryParams: [{name: v, value: "2"}]}]
                backendRefs: [{name: v2, port: 80}]
              - matches: [{path: {value: /m}, method: POST}]
                backendRefs: [{name: v2, port: 80}]
              - matches: [{path: {type: RegularExpression, value: "/re/[0-9]+"}}]
                backendRefs: [{name: v2, port: 80}]
              - matches: [{path: {value: /either/one}}, {path: {value: /either/two}}]
                backendRefs: [{name: v2, port: 80}]
            ---
            \(route)metadata: {name: filters}
            spec:
              parentRefs: [{name: web}]
              hostnames: [filters.test]
              rules:
              - matches: [{path: {value: /headers}}]
                filters:
                - type: RequestHeaderModifier
                  requestHeaderModifier:
                    set: [{name: X-Set, value: one}]
                    add: [{name: X-Add, value: two}]
                    remove: [X-Remove]
                - type: ResponseHeaderModifier
                  responseHeaderModifier:
                    set: [{name: X-Answer, value: set-by-route}]
                    remove: [Content-Type]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{path: {value: /old}}]
                filters: [{type: URLRewrite, urlRewrite: {hostname: rewritten.test, path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{path: {value: /strip}}]
                filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{path: {value: /full}}]
                filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /replaced}}}]
                backendRefs: [{name: v1, port: 80}]
              - matches: [{path: {value: /secure}}]
                filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
              - matches: [{path: {value: /elsewhere}}]
                filters: [{type: RequestRedirect, requestRedirect: {hostname: other.test, port: 8443, path: {type: ReplacePrefixMatch, replacePrefixMatch: /to}}}]
              - matches: [{path: {value: /host-only}}]
                filters: [{type: RequestRedirect, requestRedirect: {hostname: moved.test}}]
            ---
            \(route)metadata: {name: split}
            spec:
              parentRefs: [{name: web}]
              hostnames: [split.test]
              rules:
              - matches: [{path: {value: /half}}]
                backendRefs: [{name: v1, port: 80}, {name: does-not-exist, port: 80}]
              - matches: [{path: {value: /weighted}}]
                backendRefs: [{name: v1, port: 80, weight: 3}, {name: v2, port: 80, weight: 1}]
              - matches: [{path: {value: /zero}}]
                backendRefs: [{name: v1, port: 80, weight: 0}]
              - matches: [{path: {value: /none}}]
              - matches: [{path: {value: /kind}}]
                backendRefs: [{group: example.com, kind: Bucket, name: v1}]
              - matches: [{path: {value: /crossed}}]
                backendRefs: [{name: common, namespace: shared, port: 80}]
              - matches: [{path: {value: /per-backend}}]
                filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Rule, value: rule}]}}]
                backendRefs:
                - name: v1
                  port: 80
                  filters:
                  - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Backend, value: v1}]}}
                  - {type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: X-Served-By, value: v1}]}}
                - name: v2
                  port: 80
                  filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Backend, value: v2}, {name: X-Rule, value: backend}]}}]
              - matches: [{path: {value: /backend-rewrite}}]
                backendRefs: [{name: v1, port: 80, filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /x}}}]}]
            ---
            \(route)metadata: {name: granted, namespace: team}
            spec:
              parentRefs: [{name: web, namespace: default}]
              hostnames: [granted.test]
              rules: [{backendRefs: [{name: common, namespace: shared, port: 80}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: ReferenceGrant
            metadata: {name: team-may-use-common, namespace: shared}
            spec:
              from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team}]
              to: [{group: "", kind: Service, name: common}]
            ---
            \(route)metadata: {name: other-namespace, namespace: team}
            spec:
              parentRefs: [{name: web, namespace: default}]
              hostnames: [team.test]
              rules: [{backendRefs: [{name: common, namespace: shared, port: 80}]}]
            ---
            \(route)metadata: {name: secure-shop}
            spec:
              parentRefs: [{name: web, sectionName: https}]
              hostnames: [shop.nip.io, shop.example.com]
              rules: [{backendRefs: [{name: v2, port: 80}]}]
            ---
            \(route)metadata: {name: wildcard}
            spec:
              parentRefs: [{name: web, sectionName: http}]
              hostnames: ["*.wild.test"]
              rules: [{backendRefs: [{name: v1, port: 80}]}]
            ---
            \(route)metadata: {name: mismatched}
            spec:
              parentRefs: [{name: web, sectionName: https}]
              hostnames: [only.example.com]
              rules: [{backendRefs: [{name: v1, port: 80}]}]
            ---
            \(route)metadata: {name: not-ours}
            spec:
              parentRefs: [{name: foreign}]
              hostnames: [foreign.test]
              rules: [{backendRefs: [{name: v1, port: 80}]}]
            ---
            \(route)metadata: {name: retrying}
            spec:
              parentRefs: [{name: web}]
              hostnames: [retry.test]
              rules:
              - matches: [{path: {value: /again}}]
                retry: {attempts: 1, codes: [503], backoff: 100ms}
                backendRefs: [{name: pair, port: 80}]
              - matches: [{path: {value: /other-code}}]
                retry: {attempts: 1, codes: [500]}
                sessionPersistence: {sessionName: s, type: Cookie}
                backendRefs: [{name: pair, port: 80}]
            ---
            \(route)metadata: {name: deadline}
            spec:
              parentRefs: [{name: web}]
              hostnames: [timeout.test]
              rules: [{timeouts: {request: 500ms}, backendRefs: [{name: v1, port: 80}]}]
            ---
            \(route)metadata: {name: exact-only}
            spec:
              parentRefs: [{name: web}]
              hostnames: [exact.test]
              rules: [{matches: [{path: {type: Exact, value: /only}}], backendRefs: [{name: v1, port: 80}]}]

            """
    }

    @Test func routesMatchFilterAndSplitAsTheGatewayAPISays() async throws {
        let backends = try await TestBackends(addresses: [Self.v1, Self.v2, Self.shared], page: "gw")
        let rules = try RulesDirectory(["gateway.yaml": try Self.manifests(port: backends.port)])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        var curl = Curl(port: portico.port)
        curl.httpsPort = portico.httpsPort
        func endpoint(_ host: String, _ path: String, _ arguments: [String] = []) throws -> String? {
            try curl.get(host, path, arguments).report["endpoint"].map { String($0.split(separator: ":")[0]) }
        }

        // Matching and precedence: a header, query or method match beats the same path without;
        // Exact beats Prefix; a regex matches the whole path; values are case-sensitive.
        #expect(try endpoint("match.test", "/") == Self.v1)
        #expect(try endpoint("match.test", "/", ["-H", "X-Version: two"]) == Self.v2)
        #expect(try endpoint("match.test", "/", ["-H", "x-version: two"]) == Self.v2)  // names case-insensitive
        #expect(try endpoint("match.test", "/", ["-H", "X-Version: TWO"]) == Self.v1)
        #expect(try endpoint("match.test", "/exact") == Self.v2)
        #expect(try endpoint("match.test", "/exact/more") == Self.v1)
        #expect(try endpoint("match.test", "/q?v=2") == Self.v2)
        #expect(try endpoint("match.test", "/q?a=1&v=2") == Self.v2)
        #expect(try endpoint("match.test", "/q?v=3") == Self.v1)
        #expect(try endpoint("match.test", "/m", ["-X", "POST"]) == Self.v2)
        #expect(try endpoint("match.test", "/m") == Self.v1)
        #expect(try endpoint("match.test", "/re/123") == Self.v2)
        #expect(try endpoint("match.test", "/re/12a") == Self.v1)
        #expect(try endpoint("match.test", "/either/two/x") == Self.v2)
        #expect(try endpoint("match.test", "/either/three") == Self.v1)
        // Attached to the HTTP listener only: not served over HTTPS (no certificate names it either).
        #expect(try curl.get("exact.test", "/other").status == 404)
        #expect(try endpoint("exact.test", "/only") == Self.v1)

        // Header modifiers, both ways.
        let headers = try curl.get("filters.test", "/headers", ["-H", "X-Set: client", "-H", "X-Add: client", "-H", "X-Remove: gone"])
        #expect(headers.status == 200)
        #expect(headers.report["header x-set"] == "one")
        #expect(headers.body.contains("header: x-add: client\n") && headers.body.contains("header: x-add: two\n"))
        #expect(headers.report["header x-remove"] == nil)
        #expect(headers.headers["x-answer"] == "set-by-route")
        #expect(headers.headers["content-type"] == nil)
        // URL rewrites: the prefix, the host, the full path; the query stays.
        let rewritten = try curl.get("filters.test", "/old/page?x=1")
        #expect(rewritten.report["path"] == "/new/page?x=1")
        #expect(rewritten.report["header host"] == "rewritten.test")
        #expect(try curl.get("filters.test", "/old").report["path"] == "/new")
        #expect(try curl.get("filters.test", "/strip/a/b").report["path"] == "/a/b")
        #expect(try curl.get("filters.test", "/strip").report["path"] == "/")
        #expect(try curl.get("filters.test", "/full/deep?a=b").report["path"] == "/replaced?a=b")
        // Redirects: the scheme's own port is left out; a port given is written; without a
        // scheme, the listener's port (80) is the scheme's and left out too.
        let secure = try curl.get("filters.test", "/secure/x?y=1")
        #expect(secure.status == 301)
        #expect(secure.headers["location"] == "https://filters.test/secure/x?y=1")
        let elsewhere = try curl.get("filters.test", "/elsewhere/x")
        #expect(elsewhere.status == 302)
        #expect(elsewhere.headers["location"] == "http://other.test:8443/to/x")
        #expect(try curl.get("filters.test", "/host-only/p").headers["location"] == "http://moved.test/host-only/p")

        // Backends: an unresolved share answers its proportion with 500; weights split; a
        // rule with no usable backend answers 500.
        var statuses: [Int: Int] = [:]
        for _ in 0..<40 { statuses[try curl.get("split.test", "/half").status, default: 0] += 1 }
        #expect(statuses[200, default: 0] > 5 && statuses[500, default: 0] > 5 && statuses.keys.count == 2)
        var endpoints: [String: Int] = [:]
        for _ in 0..<40 { endpoints[try endpoint("split.test", "/weighted") ?? "none", default: 0] += 1 }
        #expect(endpoints[Self.v1, default: 0] > endpoints[Self.v2, default: 0] && endpoints[Self.v2, default: 0] > 0)
        #expect(try curl.get("split.test", "/zero").status == 500)
        #expect(try curl.get("split.test", "/none").status == 500)
        #expect(try curl.get("split.test", "/kind").status == 500)
        // A backendRef's own header filters act on its share only, over the rule's (the
        // conformance suite's HTTPRouteBackendRequestHeaderModifier); a filter a backendRef
        // cannot carry makes its share 500, not a silently unfiltered request.
        var seen: Set<String> = []
        for _ in 0..<30 {
            let answer = try curl.get("split.test", "/per-backend")
            let served = answer.report["endpoint"].map { String($0.split(separator: ":")[0]) }
            if served == Self.v1 {
                #expect(answer.report["header backend"] == "v1" && answer.report["header x-rule"] == "rule")
                #expect(answer.headers["x-served-by"] == "v1")
            } else {
                #expect(served == Self.v2)
                #expect(answer.report["header backend"] == "v2" && answer.report["header x-rule"] == "backend")
                #expect(answer.headers["x-served-by"] == nil)
            }
            seen.insert(served ?? "none")
        }
        #expect(seen == [Self.v1, Self.v2])
        #expect(try curl.get("split.test", "/backend-rewrite").status == 500)
        // `retry` (GEP-1731): an answer with a listed status is retried on the next endpoint,
        // one that is not listed is relayed.
        var retried: [Int: Int] = [:]
        var relayed: [Int: Int] = [:]
        for _ in 0..<8 {
            retried[try curl.get("retry.test", "/again/__fail-on/\(Self.v1)/503").status, default: 0] += 1
            relayed[try curl.get("retry.test", "/other-code/__fail-on/\(Self.v1)/503").status, default: 0] += 1
        }
        #expect(retried == [200: 8], "\(retried)")
        #expect(relayed[503, default: 0] > 0 && relayed[200, default: 0] > 0, "\(relayed)")
        // `timeouts.request: 500ms`, to the millisecond: an answer that takes a second is a
        // 504 within the bound (HTTPRouteRequestTimeout), a quick one passes.
        let started = Date()
        #expect(try curl.get("timeout.test", "/__sleep/1000").status == 504)
        #expect(Date().timeIntervalSince(started) < 0.95)
        #expect(try curl.get("timeout.test", "/__sleep/10").status == 200)
        // Another namespace's Service: only where a ReferenceGrant there allows it.
        #expect(try curl.get("split.test", "/crossed").status == 500)
        #expect(try curl.get("team.test", "/").status == 200)
        #expect(try endpoint("granted.test", "/") == Self.shared)

        // Hostnames: a route's wildcard stands for any depth; a route whose hostnames no listener
        // serves, or whose Gateway is another controller's, is not served.
        #expect(try endpoint("a.b.wild.test", "/") == Self.v1)
        #expect(try curl.get("wild.test", "/").status == 404)
        #expect(try curl.get("only.example.com", "/", ["-k"], tls: true).status == 404)
        #expect(try curl.get("foreign.test", "/").status == 404)
        #expect(try curl.get("nowhere.test", "/").status == 404)

        // The HTTPS listener: its certificate by SNI, its routes; not on plain HTTP.
        let shop = try curl.get("shop.nip.io", "/", tls: true)
        #expect(shop.status == 200)
        #expect(shop.report["endpoint"]?.hasPrefix(Self.v2) == true)
        #expect(try curl.get("shop.nip.io", "/").status == 404)
        #expect(try curl.get("shop.example.com", "/", ["-k"], tls: true).status == 404)  // not the listener's hostname

        // What was refused is said, naming the object and field.
        let log = portico.log
        #expect(log.contains("HTTPRoute default/mismatched") && log.contains("NoMatchingListenerHostname"))
        #expect(log.contains("HTTPRoute default/split") && log.contains("spec.rules[5].backendRefs[0]") && log.contains("RefNotPermitted"))
        #expect(log.contains("spec.rules[4].backendRefs[0]") && log.contains("InvalidKind"))
        #expect(log.contains("spec.rules[7].backendRefs[0].filters[0]") && log.contains("URLRewrite is not supported on a backendRef"))
        #expect(log.contains("spec.rules[0].retry.backoff") && log.contains("a pause between retries is not implemented"))
        #expect(log.contains("spec.rules[1].sessionPersistence") && log.contains("not implemented: ignored"))
        portico.terminate()
        await backends.stop()
    }
    /// A Service port with `appProtocol: kubernetes.io/h2c` gets HTTP/2 with prior knowledge
    /// (GEP-1911; the conformance suite's HTTPRouteBackendProtocolH2C), here nginx with
    /// `listen … http2` on a plain port, which says the protocol it was asked in; another
    /// appProtocol stays HTTP/1.1.
    @Test func anH2CAppProtocolBackendIsSpokenToInHTTP2() async throws {
        let nginx = try NginxProcess { port in
            #"server { listen 127.0.0.1:\#(port) http2; location / { return 200 "$server_protocol $host $request_uri\n"; } }"#
        }
        defer { nginx.stop() }
        let nginxPort = nginx.port
        func service(_ name: String, appProtocol: String) -> String {
            """
            apiVersion: v1
            kind: Service
            metadata: {name: \(name)}
            spec: {ports: [{port: 80, targetPort: \(nginxPort), appProtocol: \(appProtocol)}]}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: \(name)}
            subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{port: \(nginxPort)}]}]
            ---

            """
        }
        let rules = try RulesDirectory([
            "h2c.yaml": service("cleartext", appProtocol: "kubernetes.io/h2c") + service("plain", appProtocol: "http") + (try Self.certificateAndClass()) + """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: web}
                spec: {gatewayClassName: portico, listeners: [{name: http, protocol: HTTP, port: 80}]}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: h2c}
                spec:
                  parentRefs: [{name: web}]
                  hostnames: [h2c.test]
                  rules:
                  - matches: [{path: {value: /plain}}]
                    backendRefs: [{name: plain, port: 80}]
                  - backendRefs: [{name: cleartext, port: 80}]

                """,
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        #expect(LiveReloadTests.eventually(5) { (try? curl.get("h2c.test", "/warm").status) == 200 }, "\(portico.log)")
        let answer = try curl.get("h2c.test", "/some/path?x=1")
        #expect(answer.status == 200)
        #expect(answer.body == "HTTP/2.0 h2c.test /some/path?x=1\n", "\(answer.body)")
        // nginx's plain-port http2 speaks only HTTP/2: an HTTP/1.1 request is refused.
        #expect(try curl.get("h2c.test", "/plain").status == 502)
        portico.terminate()
    }
}
