import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// `portico convert --verify`: the Ingresses and their conversion compiled side by side, the
/// same requests run through both tables (`RequestSimulation`, the data plane's own router),
/// and every difference in what the proxy would do listed. The requests cover every host
/// (a one-label name for a wildcard, and a two-label one, where the Ingress API and the
/// Gateway API disagree) and every path (itself, one element below, a sibling that shares its
/// text), over HTTP and, for TLS hosts, HTTPS.
public enum ConversionVerification {
    public struct Difference: Equatable, Sendable, CustomStringConvertible {
        public var request: String
        public var ingress: String
        public var gateway: String

        public var description: String { "\(self.request): Ingress → \(self.ingress); Gateway API → \(self.gateway)" }
    }

    public struct Report: Sendable {
        public var requests: Int
        public var differences: [Difference]
        /// Problems the converted manifests themselves have (they should have none).
        public var diagnostics: [Diagnostic]
    }

    public static func verify(state: ClusterState, snapshot: RoutingSnapshot, converted yaml: String, options: CompileOptions = CompileOptions()) -> Report {
        var convertedState = state
        convertedState.ingresses = []
        convertedState.ingressClasses = []
        let decoded = ManifestDecoder.decode(file: "converted.yaml", text: yaml)
        for (object, _) in decoded.objects { convertedState.add(object) }
        let compiled = IngressCompiler.compile(convertedState, options: options)
        let requests = Self.requests(snapshot)
        var differences: [Difference] = []
        for text in requests {
            guard let request = try? OfflineRequest.parse(text).get() else { continue }
            let before = Self.summary(RequestSimulation.run(request, snapshot: snapshot), state: state)
            let after = Self.summary(RequestSimulation.run(request, snapshot: compiled.snapshot), state: state)
            if before != after { differences.append(Difference(request: text, ingress: before, gateway: after)) }
        }
        let problems = decoded.issues + compiled.diagnostics.filter { $0.severity == .error }
        return Report(requests: requests.count, differences: differences, diagnostics: problems)
    }

    /// What the proxy would do, in words both tables can be compared by: a Service port named
    /// (`ns/svc:https`) is written as its number, as the conversion writes it.
    static func summary(_ outcome: SimulatedOutcome, state: ClusterState) -> String {
        let service = outcome.backend.map { ref in
            IngressConversion.port(of: ref, in: state).map { "\(ref.namespace)/\(ref.service):\($0)" } ?? ref.description
        }
        if let status = outcome.status {
            var text = "\(status)"
            if let location = outcome.location { text += " to \(location)" }
            if status == 503, let service { text += " (\(service))" }
            return text
        }
        return "proxied to \(service ?? "?") as \(outcome.upstreamPath ?? "?")"
    }

    /// `METHOD URL` requests covering every Ingress host and path of the table.
    static func requests(_ snapshot: RoutingSnapshot) -> [String] {
        var result: [String] = []
        var seen = Set<String>()
        func add(_ text: String) { if seen.insert(text).inserted { result.append(text) } }
        for virtualHost in snapshot.routes.listing where virtualHost.redirectTo == nil {
            let hosts: [String]
            switch try? HostPattern.parse(virtualHost.name).get() {
            case .exact(let name)?: hosts = [name]
            case .wildcard(let suffix)?, .subdomains(let suffix)?: hosts = ["a.\(suffix)", "a.b.\(suffix)"]
            case nil: hosts = ["any-host.example"]
            }
            var paths: [String] = []
            for route in virtualHost.routes where route.conditions == nil {
                switch route.match {
                case .exact(let bytes):
                    let path = String(decoding: bytes, as: UTF8.self)
                    paths += [path, path + "/x"]
                case .prefix(let bytes):
                    let path = String(decoding: bytes, as: UTF8.self)
                    paths += path == "/" ? ["/", "/x/y?q=1"] : [path, path + "/", path + "/x?q=1", path + "x"]
                case .regex(let regex):
                    let literal = String(decoding: regex.literalPrefix, as: UTF8.self)
                    paths += [literal.isEmpty ? "/" : literal, (literal.hasSuffix("/") ? literal : literal + "/") + "x?q=1"]
                }
            }
            if virtualHost.fallback != nil { paths.append("/no-such-path") }
            paths.append("/")
            for host in hosts {
                for path in paths {
                    add("GET http://\(host)\(path)")
                    if virtualHost.hasTLS { add("GET https://\(host)\(path)") }
                }
            }
        }
        if snapshot.routes.defaultRoute != nil { add("GET http://unnamed-host.example/") }
        return result
    }
}
