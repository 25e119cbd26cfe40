import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// `portico convert --verify`: the Ingresses and their conversion compiled side by side, the
/// same requests run through both tables (`RequestSimulation`, the data plane's own router),
/// and every difference in what the proxy would do listed. The requests cover every host
/// (a one-label name for a wildcard, and a two-label one, where the Ingress API and the
/// Gateway API disagree) and every path (itself, one element below, a sibling that shares its
/// text), over HTTP and, for TLS hosts, HTTPS.
///
/// A folder of Ingresses often comes without its Services. A missing Service is answered
/// differently by design (ingress-nginx 503, a Gateway 500: `BackendNotFound`), which says
/// nothing about the routing; so both sides are verified as if each Service a backend names
/// by port number existed without ready endpoints, and the report lists those it assumed.
public enum ConversionVerification {
    public struct Difference: Equatable, Sendable, CustomStringConvertible {
        public var request: String
        public var ingress: String
        public var gateway: String
        /// `namespace/name` of the Ingress whose route took the request, if one did.
        public var ingressName: String? = nil
        /// `namespace/name` of the HTTPRoute whose route took it after conversion, if one did.
        public var gatewayRouteName: String? = nil

        public var description: String { "\(self.request): Ingress → \(self.ingress); Gateway API → \(self.gateway)" }
    }

    public struct Report: Sendable {
        public var requests: Int
        public var differences: [Difference]
        /// Problems the converted manifests themselves have (they should have none).
        public var diagnostics: [Diagnostic]
        /// `namespace/name` of the Services the Ingresses name but the input lacks, which both
        /// sides were verified as having (without ready endpoints).
        public var assumedServices: [String] = []
    }

    public static func verify(state original: ClusterState, snapshot compiled: RoutingSnapshot, converted yaml: String, options: CompileOptions = CompileOptions()) -> Report {
        var state = original
        let standIns = Self.standInServices(for: compiled)
        for service in standIns { state.add(.service(service)) }
        let ingressSide = IngressCompiler.compile(state, options: options)
        let snapshot = standIns.isEmpty ? compiled : ingressSide.snapshot
        var convertedState = state
        convertedState.ingresses = []
        convertedState.ingressClasses = []
        let decoded = ManifestDecoder.decode(file: "converted.yaml", text: yaml)
        for (object, _) in decoded.objects { convertedState.add(object) }
        let converted = IngressCompiler.compile(convertedState, options: options)
        let requests = Self.requests(snapshot)
        var differences: [Difference] = []
        for text in requests {
            guard let request = try? OfflineRequest.parse(text).get() else { continue }
            let outcome = RequestSimulation.run(request, snapshot: snapshot)
            let convertedOutcome = RequestSimulation.run(request, snapshot: converted.snapshot)
            let before = Self.summary(outcome, state: state)
            let after = Self.summary(convertedOutcome, state: state)
            if before != after {
                differences.append(
                    Difference(request: text, ingress: before, gateway: after, ingressName: outcome.ingress, gatewayRouteName: convertedOutcome.ingress))
            }
        }
        // A problem the Ingresses have too (a TLS Secret the input lacks: both sides serve the
        // default certificate) is not the conversion's; both say it with the same cause first.
        func cause(_ diagnostic: Diagnostic) -> Substring { diagnostic.message.split(separator: ";", maxSplits: 1).first ?? "" }
        let inherited = Set(ingressSide.diagnostics.map(cause))
        let problems = decoded.issues + converted.diagnostics.filter { $0.severity == .error && !inherited.contains(cause($0)) }
        return Report(
            requests: requests.count, differences: differences, diagnostics: problems,
            assumedServices: standIns.map { "\($0.metadata.namespace)/\($0.metadata.name)" })
    }

    /// A Service for each one the snapshot's backends name by port number and the state lacks,
    /// with those ports and no endpoints. Backends naming a port by name get none: the
    /// conversion cannot write their number either, and says so.
    static func standInServices(for snapshot: RoutingSnapshot) -> [Service] {
        var ports: [ClusterState.ServiceName: Set<Int>] = [:]
        for backend in snapshot.backends where backend.serviceMissing && !backend.ref.isUnresolved && !backend.ref.isHost {
            guard case .number(let number) = backend.ref.port else { continue }
            ports[ClusterState.ServiceName(namespace: backend.ref.namespace, name: backend.ref.service), default: []].insert(number)
        }
        return ports.sorted { ($0.key.namespace, $0.key.name) < ($1.key.namespace, $1.key.name) }.map { name, numbers in
            Service(
                metadata: ObjectMeta(name: name.name, namespace: name.namespace), location: SourceLocation(file: "(assumed by --verify)", line: 0),
                ports: numbers.sorted().map { ServicePort(port: $0) })
        }
    }

    /// What the proxy would do, in words both tables can be compared by: a Service port named
    /// (`ns/svc:https`) is written as its number, as the conversion writes it.
    static func summary(_ outcome: SimulatedOutcome, state: ClusterState) -> String {
        let service = outcome.backend.map { ref in
            IngressConversion.port(of: ref, in: state).map { "\(ref.namespace)/\(ref.service):\($0)" } ?? ref.description
        }
        if let status = outcome.status {
            var text = "\(status)"
            if let location = outcome.location { text += " to \(Self.normalized(location))" }
            if status == 503, let service { text += " (\(service))" }
            return text
        }
        return "proxied to \(service ?? "?") as \(outcome.upstreamPath ?? "?")"
    }

    /// An absolute `Location` with an empty path as the same URL with `/` (RFC 3986 §6.2.3:
    /// equivalent for http and https; ingress-nginx's HTTPS redirect of `/` writes none).
    static func normalized(_ location: String) -> String {
        guard let scheme = location.range(of: "://") else { return location }
        let rest = location[scheme.upperBound...]
        guard let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) else { return location + "/" }
        return rest[end] == "/" ? location : String(location[..<end]) + "/" + location[end...]
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
