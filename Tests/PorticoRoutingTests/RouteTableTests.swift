import PorticoRouting
import Testing

@Suite struct RouteTableTests {
    static func route(_ match: PathMatch, _ backend: BackendID, _ ingress: String = "default/a") -> Route {
        Route(match: match, backend: backend, source: RouteSource(ingress: ingress, kind: .rule(ruleIndex: 0, pathIndex: 0)))
    }

    /// Routes in the compiler's order: Exact first, then longer Prefix first.
    static let table = RouteTable(
        hosts: [
            (.exact("foo.com"), VirtualHost(name: "foo.com", routes: [
                route(.exact("/exact"), 1),
                route(.prefix("/exact/deeper"), 5),
                route(.prefix("/exact"), 2),
                route(.prefix("/"), 3),
            ], fallback: nil)),
            (.wildcard(suffix: "foo.com"), VirtualHost(name: "*.foo.com", routes: [route(.prefix("/w"), 4)], fallback: route(.prefix("/"), 6))),
        ],
        anyHost: VirtualHost(name: "*", routes: [route(.prefix("/anyhost"), 7)], fallback: nil),
        defaultRoute: route(.prefix("/"), 9, "default/fallback"))

    @Test(arguments: [
        ("foo.com", "/exact", 1),  // Exact beats Prefix on the same path
        ("foo.com", "/exact/", 2),
        ("foo.com", "/exact/deeper/x", 5),  // longest Prefix wins
        ("foo.com", "/exactly", 3),  // element-wise: /exact does not match /exactly
        ("foo.com", "/other", 3),
        ("a.foo.com", "/w/x", 4),
        ("a.foo.com", "/nomatch", 6),  // host-level spec.defaultBackend
        ("unknown.org", "/anyhost/x", 7),  // rules without host
        ("unknown.org", "/elsewhere", 9),  // cluster-wide spec.defaultBackend, whatever the host
    ])
    func resolves(host: String, path: String, backend: BackendID) {
        #expect(Self.table.resolve(host: host, path: path)?.backend == backend)
    }

    @Test func noDefaultMeansNoRoute() {
        let table = RouteTable(hosts: [], anyHost: nil, defaultRoute: nil)
        #expect(table.resolve(host: "x.com", path: "/") == nil)
    }
}
