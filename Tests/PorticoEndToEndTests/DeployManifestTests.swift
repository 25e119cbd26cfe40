import Foundation
import PorticoKube
import PorticoKubernetes
import Testing
import Yams

/// `deploy/` checked offline: it decodes with Portico's own loader, the Deployment passes only
/// flags `portico serve` accepts, the probes and Service reach the ports those flags open, and
/// RBAC grants what the provider does, no more.
@Suite struct DeployManifestTests {
    static let deploy = PorticoProcess.repositoryRoot.appendingPathComponent("deploy")

    /// Every document of deploy/*.yaml except the kustomization, as plain YAML objects.
    static func documents() throws -> [[String: Any]] {
        var result: [[String: Any]] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.deploy.path).sorted()
        where file.hasSuffix(".yaml") && file != "kustomization.yaml" {
            let text = try String(contentsOf: Self.deploy.appendingPathComponent(file), encoding: .utf8)
            for document in try Yams.load_all(yaml: text) {
                if let object = document as? [String: Any] { result.append(object) }
            }
        }
        return result
    }

    static func object(_ kind: String, in documents: [[String: Any]]) throws -> [String: Any] {
        try #require(documents.first { $0["kind"] as? String == kind }, "no \(kind) in deploy/")
    }

    @Test func decodesWithPorticosLoader() throws {
        var classes: [IngressClass] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.deploy.path) where file.hasSuffix(".yaml") {
            let text = try String(contentsOf: Self.deploy.appendingPathComponent(file), encoding: .utf8)
            let result = ManifestDecoder.decode(file: "deploy/\(file)", text: text)
            #expect(result.issues.filter { $0.severity == .error }.isEmpty, "\(result.issues)")
            for (object, _) in result.objects { if case .ingressClass(let value) = object { classes.append(value) } }
        }
        #expect(classes.map(\.controller) == ["portico.dev/ingress-controller"])
        #expect(classes.map(\.metadata.name) == ["portico"])
    }

    @Test func deploymentUsesRealFlagsAndPorts() throws {
        let documents = try Self.documents()
        let deployment = try Self.object("Deployment", in: documents)
        let spec = try #require(deployment["spec"] as? [String: Any])
        #expect(spec["replicas"] as? Int == 2)
        let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        #expect(pod["serviceAccountName"] as? String == "portico")
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let args = try #require(container["args"] as? [String])
        #expect(args.prefix(2) == ["serve", "--kubernetes"])

        // Every flag is one `portico serve` knows.
        let help = try Command.output(PorticoProcess.binary.path, ["serve", "--help"])
        var values: [String: String] = [:]
        for argument in args where argument.hasPrefix("--") {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            #expect(help.contains(parts[0] + " ") || help.contains(parts[0] + "\n") || help.contains(parts[0] + ","), "\(parts[0]) is not a serve flag")
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        // Named container ports are the ports those flags open; probes use the health port.
        let ports = Dictionary(uniqueKeysWithValues: (container["ports"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0["containerPort"] as? Int ?? 0) })
        #expect(ports["http"].map(String.init) == values["--http-port"])
        #expect(ports["https"].map(String.init) == values["--https-port"])
        #expect(ports["health"].map(String.init) == values["--health-port"])
        let liveness = (container["livenessProbe"] as? [String: Any])?["httpGet"] as? [String: Any]
        let readiness = (container["readinessProbe"] as? [String: Any])?["httpGet"] as? [String: Any]
        #expect(liveness?["path"] as? String == "/healthz" && liveness?["port"] as? String == "health")
        #expect(readiness?["path"] as? String == "/readyz" && readiness?["port"] as? String == "health")
        #expect((container["resources"] as? [String: Any])?["requests"] != nil)

        // The LoadBalancer Service targets those ports, on 80 and 443; the publish flag names it.
        let service = try Self.object("Service", in: documents)
        let serviceMeta = try #require(service["metadata"] as? [String: Any])
        #expect(values["--publish-service"] == "\(serviceMeta["namespace"] as? String ?? "")/\(serviceMeta["name"] as? String ?? "")")
        let serviceSpec = try #require(service["spec"] as? [String: Any])
        #expect(serviceSpec["type"] as? String == "LoadBalancer")
        let servicePorts = (serviceSpec["ports"] as? [[String: Any]] ?? []).map { "\($0["port"] ?? "")->\($0["targetPort"] ?? "")" }
        #expect(Set(servicePorts) == ["80->http", "443->https"])

        // The PodDisruptionBudget and the Service select the Deployment's Pods.
        let labels = ((spec["template"] as? [String: Any])?["metadata"] as? [String: Any])?["labels"] as? [String: String] ?? [:]
        let pdb = try Self.object("PodDisruptionBudget", in: documents)
        let pdbSelector = ((pdb["spec"] as? [String: Any])?["selector"] as? [String: Any])?["matchLabels"] as? [String: String] ?? [:]
        #expect(!pdbSelector.isEmpty && pdbSelector.allSatisfy { labels[$0.key] == $0.value })
        let serviceSelector = serviceSpec["selector"] as? [String: String] ?? [:]
        #expect(!serviceSelector.isEmpty && serviceSelector.allSatisfy { labels[$0.key] == $0.value })

        // /metrics: the pod annotations and the metrics Service name the health port, and the
        // ServiceMonitor selects that Service by its labels and port name.
        let annotations = ((spec["template"] as? [String: Any])?["metadata"] as? [String: Any])?["annotations"] as? [String: String] ?? [:]
        #expect(annotations["prometheus.io/scrape"] == "true" && annotations["prometheus.io/port"] == values["--health-port"])
        let env = (container["env"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(env.contains("POD_NAME") && env.contains("POD_NAMESPACE"))
        let metrics = try #require(documents.first { ($0["metadata"] as? [String: Any])?["name"] as? String == "portico-metrics" })
        let metricsSpec = metrics["spec"] as? [String: Any] ?? [:]
        let metricsPort = try #require((metricsSpec["ports"] as? [[String: Any]])?.first)
        #expect(metricsPort["targetPort"] as? String == "health" && metricsPort["name"] as? String == "metrics")
        #expect((metricsSpec["selector"] as? [String: String] ?? [:]).allSatisfy { labels[$0.key] == $0.value })
        let monitorText = try String(contentsOf: Self.deploy.appendingPathComponent("monitoring/servicemonitor.yaml"), encoding: .utf8)
        let monitor = try #require(try Yams.load(yaml: monitorText) as? [String: Any])
        let monitorSpec = monitor["spec"] as? [String: Any] ?? [:]
        let wanted = (monitorSpec["selector"] as? [String: Any])?["matchLabels"] as? [String: String] ?? [:]
        let metricsLabels = (metrics["metadata"] as? [String: Any])?["labels"] as? [String: String] ?? [:]
        #expect(!wanted.isEmpty && wanted.allSatisfy { metricsLabels[$0.key] == $0.value })
        #expect((monitorSpec["endpoints"] as? [[String: Any]])?.first?["port"] as? String == "metrics")
    }

    /// (apiGroup, resource) → verbs granted, for one kind of role.
    static func grants(_ kind: String, in documents: [[String: Any]]) throws -> [String: Set<String>] {
        let role = try Self.object(kind, in: documents)
        var grants: [String: Set<String>] = [:]
        for rule in role["rules"] as? [[String: Any]] ?? [] {
            for group in rule["apiGroups"] as? [String] ?? [] {
                for resource in rule["resources"] as? [String] ?? [] {
                    let names = (rule["resourceNames"] as? [String]).map { "#" + $0.joined(separator: ",") } ?? ""
                    grants["\(group)/\(resource)\(names)", default: []].formUnion(rule["verbs"] as? [String] ?? [])
                }
            }
        }
        return grants
    }

    @Test func rbacIsWhatTheProviderUsesAndNoMore() throws {
        let documents = try Self.documents()
        let cluster = try Self.grants("ClusterRole", in: documents)
        var expected: [String: Set<String>] = [
            "networking.k8s.io/ingresses/status": ["patch"], "gateway.networking.k8s.io/gatewayclasses/status": ["patch"],
            "gateway.networking.k8s.io/gateways/status": ["patch"], "gateway.networking.k8s.io/httproutes/status": ["patch"],
            "gateway.networking.k8s.io/grpcroutes/status": ["patch"],
        ]
        for kind in ResourceKind.watched {
            let group = kind.apiVersion.contains("/") ? String(kind.apiVersion.split(separator: "/")[0]) : ""
            expected["\(group)/\(kind.resource)", default: []].formUnion(["list", "watch"])
        }
        expected["/\(ResourceKind.configMaps.resource)", default: []].formUnion(["list", "watch"])  // with --configmap
        #expect(cluster == expected)
        let namespaced = try Self.grants("Role", in: documents)
        #expect(namespaced == [
            "coordination.k8s.io/leases": ["create"],
            "coordination.k8s.io/leases#portico-leader": ["get", "update"],
            "/services#portico": ["get"],
        ])
        // The ConfigMap granted is the one the Deployment names and ships.
        let configMap = try Self.object("ConfigMap", in: documents)["metadata"] as? [String: Any] ?? [:]
        let args = ((try Self.object("Deployment", in: documents)["spec"] as? [String: Any])
            .flatMap { ($0["template"] as? [String: Any])?["spec"] as? [String: Any] }
            .flatMap { ($0["containers"] as? [[String: Any]])?.first?["args"] as? [String] }) ?? []
        #expect(args.contains("--configmap=\(configMap["namespace"] as? String ?? "")/\(configMap["name"] as? String ?? "")"))
        // Both bound to the ServiceAccount the Deployment runs as.
        for binding in ["ClusterRoleBinding", "RoleBinding"] {
            let subjects = try Self.object(binding, in: documents)["subjects"] as? [[String: Any]] ?? []
            #expect(subjects.map { $0["name"] as? String } == ["portico"])
        }
    }

    /// Needs kubectl (Debian's kubernetes-client); reported as skipped where it is missing.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl")))
    func kustomizeRendersEveryObject() throws {
        let rendered = try Command.output("/usr/bin/kubectl", ["kustomize", Self.deploy.path])
        let kinds = try Yams.load_all(yaml: rendered).compactMap { ($0 as? [String: Any])?["kind"] as? String }
        #expect(Set(kinds) == Set(try Self.documents().compactMap { $0["kind"] as? String }))
        #expect(kinds.count == (try Self.documents()).count)
    }
}
