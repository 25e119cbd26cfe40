import Foundation
import PorticoTLS

/// Where the Kubernetes API server is and how Portico proves who it is: from the Pod's service
/// account (in the cluster) or from a kubeconfig file (outside it).
public struct APIServerConfig: Sendable {
    public enum Scheme: String, Sendable { case http, https }

    public var scheme: Scheme
    public var host: String
    public var port: Int
    /// Sent as `Authorization: Bearer`; a file is read again on every request, because bound
    /// service-account tokens are rotated by the kubelet (client-go re-reads it too).
    public var token: Token?
    /// nil for `http://` servers (tests, `kubectl proxy`).
    public var tls: TLSClientContext?
    /// The name the server certificate must cover (kubeconfig `tls-server-name`, else the host).
    public var serverName: String
    /// The namespace the configuration points at: the Pod's own (service account) or the
    /// kubeconfig context's. Used for the leader-election Lease.
    public var namespace: String

    public enum Token: Sendable {
        case value(String)
        case file(String)

        func read() throws(ConfigError) -> String {
            switch self {
            case .value(let value): return value
            case .file(let path):
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ConfigError("cannot read the token file \(path)")
                }
                return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
    }

    public struct ConfigError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public init(scheme: Scheme, host: String, port: Int, token: Token?, tls: TLSClientContext?, serverName: String? = nil, namespace: String = "default") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.token = token
        self.tls = tls
        self.serverName = serverName ?? host
        self.namespace = namespace
    }

    /// `host:port` (IPv6 hosts bracketed), the Host header's value.
    public var authority: String { "\(self.host.contains(":") ? "[\(self.host)]" : self.host):\(self.port)" }

    /// `https://host:port` for messages.
    public var url: String { "\(self.scheme)://\(self.authority)" }

    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The in-cluster configuration: `KUBERNETES_SERVICE_HOST`/`_PORT` and the service account's
    /// token, CA and namespace, as client-go's `rest.InClusterConfig`.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = Self.serviceAccountDirectory
    ) throws(ConfigError) -> APIServerConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let portText = environment["KUBERNETES_SERVICE_PORT"], let port = Int(portText)
        else {
            throw ConfigError("not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (use --kubeconfig outside one)")
        }
        let tokenPath = "\(directory)/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw ConfigError("no service account token at \(tokenPath) (is automountServiceAccountToken off?)")
        }
        guard let ca = FileManager.default.contents(atPath: "\(directory)/ca.crt") else {
            throw ConfigError("no service account CA at \(directory)/ca.crt")
        }
        let namespace = FileManager.default.contents(atPath: "\(directory)/namespace").map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let tls: TLSClientContext
        do { tls = try TLSClientContext(trustedCertificatesPEM: Array(ca)) } catch {
            throw ConfigError("\(directory)/ca.crt: \(error)")
        }
        return APIServerConfig(
            scheme: .https, host: host, port: port, token: .file(tokenPath), tls: tls,
            namespace: namespace ?? environment["POD_NAMESPACE"] ?? "default")
    }
}
