import PorticoConfig
import PorticoDiagnostics
import PorticoRouting
import PorticoTLS

/// Manifests read and compiled once: what `serve` starts from and `routes` prints.
struct LoadedRules {
    var state: ClusterState
    var snapshot: RoutingSnapshot
    var diagnostics: [Diagnostic]

    init(_ options: RulesOptions) {
        self.init(options.loader().load())
    }

    init(_ result: ConfigLoader.Result) {
        self.state = result.state
        self.snapshot = result.snapshot
        self.diagnostics = result.diagnostics
    }

    /// Parses every certificate the snapshot binds, so offline commands report broken,
    /// expired or mismatched ones too.
    func certificateDiagnostics(options: TLSOptions = TLSOptions()) -> [Diagnostic] {
        do {
            return try CertificateStore.build(
                bindings: self.snapshot.tls, defaultCertificate: self.snapshot.defaultCertificate, options: options
            ).diagnostics
        } catch {
            return [Diagnostic(.error, message: "TLS cannot be set up: \(error)")]
        }
    }

}
