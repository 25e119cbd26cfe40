import Foundation
import PorticoConfig
import PorticoDiagnostics
import PorticoKube
import PorticoRouting
import Testing

/// Gateway API objects compiled into the routing table, without sockets: precedence,
/// rewrites, timeouts, what is refused and how decoding names the field.
@Suite struct GatewayCompilerTests {
    static let header = """
        apiVersion: v1
        kind: Service
        metadata: {name: a}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: a}
        subsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 8080}]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: b}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: b}
        subsets: [{addresses: [{ip: 10.0.0.2}], ports: [{port: 8080}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: portico}
        spec: {controllerName: portico.dev/gateway-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw}
        spec:
          gatewayClassName: portico
          listeners: [{name: http, protocol: HTTP, port: 8080}]
        ---

        """

    /// The first lines of an HTTPRoute manifest.
    static let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"

    static func compile(_ text: String) -> (output: IngressCompiler.Output, issues: [Diagnostic]) {
        let decoded = ManifestDecoder.decode(file: "gw.yaml", text: Self.header + text)
        var state = ClusterState()
        for (object, _) in decoded.objects { state.add(object) }
        return (IngressCompiler.compile(state), decoded.issues)
    }

    static func run(_ output: IngressCompiler.Output, _ url: String, headers: [String: String] = [:]) -> SimulatedOutcome {
        var request = try! OfflineRequest.parse(url).get()
        request.headers = headers
        return RequestSimulation.run(request, snapshot: output.snapshot)
    }

    @Test func precedenceAcrossRoutesIsTheSpecs() {
        // Two routes on one host: the newer one's header match beats the older one's plain
        // prefix of the same length; a longer prefix beats both; an older route wins a tie.
        let (output, issues) = Self.compile("""
            \(Self.route)metadata: {name: older, creationTimestamp: "2026-01-01T00:00:00Z"}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [p.test]
              rules:
              - matches: [{path: {value: /api}}]
                backendRefs: [{name: a, port: 80}]
              - matches: [{path: {value: /api}, method: GET}]
                backendRefs: [{name: a, port: 80}]
            ---
            \(Self.route)metadata: {name: newer, creationTimestamp: "2026-02-01T00:00:00Z"}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [p.test]
              rules:
              - matches: [{path: {value: /api}, headers: [{name: x-env, value: canary}]}]
                backendRefs: [{name: b, port: 80}]
              - matches: [{path: {value: /api/v2}}]
                backendRefs: [{name: b, port: 80}]
              - matches: [{path: {value: /api}, method: GET}]
                backendRefs: [{name: b, port: 80}]
            """)
        #expect(issues.isEmpty)
        #expect(output.diagnostics.filter { $0.severity == .error }.isEmpty)
        #expect(Self.run(output, "GET http://p.test/api/x").service == "default/a:80")  // older route's method match
        #expect(Self.run(output, "POST http://p.test/api/x").service == "default/a:80")
        // The method beats the header: a method match ranks before header matches.
        #expect(Self.run(output, "GET http://p.test/api", headers: ["X-Env": "canary"]).service == "default/a:80")
        #expect(Self.run(output, "POST http://p.test/api", headers: ["X-Env": "canary"]).service == "default/b:80")
        #expect(Self.run(output, "GET http://p.test/api/v2/z").service == "default/b:80")
        #expect(Self.run(output, "GET http://p.test/other").status == 404)
    }

    @Test func hostnamesIntersectWithTheListeners() {
        let (output, _) = Self.compile("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: narrow}
            spec:
              gatewayClassName: portico
              listeners: [{name: http, protocol: HTTP, port: 80, hostname: "*.example.com"}]
            ---
            \(Self.route)metadata: {name: r}
            spec:
              parentRefs: [{name: narrow}]
              hostnames: ["*.com", "exact.example.com", "other.org"]
              rules: [{backendRefs: [{name: a, port: 80}]}]
            """)
        let hosts = Set(output.snapshot.routes.listed.map(\.host))
        // `*.com` narrows to the listener's `*.example.com`; other.org does not attach.
        #expect(hosts == ["*.example.com", "exact.example.com"])
        #expect(Self.run(output, "http://deep.sub.example.com/").service == "default/a:80")
        #expect(Self.run(output, "http://example.com/").status == 404)
        #expect(Self.run(output, "http://other.org/").status == 404)
    }

    @Test func prefixRewritesFollowTheSpecsTable() {
        // gateway.networking.k8s.io/v1 HTTPPathModifier.ReplacePrefixMatch, row by row.
        let rows: [(path: String, prefix: String, replacement: String, expected: String)] = [
            ("/foo/bar", "/foo", "/xyz", "/xyz/bar"), ("/foo/bar", "/foo", "/xyz/", "/xyz/bar"),
            ("/foo/bar", "/foo/", "/xyz", "/xyz/bar"), ("/foo/bar", "/foo/", "/xyz/", "/xyz/bar"),
            ("/foo", "/foo", "/xyz", "/xyz"), ("/foo/", "/foo", "/xyz", "/xyz/"),
            ("/foo/bar", "/foo", "", "/bar"), ("/foo/", "/foo", "", "/"), ("/foo", "/foo", "", "/"),
            ("/foo/", "/foo", "/", "/"), ("/foo", "/foo", "/", "/"), ("/any/thing", "/", "/base", "/base/any/thing"),
        ]
        for row in rows {
            let (output, _) = Self.compile("""
                \(Self.route)metadata: {name: r}
                spec:
                  parentRefs: [{name: gw}]
                  rules:
                  - matches: [{path: {value: "\(row.prefix)"}}]
                    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: "\(row.replacement)"}}}]
                    backendRefs: [{name: a, port: 80}]
                """)
            #expect(Self.run(output, "http://any.test\(row.path)?q=1").upstreamPath == row.expected + "?q=1", "\(row)")
        }
    }

    @Test func timeoutsBoundTheUpstreamWait() {
        let (output, _) = Self.compile("""
            \(Self.route)metadata: {name: r}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [t.test]
              rules:
              - matches: [{path: {value: /slow}}]
                timeouts: {request: 1m30s}
                backendRefs: [{name: a, port: 80}]
              - matches: [{path: {value: /fast}}]
                timeouts: {request: 10s, backendRequest: 500ms}
                backendRefs: [{name: a, port: 80}]
            """)
        #expect(output.snapshot.routes.resolve(host: "t.test", path: "/slow")?.policy.readTimeoutMilliseconds == 90_000)
        // backendRequest, the per-try bound, is the one an attempt waits; kept to the millisecond.
        #expect(output.snapshot.routes.resolve(host: "t.test", path: "/fast")?.policy.readTimeoutMilliseconds == 500)
    }

    @Test func retriesBecomeTheRoutesNextUpstream() {
        let (output, issues) = Self.compile("""
            \(Self.route)metadata: {name: r}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [r.test]
              rules:
              - matches: [{path: {value: /twice}}]
                retry: {attempts: 2, codes: [502, 503]}
                backendRefs: [{name: a, port: 80}]
              - matches: [{path: {value: /never}}]
                retry: {attempts: 0}
                backendRefs: [{name: a, port: 80}]
            ---
            \(Self.route)metadata: {name: bad-code}
            spec:
              parentRefs: [{name: gw}]
              rules: [{retry: {codes: [302]}, backendRefs: [{name: a, port: 80}]}]
            ---
            \(Self.route)metadata: {name: bad-attempts}
            spec:
              parentRefs: [{name: gw}]
              rules: [{retry: {attempts: -1}, backendRefs: [{name: a, port: 80}]}]
            """)
        let twice = output.snapshot.routes.resolve(host: "r.test", path: "/twice")?.policy.nextUpstream
        #expect(twice?.tries == 3 && twice?.statuses == [502, 503] && twice?.onError == true && twice?.onTimeout == true)
        #expect(output.snapshot.routes.resolve(host: "r.test", path: "/never")?.policy.nextUpstream.tries == 1)
        func said(_ object: String, _ field: String, _ text: String) -> Bool {
            (output.diagnostics + issues).contains { $0.object == object && $0.field == field && $0.message.contains(text) }
        }
        #expect(said("HTTPRoute default/bad-code", "spec.rules[0].retry.codes[0]", "between 400 and 599"))
        #expect(said("HTTPRoute default/bad-attempts", "spec.rules[0].retry.attempts", "must not be negative"))
    }

    @Test func aBackendRefsHeaderFiltersLayerOverTheRulesForItsShareOnly() {
        let (output, _) = Self.compile("""
            \(Self.route)metadata: {name: r}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [s.test]
              rules:
              - filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Rule, value: rule}, {name: X-Both, value: rule}]}}]
                backendRefs:
                - name: a
                  port: 80
                  filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Both, value: backend}]}}]
                - {name: b, port: 80}
            """)
        let shares = output.snapshot.routes.resolve(host: "s.test", path: "/")?.policy.backendSplit?.shares ?? []
        #expect(shares.count == 2)
        let own = String(decoding: shares.first?.headers?.requestLines ?? [], as: UTF8.self)
        #expect(own.contains("X-Rule: rule\r\n") && own.contains("X-Both: backend\r\n") && !own.contains("X-Both: rule"), "\(own)")
        #expect(shares.last?.headers == nil)  // the rule's, from the route's policy
        #expect(Self.run(output, "http://s.test/").shares == ["default/a:80 weight 1 (its own header filters)", "default/b:80 weight 1"])
    }

    @Test func whatCannotBeServedIsSaid() {
        let (output, issues) = Self.compile("""
            \(Self.route)metadata: {name: r}
            spec:
              parentRefs: [{name: gw}, {name: gw, sectionName: nope}]
              hostnames: [u.test]
              rules:
              - matches: [{path: {value: /ext}}]
                filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Thing, name: x}}]
                backendRefs: [{name: a, port: 80}]
              - matches: [{path: {value: /mirror}}]
                filters: [{type: RequestMirror, requestMirror: {backendRef: {name: b}}}]
                backendRefs: [{name: a, port: 80}]
              - matches: [{path: {type: Exact, value: /exact}}]
                filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}}}]
                backendRefs: [{name: a, port: 80}]
              - matches: [{path: {type: RegularExpression, value: "/bad("}}]
                backendRefs: [{name: a, port: 80}]
            ---
            \(Self.route)metadata: {name: broken}
            spec:
              parentRefs: [{name: gw}]
              rules:
              - matches: [{path: {type: Contains, value: /x}}]
            ---
            \(Self.route)metadata: {name: both}
            spec:
              parentRefs: [{name: gw}]
              rules:
              - filters: [{type: RequestRedirect, requestRedirect: {}}, {type: URLRewrite, urlRewrite: {}}]
            ---
            \(Self.route)metadata: {name: late}
            spec:
              parentRefs: [{name: gw}]
              rules: [{timeouts: {request: 10 seconds}}]
            ---
            \(Self.route)metadata: {name: bad-host}
            spec:
              parentRefs: [{name: gw}]
              hostnames: ["bad..example"]
              rules: [{backendRefs: [{name: a, port: 80}]}]
            ---
            \(Self.route)metadata: {name: weighted}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [w.test]
              rules: [{backendRefs: [{name: a, port: 80, weight: 3}, {name: b, port: 80}]}]
            ---
            \(Self.route)metadata: {name: mirrored}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [m.test]
              rules:
              - filters:
                - {type: RequestMirror, requestMirror: {backendRef: {name: b, port: 80}}}
                - {type: RequestMirror, requestMirror: {backendRef: {name: a, port: 80}}}
                backendRefs: [{name: a, port: 80}]
            ---
            \(Self.route)metadata: {name: sampled}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [s.test]
              rules:
              - matches: [{path: {value: /percent}}]
                filters: [{type: RequestMirror, requestMirror: {backendRef: {name: b, port: 80}, percent: 25}}]
                backendRefs: [{name: a, port: 80}]
              - matches: [{path: {value: /fraction}}]
                filters: [{type: RequestMirror, requestMirror: {backendRef: {name: b, port: 80}, fraction: {numerator: 1, denominator: 3}}}]
                backendRefs: [{name: a, port: 80}]
            ---
            \(Self.route)metadata: {name: over}
            spec:
              parentRefs: [{name: gw}]
              rules: [{filters: [{type: RequestMirror, requestMirror: {backendRef: {name: b, port: 80}, percent: 101}}]}]
            ---
            \(Self.route)metadata: {name: twice}
            spec:
              parentRefs: [{name: gw}]
              rules: [{filters: [{type: RequestMirror, requestMirror: {backendRef: {name: b, port: 80}, percent: 5, fraction: {numerator: 1}}}]}]
            ---
            \(Self.route)metadata: {name: upside-down}
            spec:
              parentRefs: [{name: gw}]
              rules: [{filters: [{type: RequestMirror, requestMirror: {backendRef: {name: b, port: 80}, fraction: {numerator: 3, denominator: 2}}}]}]
            """)
        func said(_ object: String, _ field: String, _ text: String) -> Bool {
            (output.diagnostics + issues).contains { $0.object == object && $0.field == field && $0.message.contains(text) }
        }
        #expect(Self.run(output, "http://u.test/ext").status == 500)
        #expect(said("HTTPRoute default/r", "spec.rules[0].filters[0]", "ExtensionRef is not supported"))
        #expect(Self.run(output, "http://u.test/mirror").service == "default/a:80")
        #expect(said("HTTPRoute default/r", "spec.rules[1].filters[0].requestMirror.backendRef.port", "needs its port: requests are not mirrored"))
        #expect(output.snapshot.routes.resolve(host: "u.test", path: "/mirror")?.policy.mirrors == [])
        // Every mirror of a rule is served, in the order written (HTTPRouteRequestMultipleMirrors).
        #expect(output.snapshot.routes.resolve(host: "m.test", path: "/")?.policy.mirrors.map(\.target) == ["default/b:80", "default/a:80"])
        // `percent` and `fraction`: the share of requests mirrored, within the CRD's bounds.
        #expect(output.snapshot.routes.resolve(host: "s.test", path: "/percent")?.policy.mirrors.first?.fraction == .init(numerator: 25, denominator: 100))
        #expect(output.snapshot.routes.resolve(host: "s.test", path: "/fraction")?.policy.mirrors.first?.fraction == .init(numerator: 1, denominator: 3))
        #expect(output.snapshot.routes.resolve(host: "m.test", path: "/")?.policy.mirrors.first?.fraction == nil)
        #expect(said("HTTPRoute default/over", "spec.rules[0].filters[0].requestMirror.percent", "between 0 and 100"))
        #expect(said("HTTPRoute default/twice", "spec.rules[0].filters[0].requestMirror.fraction", "only one of percent or fraction"))
        #expect(said("HTTPRoute default/upside-down", "spec.rules[0].filters[0].requestMirror.fraction.numerator", "not be greater than the denominator (2)"))
        #expect(Self.run(output, "http://u.test/exact").status == 404)
        #expect(said("HTTPRoute default/r", "spec.rules[2].matches[0].path.type", "ReplacePrefixMatch needs a PathPrefix match"))
        #expect(said("HTTPRoute default/r", "spec.rules[3].matches[0].path.value", "this match is left out"))
        #expect(said("HTTPRoute default/r", "spec.parentRefs[1]", "no listener named nope"))
        #expect(said("HTTPRoute default/broken", "spec.rules[0].matches[0].path.type", "unsupported value \"Contains\""))
        #expect(said("HTTPRoute default/both", "spec.rules[0].filters", "either RequestRedirect or URLRewrite"))
        #expect(said("HTTPRoute default/late", "spec.rules[0].timeouts.request", "is not a duration"))
        // An invalid hostname leaves the route out; it never becomes a route for any host.
        #expect(said("HTTPRoute default/bad-host", "spec.hostnames[0]", "the HTTPRoute is left out"))
        #expect(Self.run(output, "http://anything.test/").status == 404)
        // A split names every share; its outcome is the first's.
        let weighted = Self.run(output, "http://w.test/")
        #expect(weighted.shares == ["default/a:80 weight 3", "default/b:80 weight 1"])
        #expect(weighted.service == "default/a:80")
    }

    @Test func statusConditionsSayWhatWasAccepted() {
        let (output, _) = Self.compile("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: mixed, generation: 4}
            spec:
              gatewayClassName: portico
              listeners:
              - {name: web, protocol: HTTP, port: 80, hostname: "*.example.com"}
              - {name: raw, protocol: TCP, port: 9000}
              - {name: secure, protocol: HTTPS, port: 443, tls: {certificateRefs: [{name: absent}]}}
            ---
            \(Self.route)metadata: {name: ok, generation: 2}
            spec:
              parentRefs: [{name: mixed, sectionName: web}]
              hostnames: [a.example.com]
              rules: [{backendRefs: [{name: a, port: 80}, {name: ghost, port: 80}]}]
            ---
            \(Self.route)metadata: {name: lost}
            spec:
              parentRefs: [{name: mixed, sectionName: nope}, {name: mixed, sectionName: web}]
              hostnames: [elsewhere.org]
              rules: [{backendRefs: [{name: a, port: 80}]}]
            """)
        let status = output.gatewayStatus
        #expect(status.gatewayClasses["portico"]?.first?.status == true)
        let gateway = status.gateways["default/mixed"]
        #expect(gateway?.conditions.map(\.type) == ["Accepted", "Programmed"])
        #expect(gateway?.conditions.allSatisfy { $0.status && $0.observedGeneration == 4 } == true)
        let listeners = Dictionary(uniqueKeysWithValues: (gateway?.listeners ?? []).map { ($0.name, $0) })
        #expect(listeners["web"]?.attachedRoutes == 1)
        #expect(listeners["raw"]?.conditions.first.map { "\($0.status) \($0.reason)" } == "false UnsupportedProtocol")
        #expect(listeners["secure"]?.conditions.first { $0.type == "ResolvedRefs" }?.reason == "InvalidCertificateRef")
        let ok = status.httpRoutes["default/ok"]?.first?.conditions ?? []
        #expect(ok.map { "\($0.type) \($0.status) \($0.reason)" } == ["Accepted true Accepted", "ResolvedRefs false BackendNotFound"])
        #expect(ok.allSatisfy { $0.observedGeneration == 2 })
        let lost = status.httpRoutes["default/lost"] ?? []
        #expect(lost.map { $0.conditions.first?.reason } == ["NoMatchingParent", "NoMatchingListenerHostname"])
    }

    @Test func listenersAdmitNamespacesByLabel() {
        let (output, issues) = Self.compile("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {env: prod}}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: lab, labels: {env: dev}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: labelled}
            spec:
              gatewayClassName: portico
              listeners:
              - name: prod
                protocol: HTTP
                port: 80
                hostname: prod.test
                allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {env: prod}}}}
              - name: named
                protocol: HTTP
                port: 80
                hostname: named.test
                allowedRoutes:
                  namespaces:
                    from: Selector
                    selector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [undeclared]}]}
            ---
            \(Self.route)metadata: {name: r, namespace: shop}
            spec:
              parentRefs: [{name: labelled, namespace: default, sectionName: prod}]
              rules: [{backendRefs: [{name: a, namespace: default, port: 80}]}]
            ---
            \(Self.route)metadata: {name: r, namespace: lab}
            spec:
              parentRefs: [{name: labelled, namespace: default, sectionName: prod}]
              rules: [{backendRefs: [{name: a, namespace: default, port: 80}]}]
            ---
            \(Self.route)metadata: {name: r, namespace: undeclared}
            spec:
              parentRefs: [{name: labelled, namespace: default, sectionName: named}]
              rules: [{backendRefs: [{name: a, namespace: default, port: 80}]}]
            """)
        #expect(issues.isEmpty, "\(issues)")
        let status = output.gatewayStatus.httpRoutes
        #expect(status["shop/r"]?.first?.conditions.first.map { "\($0.status) \($0.reason)" } == "true Accepted")
        #expect(status["lab/r"]?.first?.conditions.first.map { "\($0.status) \($0.reason)" } == "false NotAllowedByListeners")
        #expect(status["lab/r"]?.first?.conditions.first?.message.contains("namespace lab's do not match") == true)
        // A namespace no manifest declares has the label the API server gives every namespace.
        #expect(status["undeclared/r"]?.first?.conditions.first?.status == true)
        #expect(Self.run(output, "http://named.test/").status == 500)  // attached; its Service needs a ReferenceGrant

        let bad = Self.compile("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: wrong}
            spec:
              gatewayClassName: portico
              listeners: [{name: l, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: Selector, selector: {matchExpressions: [{key: env, operator: In}]}}}}]
            """).issues
        #expect(bad.contains { $0.field == "spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0]" && $0.message.contains("operator In needs values") }, "\(bad)")
    }

    @Test func labelSelectorsReadAsKubernetesDoes() {
        let labels = ["env": "prod", "team": "a"]
        func selects(_ requirement: LabelSelector.Requirement) -> Bool { LabelSelector(matchExpressions: [requirement]).matches(labels) }
        #expect(LabelSelector().matches(labels))  // empty: everything
        #expect(LabelSelector(matchLabels: ["env": "prod"]).matches(labels))
        #expect(!LabelSelector(matchLabels: ["env": "prod", "tier": "web"]).matches(labels))
        #expect(selects(.init(key: "env", operator: .in, values: ["dev", "prod"])))
        #expect(!selects(.init(key: "tier", operator: .in, values: ["web"])))
        #expect(selects(.init(key: "env", operator: .notIn, values: ["dev"])))
        #expect(!selects(.init(key: "env", operator: .notIn, values: ["prod"])))
        #expect(selects(.init(key: "tier", operator: .notIn, values: ["web"])))  // absent: not in
        #expect(selects(.init(key: "team", operator: .exists)))
        #expect(!selects(.init(key: "tier", operator: .exists)))
        #expect(selects(.init(key: "tier", operator: .doesNotExist)))
        #expect(!selects(.init(key: "team", operator: .doesNotExist)))
        // Both parts ANDed.
        #expect(!LabelSelector(matchLabels: ["env": "prod"], matchExpressions: [.init(key: "team", operator: .doesNotExist)]).matches(labels))
        func issues(_ expressions: String) -> [Diagnostic] {
            Self.compile("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: wrong}
                spec:
                  gatewayClassName: portico
                  listeners: [{name: l, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: Selector, selector: {matchExpressions: [\(expressions)]}}}}]
                """).issues
        }
        let field = "spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0]"
        let refused = issues("{key: env, operator: Exists, values: [x]}")
        #expect(refused.contains { $0.field == field + ".values" && $0.message.contains("takes no values") }, "\(refused)")
        let unknown = issues("{key: a, operator: Near, values: [b]}")
        #expect(unknown.contains { $0.field == field + ".operator" && $0.message.contains("must be In, NotIn, Exists or DoesNotExist") }, "\(unknown)")
    }

    @Test func gatewayHostnamesMatchAnyDepth() {
        var table = HostTable<Int>()
        table.set(.subdomains(suffix: "example.com"), 1)
        table.set(.subdomains(suffix: "sub.example.com"), 2)
        table.set(.wildcard(suffix: "one.example.com"), 3)
        #expect(table.lookup("a.example.com") == 1)
        #expect(table.lookup("a.b.c.example.com") == 1)
        #expect(table.lookup("x.sub.example.com") == 2)  // the longest suffix
        #expect(table.lookup("x.y.sub.example.com") == 2)
        #expect(table.lookup("x.one.example.com") == 3)  // a one-label wildcard first
        #expect(table.lookup("example.com") == nil)
        #expect(HostPattern.subdomains(suffix: "example.com").covers(.exact("a.b.example.com")))
    }
}
