import Foundation
import Testing

/// `service-upstream` through the real binary: the Service's cluster IP and port, not its Pods.
@Suite(.serialized) struct ServiceUpstreamTests {
    @Test func theClusterIPIsTheOneEndpoint() async throws {
        // The "cluster IP" is a loopback address where a backend listens on the Service port.
        let backends = try await TestBackends(addresses: ["127.0.69.1", "127.0.69.2"], page: "x")
        let service = """
            apiVersion: v1
            kind: Service
            metadata: {name: meshed}
            spec: {clusterIP: 127.0.69.1, ports: [{port: \(backends.port), targetPort: 9}]}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: meshed}
            subsets: [{addresses: [{ip: 127.0.69.2}], ports: [{port: 9}]}]
            ---

            """
        let rules = try RulesDirectory([
            "a.yaml": service
                + RulesDirectory.ingress("mesh", host: "mesh.test", paths: [("/", "Prefix", "meshed")], annotations: ["service-upstream": "true"])
                .replacingOccurrences(of: "port: {number: 80}", with: "port: {number: \(backends.port)}"),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        for _ in 0..<3 { #expect(try curl.get("mesh.test", "/").report["endpoint"] == "127.0.69.1:\(backends.port)") }
        portico.terminate()
        await backends.stop()
    }
}
