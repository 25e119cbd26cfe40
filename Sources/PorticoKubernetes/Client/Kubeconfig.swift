import Foundation
import PorticoTLS
import Yams

/// Reads a kubeconfig file's current context into an `APIServerConfig`, as `kubectl` does:
/// the cluster's `server`, `certificate-authority(-data)`, `insecure-skip-tls-verify` and
/// `tls-server-name`; the user's `token`, `tokenFile` or `client-certificate(-data)` +
/// `client-key(-data)`; the context's `namespace`. Relative file paths are relative to the
/// kubeconfig's directory. Exec and auth-provider plugins are refused with a clear message.
public enum Kubeconfig {
    public static func load(path: String, context requested: String? = nil) throws(APIServerConfig.ConfigError) -> APIServerConfig {
        typealias Failure = APIServerConfig.ConfigError
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure("\(path): cannot be read") }
        let root: [String: Any]
        do {
            guard let loaded = try Yams.load(yaml: String(decoding: data, as: UTF8.self)) as? [String: Any] else {
                throw Failure("\(path): not a kubeconfig (expected an object)")
            }
            root = loaded
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure("\(path): invalid YAML: \(error)")
        }
        let base = (path as NSString).deletingLastPathComponent
        func named(_ list: String, _ name: String, _ field: String) throws(Failure) -> [String: Any] {
            let entries = root[list] as? [[String: Any]] ?? []
            guard let entry = entries.first(where: { $0["name"] as? String == name }) else {
                throw Failure("\(path): \(list): no entry named \"\(name)\"")
            }
            return entry[field] as? [String: Any] ?? [:]
        }
        func file(_ value: Any?) -> String? {
            guard let text = value as? String, !text.isEmpty else { return nil }
            return text.hasPrefix("/") ? text : (base as NSString).appendingPathComponent(text)
        }
        func bytes(data: Any?, file path: Any?, _ what: String) throws(Failure) -> [UInt8]? {
            if let encoded = data as? String, !encoded.isEmpty {
                guard let decoded = Data(base64Encoded: encoded.filter { !$0.isWhitespace }) else {
                    throw Failure("\(path): \(what)-data is not valid base64")
                }
                return Array(decoded)
            }
            guard let location = file(path) else { return nil }
            guard let contents = FileManager.default.contents(atPath: location) else {
                throw Failure("\(path): \(what) \(location) cannot be read")
            }
            return Array(contents)
        }

        guard let contextName = requested ?? root["current-context"] as? String, !contextName.isEmpty else {
            throw Failure("\(path): no current-context")
        }
        let context = try named("contexts", contextName, "context")
        guard let clusterName = context["cluster"] as? String else {
            throw Failure("\(path): context \"\(contextName)\" names no cluster")
        }
        let cluster = try named("clusters", clusterName, "cluster")
        let user = try (context["user"] as? String).map { name throws(Failure) in try named("users", name, "user") } ?? [:]
        if user["exec"] != nil || user["auth-provider"] != nil {
            throw Failure("\(path): user of context \"\(contextName)\" uses an exec or auth-provider plugin, which Portico does not run; use a token or client certificate")
        }

        guard let server = cluster["server"] as? String, let url = URLComponents(string: server),
            let scheme = url.scheme.flatMap(APIServerConfig.Scheme.init(rawValue:)), let host = url.host, !host.isEmpty
        else {
            throw Failure("\(path): cluster \"\(clusterName)\": server must be an http(s):// URL")
        }
        let port = url.port ?? (scheme == .https ? 443 : 80)
        var token: APIServerConfig.Token?
        if let value = user["token"] as? String, !value.isEmpty {
            token = .value(value)
        } else if let tokenFile = file(user["tokenFile"]) {
            token = .file(tokenFile)
        }
        var tls: TLSClientContext?
        if scheme == .https {
            let ca = try bytes(data: cluster["certificate-authority-data"], file: cluster["certificate-authority"], "certificate-authority")
            let certificate = try bytes(data: user["client-certificate-data"], file: user["client-certificate"], "client-certificate")
            let key = try bytes(data: user["client-key-data"], file: user["client-key"], "client-key")
            let insecure = cluster["insecure-skip-tls-verify"] as? Bool ?? false
            if certificate != nil && key == nil {
                throw Failure("\(path): user of context \"\(contextName)\": client-certificate without client-key")
            }
            do {
                let pair = try certificate.map { certificate throws(TLSError) in
                    try CertificateKeyPair(certificatePEM: certificate, keyPEM: key ?? [])
                }
                tls = try TLSClientContext(trustedCertificatesPEM: ca, clientCertificate: pair, verifyPeer: !insecure)
            } catch {
                throw Failure("\(path): context \"\(contextName)\": \(error)")
            }
        }
        // URLComponents keeps IPv6 brackets off `host`.
        return APIServerConfig(
            scheme: scheme, host: host, port: port, token: token, tls: tls,
            serverName: cluster["tls-server-name"] as? String, namespace: context["namespace"] as? String ?? "default")
    }
}
