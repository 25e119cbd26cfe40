import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// Finds the PEM bytes for a TLS `secretName`: a `kubernetes.io/tls`-style Secret in the
/// manifests (`tls.crt`/`tls.key`), else `certs/<namespace>/<name>/tls.crt`, else
/// `certs/<name>.crt`. Parsing and validation happen in PorticoTLS.
struct CertificateResolver {
    let secrets: [String: Secret]
    let files: [String: ClusterState.CertificateFile]

    init(state: ClusterState) {
        self.secrets = Dictionary(state.secrets.map { ("\($0.metadata.namespace)/\($0.metadata.name)", $0) }) { a, _ in a }
        self.files = state.certificateFiles
    }

    /// The source, or why there is none.
    func resolve(namespace: String, name: String) -> Result<CertificateSource, CertificateLookupError> {
        if let secret = self.secrets["\(namespace)/\(name)"] {
            guard let certificate = secret.data["tls.crt"], let key = secret.data["tls.key"] else {
                return .failure(.incompleteSecret("Secret \(namespace)/\(name) has no tls.crt and tls.key"))
            }
            return .success(CertificateSource(origin: "Secret \(namespace)/\(name)", certificatePEM: certificate, keyPEM: key))
        }
        for key in ["\(namespace)/\(name)", name] {
            if let file = self.files[key] {
                return .success(CertificateSource(origin: "file \(file.path)", certificatePEM: file.certificatePEM, keyPEM: file.keyPEM))
            }
        }
        return .failure(
            .missing("Secret \(namespace)/\(name) not found, and no certs/\(namespace)/\(name)/tls.crt or certs/\(name).crt with its key"))
    }

    /// `--default-ssl-certificate`, else `certs/default.crt`, else nil (a generated certificate).
    func defaultCertificate(_ reference: String?, diagnostics: inout [Diagnostic]) -> CertificateSource? {
        if let reference {
            let parts = reference.split(separator: "/", maxSplits: 1).map(String.init)
            let (namespace, name) = parts.count == 2 ? (parts[0], parts[1]) : ("default", reference)
            switch self.resolve(namespace: namespace, name: name) {
            case .success(let source): return source
            case .failure(let error):
                diagnostics.append(Diagnostic(.error, object: "--default-ssl-certificate \(reference)", message: "\(error); using a generated certificate"))
                return nil
            }
        }
        guard let file = self.files["default"] else { return nil }
        return CertificateSource(origin: "file \(file.path)", certificatePEM: file.certificatePEM, keyPEM: file.keyPEM)
    }
}

enum CertificateLookupError: Error, CustomStringConvertible {
    case missing(String)
    case incompleteSecret(String)

    var description: String {
        switch self {
        case .missing(let text), .incompleteSecret(let text): text
        }
    }
}
