import ArgumentParser
import PorticoConfig

/// The `portico` command: wiring and signals only; routing, TLS and proxying live in the
/// libraries.
@main
struct Portico: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portico",
        abstract: "A Kubernetes Ingress controller and HTTP reverse proxy that runs ingress-nginx's rules.",
        subcommands: [Serve.self, Routes.self, Check.self, Explain.self, Convert.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every subcommand that reads manifests shares.
struct RulesOptions: ParsableArguments {
    @Option(name: .long, help: "Directory of Kubernetes manifests (*.yaml, *.yml, *.json), read recursively.")
    var rules: String = "ingress-rules"

    @Option(name: .long, help: "The IngressClass name that is ours. From a directory, Ingresses without a class are served too.")
    var ingressClass: String = "portico"

    @Option(name: .long, help: "spec.controller value of IngressClasses that are ours.")
    var controllerName: String = "portico.dev/ingress-controller"

    @Option(help: "Directory of PEM certificates: <secretName>.crt/.key or <namespace>/<secretName>/tls.crt/.key, used when no Secret of that name exists; default.crt/.key is the default certificate.")
    var certs: String = "certs"

    @Option(help: "namespace/name of the Secret (or certs/ pair) served to SNI names no Ingress covers.")
    var defaultSSLCertificate: String?

    @Option(help: "namespace/name of the Service answering requests no rule matches (when no Ingress has spec.defaultBackend) and the ConfigMap's custom-http-errors, as ingress-nginx's flag.")
    var defaultBackendService: String?

    @Option(help: "namespace/name of the ConfigMap of controller settings, with ingress-nginx's keys (hsts, proxy-body-size, keep-alive, use-forwarded-headers, …): from the API in a cluster, from --rules otherwise.")
    var configmap: String?

    @Flag(help: "ingress-nginx's flag: hosts whose Ingress says ssl-passthrough: \"true\" are not terminated; the HTTPS listener reads the ClientHello's SNI and splices their connections to an endpoint of the host's / path.")
    var enableSSLPassthrough = false

    func validate() throws {
        if let name = self.defaultBackendService, name.split(separator: "/", omittingEmptySubsequences: false).count != 2 || name.hasPrefix("/") || name.hasSuffix("/") {
            throw ValidationError("--default-backend-service must be namespace/name, got \"\(name)\"")
        }
        if let name = self.configmap {
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }) else {
                throw ValidationError("--configmap must be namespace/name, got \"\(name)\"")
            }
        }
    }

    /// `--configmap` as namespace and name (validated already).
    var configMapName: (namespace: String, name: String)? {
        guard let parts = self.configmap?.split(separator: "/"), parts.count == 2 else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// The loader for these options (rules, certificates, class and default certificate).
    func loader() -> ConfigLoader {
        ConfigLoader(rulesDirectory: self.rules, certsDirectory: self.certs, options: self.compileOptions())
    }

    func compileOptions() -> CompileOptions {
        CompileOptions(
            ingressClass: self.ingressClass, controllerName: self.controllerName,
            defaultSSLCertificate: self.defaultSSLCertificate, configMap: self.configmap, defaultBackendService: self.defaultBackendService,
            enableSSLPassthrough: self.enableSSLPassthrough)
    }
}
