import ArgumentParser
import Foundation
import PorticoKubernetes

/// `serve` options for running against the Kubernetes API instead of a directory.
struct KubernetesOptions: ParsableArguments {
    @Flag(help: "Read Ingresses, IngressClasses, Services, EndpointSlices and TLS Secrets from the Kubernetes API (in-cluster service account, or --kubeconfig) instead of --rules.")
    var kubernetes = false

    @Option(help: "kubeconfig file to reach the API server from outside the cluster (its current context; implies --kubernetes).")
    var kubeconfig: String?

    @Option(help: "Watch this namespace only (default: all namespaces).")
    var namespace: String?

    @Flag(help: "Also serve Ingresses that name no IngressClass (ingress-nginx's flag of the same name).")
    var watchIngressWithoutClass = false

    @Option(help: "namespace/name of Portico's own Service, whose addresses go into status.loadBalancer of each Ingress served.")
    var publishService: String?

    @Option(help: "Comma-separated addresses to put into status.loadBalancer of each Ingress served (instead of --publish-service).")
    var publishStatusAddress: String?

    @Option(help: "Name of the Lease (in the controller's namespace) used to elect the one replica that writes Ingress status.")
    var electionId: String = "portico-leader"

    @Option(help: "Leader lease duration in seconds (renewed every duration/7.5).")
    var leaseDuration: Int = 15

    var enabled: Bool { self.kubernetes || self.kubeconfig != nil }

    func apiServer() throws -> APIServerConfig {
        do {
            if let path = self.kubeconfig { return try Kubeconfig.load(path: path) }
            return try APIServerConfig.inCluster()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func publish() throws -> StatusWriter.Publish? {
        if let service = self.publishService {
            let parts = service.split(separator: "/").map(String.init)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }) else {
                throw ValidationError("--publish-service must be namespace/name, got \"\(service)\"")
            }
            return .service(namespace: parts[0], name: parts[1])
        }
        if let addresses = self.publishStatusAddress {
            let list = addresses.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !list.isEmpty else { throw ValidationError("--publish-status-address is empty") }
            return .addresses(list)
        }
        return nil
    }

    /// This replica's name in the Lease: the Pod name (downward API `POD_NAME`, else the
    /// host name, which is the Pod name in a cluster) plus a random suffix, so a restarted
    /// container does not inherit its predecessor's lease.
    var identity: String {
        "\(Self.podName)_\(UInt32.random(in: 0...UInt32.max))"
    }

    /// This Pod's name: the downward API's `POD_NAME`, else the host name (the Pod name in a
    /// cluster). Also `/metrics`' `controller_pod`.
    static var podName: String { ProcessInfo.processInfo.environment["POD_NAME"] ?? ProcessInfo.processInfo.hostName }
}
