import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// The Gateways and listeners Portico serves: those of a GatewayClass whose `controllerName` is
/// ours. An `HTTP` listener is served on Portico's plain port and an `HTTPS` one on its TLS port,
/// whatever port number the listener declares (in a cluster the Service in front maps the
/// Gateway's ports to Portico's); the declared port is what redirects put in `Location`.
struct GatewayListeners {
    /// One listener routes can attach to.
    struct Listener {
        var gateway: Gateway
        var listener: GatewayListener
        var object: String
        var isTLS: Bool
        /// The listener's certificate (HTTPS), if it resolved.
        var certificate: CertificateSource?
    }

    private(set) var listeners: [Listener] = []
    /// `namespace/name` of every Gateway of ours, for parentRefs.
    private(set) var gateways = Set<String>()
    /// Each of our Gateways' listeners' status (`attachedRoutes` still 0), in listener order,
    /// and our GatewayClasses' conditions.
    private(set) var status = GatewayAPIStatus()

    /// Reads the Gateways of our classes, oldest first, with a diagnostic for each listener
    /// that cannot be served.
    init(
        state: ClusterState, controllerName: String, certificates: CertificateResolver, grants: ReferenceGrants,
        diagnostics: inout [Diagnostic]
    ) {
        let ours = state.gatewayClasses.filter { $0.controllerName == controllerName }
        let classes = Set(ours.map(\.metadata.name))
        for gatewayClass in ours {
            self.status.gatewayClasses[gatewayClass.metadata.name] = [
                .init("Accepted", true, "Accepted", "served by Portico", generation: gatewayClass.metadata.generation)
            ]
        }
        for gateway in GatewayOrder.sorted(state.gateways, by: \.metadata) {
            let name = "\(gateway.metadata.namespace)/\(gateway.metadata.name)"
            let object = "Gateway \(name)"
            guard classes.contains(gateway.gatewayClassName) else {
                diagnostics.append(
                    Diagnostic(.info, file: gateway.location.file, line: gateway.location.line, object: object, field: "spec.gatewayClassName",
                               message: "ignored: GatewayClass \"\(gateway.gatewayClassName)\" \(state.gatewayClasses.contains { $0.metadata.name == gateway.gatewayClassName } ? "belongs to another controller" : "does not exist") (ours: controllerName \(controllerName))"))
                continue
            }
            self.gateways.insert(name)
            let generation = gateway.metadata.generation
            var listenerStatus: [GatewayAPIStatus.Listener] = []
            defer {
                let accepted = listenerStatus.contains { $0.conditions.first?.status == true }
                self.status.gateways[name] = GatewayAPIStatus.GatewayValue(
                    conditions: [
                        .init("Accepted", accepted, accepted ? "Accepted" : "ListenersNotValid", accepted ? "" : "no listener can be served", generation: generation),
                        .init("Programmed", accepted, accepted ? "Programmed" : "Invalid", accepted ? "" : "no listener can be served", generation: generation),
                    ],
                    listeners: listenerStatus)
            }
            for listener in gateway.listeners {
                func served(refs: (reason: String, message: String)? = nil) {
                    // `allowedRoutes.kinds` narrows the kinds served; one Portico does not serve
                    // is `InvalidRouteKinds` (ListenerConditionReason), the others still served.
                    let allowed = listener.allowedRoutes.kinds
                    let supported = allowed.isEmpty ? Self.routeKinds.map(\.kind) : Self.routeKinds.filter(allowed.contains).map(\.kind)
                    let invalid = allowed.filter { !Self.routeKinds.contains($0) }
                    if !invalid.isEmpty {
                        diagnostics.append(
                            Diagnostic(.error, file: gateway.location.file, line: listener.line ?? gateway.location.line, object: object,
                                       field: "\(listener.field).allowedRoutes.kinds",
                                       message: "listener \(listener.name): \(invalid.map(\.description).joined(separator: ", ")) is not a route kind Portico serves (HTTPRoute, GRPCRoute): InvalidRouteKinds"))
                    }
                    let resolved = refs ?? (invalid.isEmpty ? nil : ("InvalidRouteKinds", "\(invalid.map(\.description).joined(separator: ", ")) not served"))
                    listenerStatus.append(
                        GatewayAPIStatus.Listener(
                            name: listener.name, attachedRoutes: 0, supportedKinds: supported,
                            conditions: [
                                .init("Accepted", true, "Accepted", generation: generation),
                                .init("ResolvedRefs", resolved == nil, resolved?.reason ?? "ResolvedRefs", resolved?.message ?? "", generation: generation),
                                .init("Programmed", refs == nil, refs == nil ? "Programmed" : "Invalid", refs == nil ? "" : "served with the default certificate", generation: generation),
                                .init("Conflicted", false, "NoConflicts", generation: generation),
                            ]))
                }
                func refuse(_ field: String, _ message: String, reason: String = "UnsupportedValue") {
                    diagnostics.append(
                        Diagnostic(.error, file: gateway.location.file, line: listener.line ?? gateway.location.line, object: object,
                                   field: "\(listener.field)\(field)", message: "listener \(listener.name): \(message); it serves no routes"))
                    listenerStatus.append(
                        GatewayAPIStatus.Listener(
                            name: listener.name, attachedRoutes: 0, supportedKinds: [],
                            conditions: [
                                .init("Accepted", false, reason, message, generation: generation),
                                .init("Programmed", false, "Invalid", message, generation: generation),
                            ]))
                }
                if let hostname = listener.hostname, case .failure(let error) = GatewayHostnames.pattern(hostname) {
                    refuse(".hostname", "\(error)")
                    continue
                }
                switch listener.protocolName {
                case "HTTP":
                    served()
                    self.listeners.append(Listener(gateway: gateway, listener: listener, object: object, isTLS: false))
                case "HTTPS":
                    guard let tls = listener.tls, tls.mode == "Terminate" else {
                        refuse(".tls", "an HTTPS listener needs tls.mode Terminate and its certificateRefs")
                        continue
                    }
                    var certificate: CertificateSource?
                    var refProblem: (reason: String, message: String)?
                    if tls.certificateRefs.isEmpty { refProblem = ("InvalidCertificateRef", "no certificateRefs") }
                    for (index, ref) in tls.certificateRefs.enumerated() where certificate == nil {
                        let field = "\(listener.field).tls.certificateRefs[\(index)]"
                        let namespace = ref.namespace ?? gateway.metadata.namespace
                        guard ref.group.isEmpty, ref.kind == "Secret" else {
                            diagnostics.append(
                                Diagnostic(.error, file: gateway.location.file, line: ref.line, object: object, field: field,
                                           message: "\(ref.kind) is not a kind Portico reads certificates from (Secret): InvalidCertificateRef"))
                            refProblem = refProblem ?? ("InvalidCertificateRef", "\(ref.kind) \(ref.name) is not a Secret")
                            continue
                        }
                        guard grants.permit(from: GroupKind(group: "gateway.networking.k8s.io", kind: "Gateway"), in: gateway.metadata.namespace,
                                            to: GroupKind(group: "", kind: "Secret"), in: namespace, named: ref.name)
                        else {
                            diagnostics.append(
                                Diagnostic(.error, file: gateway.location.file, line: ref.line, object: object, field: field,
                                           message: "Secret \(namespace)/\(ref.name) is in another namespace and no ReferenceGrant there lets Gateways of \(gateway.metadata.namespace) use it: RefNotPermitted"))
                            refProblem = refProblem ?? ("RefNotPermitted", "Secret \(namespace)/\(ref.name) needs a ReferenceGrant")
                            continue
                        }
                        switch certificates.resolve(namespace: namespace, name: ref.name) {
                        case .success(let source): certificate = source
                        case .failure(let error):
                            diagnostics.append(
                                Diagnostic(.error, file: gateway.location.file, line: ref.line, object: object, field: field,
                                           message: "\(error); the listener's hosts get the default certificate"))
                            refProblem = refProblem ?? ("InvalidCertificateRef", "\(error)")
                        }
                    }
                    served(refs: certificate == nil ? refProblem : nil)
                    self.listeners.append(Listener(gateway: gateway, listener: listener, object: object, isTLS: true, certificate: certificate))
                default:
                    refuse(".protocol", "protocol \(listener.protocolName) is not served yet (HTTP and HTTPS are): UnsupportedProtocol", reason: "UnsupportedProtocol")
                }
            }
        }
    }

    /// The route kinds Portico's HTTP and HTTPS listeners serve.
    static let routeKinds = GatewayRouteInput.Kind.allCases.map(\.groupKind)

    /// The listeners a parentRef names: the Gateway, narrowed by `sectionName` and `port`.
    func listeners(for ref: ParentReference, routeNamespace: String) -> [Listener]? {
        let namespace = ref.namespace ?? routeNamespace
        guard ref.group == "gateway.networking.k8s.io", ref.kind == "Gateway", self.gateways.contains("\(namespace)/\(ref.name)") else {
            return nil
        }
        return self.listeners.filter {
            $0.gateway.metadata.namespace == namespace && $0.gateway.metadata.name == ref.name
                && (ref.sectionName == nil || ref.sectionName == $0.listener.name) && (ref.port == nil || ref.port == $0.listener.port)
        }
    }
}

/// ReferenceGrants by the namespace they open.
struct ReferenceGrants {
    let grants: [String: [ReferenceGrant]]

    init(_ grants: [ReferenceGrant]) {
        self.grants = Dictionary(grouping: grants, by: \.metadata.namespace)
    }

    /// Whether an object of `from` in `fromNamespace` may refer to `to` `name` in `toNamespace`:
    /// always within a namespace, across namespaces only with a ReferenceGrant in the target's.
    func permit(from: GroupKind, in fromNamespace: String, to: GroupKind, in toNamespace: String, named name: String) -> Bool {
        fromNamespace == toNamespace
            || (self.grants[toNamespace] ?? []).contains { $0.permits(from: from, in: fromNamespace, to: to, named: name) }
    }
}

/// The order the Gateway API gives ties: the oldest object first, then `namespace/name`.
enum GatewayOrder {
    static func sorted<T>(_ objects: [T], by meta: KeyPath<T, ObjectMeta>) -> [T] {
        objects.sorted { lhs, rhs in
            let l = lhs[keyPath: meta]
            let r = rhs[keyPath: meta]
            switch (l.creationTimestamp, r.creationTimestamp) {
            case (let a?, let b?) where a != b: return a < b
            case (_?, nil): return true
            case (nil, _?): return false
            default: return (l.namespace, l.name) < (r.namespace, r.name)
            }
        }
    }
}
