import Foundation

/// The common end-to-end setup: backends on the given loopback addresses behind one Service,
/// routed for every host and path by one Ingress, with the real `portico` in front.
struct SingleServiceProxy {
    let backends: TestBackends
    let portico: PorticoProcess

    var curl: Curl { Curl(port: self.portico.port, httpsPort: self.portico.httpsPort) }
    var port: Int { self.portico.port }

    static func start(
        addresses: [String], extraArguments: [String] = [], annotations: [String: String] = [:]
    ) async throws -> SingleServiceProxy {
        let backends = try await TestBackends(addresses: addresses, page: "x")
        let rules = try RulesDirectory([
            "rules.yaml": RulesDirectory.service("svc", port: backends.port, ready: addresses)
                + RulesDirectory.ingress("ing", host: nil, paths: [("/", "Prefix", "svc")], annotations: annotations),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: extraArguments)
        return SingleServiceProxy(backends: backends, portico: portico)
    }

    func stop() async {
        self.portico.terminate()
        await self.backends.stop()
    }
}
