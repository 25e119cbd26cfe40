import Foundation
import PorticoDiagnostics
import PorticoProxy
import PorticoRouteMap
import PorticoRouting
import PorticoTLS
import Testing

/// The route map built from a generation, live counts and a baseline sample: no sockets.
@Suite struct RouteMapTests {
    static let certificates = try! CertificateStore.build(bindings: [], defaultCertificate: nil, options: TLSOptions()).store
    let shop = RouteMetricLabels(namespace: "web", ingress: "shop", service: "shop", path: "/", host: "shop.example.com", servicePort: "80", upstream: "web-shop-80")
    let api = RouteMetricLabels(namespace: "web", ingress: "shop", service: "api", path: "/api", host: "shop.example.com", servicePort: "8080", upstream: "web-api-8080")

    func generation() -> Generation {
        let source = RouteSource(ingress: "web/shop", kind: .rule(ruleIndex: 0, pathIndex: 0))
        let routes = [
            Route(match: .prefix("/api"), backend: 1, source: source, metricLabels: self.api),
            Route(match: .prefix("/"), backend: 0, source: source, metricLabels: self.shop),
        ]
        let shopHost = try! HostPattern.parse("shop.example.com").get()
        let otherHost = try! HostPattern.parse("odd.example.com").get()
        let other = Route(match: .exact("/<b>odd</b>"), backend: 2, source: RouteSource(ingress: "web/odd", kind: .rule(ruleIndex: 0, pathIndex: 0)))
        let table = RouteTable(
            hosts: [
                (shopHost, VirtualHost(name: "shop.example.com", routes: routes, fallback: nil)),
                (otherHost, VirtualHost(name: "odd.example.com", routes: [other], fallback: nil)),
            ],
            anyHost: nil, defaultRoute: nil)
        let backends = [
            Backend(
                ref: BackendRef(namespace: "web", service: "shop", port: .number(80)),
                endpoints: [Endpoint(address: "10.0.0.1", port: 8080, podName: "shop-1"), Endpoint(address: "10.0.0.2", port: 8080)],
                notReady: [Endpoint(address: "10.0.0.3", port: 8080, podName: "shop-3")]),
            Backend(ref: BackendRef(namespace: "web", service: "api", port: .number(8080)), endpoints: [Endpoint(address: "10.0.1.1", port: 9000)]),
            Backend(ref: BackendRef(namespace: "web", service: "gone", port: .number(80)), endpoints: [], unavailableReason: "Service web/gone not found"),
        ]
        return Generation(number: 7, snapshot: RoutingSnapshot(routes: table, backends: backends), certificates: Self.certificates, previous: nil)
    }

    func activity(shop: (UInt64, UInt64), api: (UInt64, UInt64)) -> RouteActivity {
        var activity = RouteActivity()
        activity.totals[ObjectIdentifier(self.shop)] = RouteActivity.Totals(requests: shop.0, errors: shop.1)
        activity.totals[ObjectIdentifier(self.api)] = RouteActivity.Totals(requests: api.0, errors: api.1)
        return activity
    }

    @Test func hostsPathsBackendsAndEndpointStates() {
        var activity = self.activity(shop: (0, 0), api: (0, 0))
        activity.failing[0] = ["10.0.0.2:8080"]
        let map = RouteMap(generation: self.generation(), activity: activity, baseline: nil, diagnostics: [], now: Date(), uptime: 100)
        #expect(map.generation == 7)
        #expect(map.hosts.map(\.host) == ["shop.example.com", "odd.example.com"])
        #expect(map.hosts[0].paths.map(\.path) == ["/api", "/"])
        let shop = map.hosts[0].paths[1].backend
        #expect(shop.service == "web/shop:80")
        #expect(shop.upstream == "web-shop-80")
        #expect(shop.endpoints.map(\.address) == ["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"])
        #expect(shop.endpoints.map(\.state) == [.ready, .failing, .notReady])
        #expect(shop.endpoints.map(\.pod) == ["shop-1", nil, "shop-3"])
        #expect(map.hosts[1].paths[0].backend.unavailable == "Service web/gone not found")
    }

    @Test func ratesAreMeasuredAgainstTheBaselineSample() {
        var history = ActivityHistory(window: 60)
        history.record(self.activity(shop: (100, 10), api: (0, 0)), at: 1000)
        history.record(self.activity(shop: (150, 10), api: (5, 0)), at: 1010)
        let baseline = history.baseline(at: 1020)
        #expect(baseline?.at == 1000)
        let map = RouteMap(
            generation: self.generation(), activity: self.activity(shop: (300, 30), api: (45, 0)), baseline: baseline, diagnostics: [],
            now: Date(), uptime: 1020)
        #expect(map.rateWindowSeconds == 20)
        let shop = map.hosts[0].paths[1].traffic
        #expect(shop?.requests == 300 && shop?.errors == 30)
        #expect(shop?.requestsPerSecond == 10 && shop?.errorsPerSecond == 1)
        #expect(map.hosts[0].paths[0].traffic?.requestsPerSecond == 2.25)
        // A route the metrics have not seen yet: zero, not missing.
        let unseen = map.hosts[1].paths[0].traffic
        #expect(unseen?.requests == 0 && unseen?.requestsPerSecond == 0)
    }

    @Test func historyKeepsOnlyTheWindow() {
        var history = ActivityHistory(window: 60)
        for second in stride(from: 0.0, through: 90, by: 10) { history.record(RouteActivity(), at: second) }
        #expect(history.samples.map(\.at) == [30, 40, 50, 60, 70, 80, 90])
        #expect(history.baseline(at: 90)?.at == 30)
        // A sample under a second old is no baseline.
        var fresh = ActivityHistory(window: 60)
        fresh.record(RouteActivity(), at: 5)
        #expect(fresh.baseline(at: 5.5) == nil)
    }

    @Test func metricsOffLeavesTrafficOut() {
        var activity = RouteActivity()
        activity.requestMetrics = false
        let map = RouteMap(generation: self.generation(), activity: activity, baseline: nil, diagnostics: [], now: Date(), uptime: 1)
        #expect(map.hosts.flatMap(\.paths).allSatisfy { $0.traffic == nil })
        #expect(RouteMapPage.html(map).contains("request metrics off"))
    }

    @Test func theDefaultCertificateExpiryIsItsNotAfter() throws {
        let now = Date()
        let map = RouteMap(generation: self.generation(), activity: RouteActivity(), baseline: nil, diagnostics: [], now: now, uptime: 1)
        let facts = try #require(Self.certificates.defaultFacts)
        let expiry = Date(timeIntervalSince1970: TimeInterval(facts.notAfter))
        #expect(map.defaultCertificate.daysLeft == Int((expiry.timeIntervalSince(now) / 86_400).rounded(.down)))
        let parsed = try #require(map.defaultCertificate.notAfter.flatMap { try? Date($0, strategy: .iso8601) })
        #expect(Int(parsed.timeIntervalSince1970) == facts.notAfter)
    }

    @Test func thePageEscapesNamesAndListsDiagnostics() {
        let diagnostic = Diagnostic(.error, file: "ingress-rules/a.yaml", line: 3, object: "Ingress web/odd", field: "spec", message: "bad <thing>")
        let map = RouteMap(generation: self.generation(), activity: RouteActivity(), baseline: nil, diagnostics: [diagnostic], now: Date(), uptime: 1)
        let html = RouteMapPage.html(map)
        #expect(html.contains("/&lt;b&gt;odd&lt;/b&gt;"))
        #expect(!html.contains("<b>odd</b>"))
        #expect(html.contains("bad &lt;thing&gt;"))
        #expect(html.contains("10.0.0.3:8080 (not ready)"))
        #expect(map.diagnostics.first?.text == diagnostic.description)
    }

    @Test func theJSONDecodesBackToTheMap() throws {
        let map = RouteMap(
            generation: self.generation(), activity: self.activity(shop: (3, 1), api: (0, 0)), baseline: nil, diagnostics: [], now: Date(),
            uptime: 1)
        let decoded = try JSONDecoder().decode(RouteMap.self, from: Data(map.json().utf8))
        #expect(decoded == map)
    }
}
