import PorticoConfig
import PorticoDiagnostics
import PorticoKube
import Synchronization

/// What the watches have seen: every object of every watched kind, by key, plus what the rest
/// of the controller needs to know about the API (synced yet? reachable?).
///
/// Written by the reflectors, read whole by the reload loop, which turns it into a
/// `ClusterState` exactly like the directory provider's, so the compiler and data plane
/// cannot tell the two apart.
public final class ObjectStore: Sendable {
    struct State {
        var objects: [ResourceKind: [ClusterState.ObjectKey: KubeObject]] = [:]
        /// Decoding problems of objects the API served (kept out, or kept in their last good
        /// version).
        var issues: [ClusterState.ObjectKey: Diagnostic] = [:]
        /// `status.loadBalancer.ingress` of each Ingress, as last seen.
        var ingressStatus: [ClusterState.ObjectKey: [String]] = [:]
        /// The `status` of each Gateway API object as last seen, JSON text.
        var objectStatus: [ClusterState.ObjectKey: String] = [:]
        var synced: Set<ResourceKind> = []
        /// Optional kinds the API does not serve (their CRDs are not installed).
        var absent: Set<ResourceKind> = []
        /// Kinds whose last list or watch failed, with the error.
        var failing: [ResourceKind: String] = [:]
        var failingSince: ContinuousClock.Instant?
        var version = 0
        /// The Services whose Service, Endpoints or EndpointSlices changed since the last
        /// `takeState`; nil when that is not known (a full list, a Pod change).
        var changedServices: Set<ClusterState.ServiceName>? = []

        /// An object that changed (nil: one that could not be read, so its kind says nothing).
        mutating func noteChange(of object: KubeObject?) {
            guard let object else {
                self.changedServices = nil
                return
            }
            ClusterState.noteBackendEffect(of: object, in: &self.changedServices)
        }
    }

    private let state = Mutex(State())
    private let changeSignal: AsyncStream<Void>.Continuation
    /// Yields after every change (coalesced: a reader that is behind sees one element).
    public let changes: AsyncStream<Void>
    public let kinds: [ResourceKind]
    /// `--configmap`'s `namespace/name`: with it, the ConfigMaps that reach the state are that
    /// one and those it or an Ingress names (`ConfigMapReferences`).
    public let controllerConfigMap: String?

    public init(kinds: [ResourceKind] = ResourceKind.watched, controllerConfigMap: String? = nil) {
        self.kinds = kinds
        self.controllerConfigMap = controllerConfigMap
        (self.changes, self.changeSignal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Replaces every object of a kind (after a full list).
    func replace(_ kind: ResourceKind, with objects: [Decoded]) {
        self.state.withLock { state in
            let previous = state.objects[kind] ?? [:]
            var next: [ClusterState.ObjectKey: KubeObject] = [:]
            // A full list replaces what is known of the kind, its problems included (an object
            // that failed to decode and was deleted meanwhile must not be reported forever).
            state.issues = state.issues.filter { $0.key.kind != kind.kind }
            if kind == .ingresses { state.ingressStatus = [:] }
            if kind.optional { state.objectStatus = state.objectStatus.filter { $0.key.kind != kind.kind } }
            for decoded in objects { Self.store(decoded, previous: previous, into: &next, state: &state) }
            state.objects[kind] = next
            state.synced.insert(kind)
            state.absent.remove(kind)
            state.version += 1
            state.changedServices = nil  // a whole list: anything may have changed
        }
        self.changeSignal.yield()
    }

    /// Applies one watch event.
    func apply(_ kind: ResourceKind, _ decoded: Decoded, deleted: Bool) {
        let changed = self.state.withLock { state -> Bool in
            var objects = state.objects[kind] ?? [:]
            if deleted {
                let removed = objects.removeValue(forKey: decoded.key)
                guard removed != nil || state.issues[decoded.key] != nil else { return false }
                state.issues[decoded.key] = nil
                state.ingressStatus[decoded.key] = nil
                state.objectStatus[decoded.key] = nil
                state.noteChange(of: removed)
            } else {
                let before = objects[decoded.key]
                let previous = objects
                state.issues[decoded.key] = nil
                Self.store(decoded, previous: previous, into: &objects, state: &state)
                if before == objects[decoded.key] && decoded.issue == nil {
                    return false  // only status or resourceVersion moved: nothing to compile
                }
                if let before { state.noteChange(of: before) }
                state.noteChange(of: objects[decoded.key])
            }
            state.objects[kind] = objects
            state.version += 1
            return true
        }
        if changed { self.changeSignal.yield() }
    }

    /// An object as decoded from the API: the object, or the problem that kept it out.
    struct Decoded {
        var key: ClusterState.ObjectKey
        var object: KubeObject?
        var issue: Diagnostic?
        var loadBalancer: [String]
        /// A Gateway API object's `status` as JSON text, for the status writer.
        var status: String?
    }

    private static func store(
        _ decoded: Decoded, previous: [ClusterState.ObjectKey: KubeObject], into objects: inout [ClusterState.ObjectKey: KubeObject],
        state: inout State
    ) {
        if decoded.key.kind == "Ingress" { state.ingressStatus[decoded.key] = decoded.loadBalancer }
        if let status = decoded.status { state.objectStatus[decoded.key] = status } else { state.objectStatus[decoded.key] = nil }
        if let object = decoded.object {
            objects[decoded.key] = object
        } else if let old = previous[decoded.key] {
            objects[decoded.key] = old  // a version Portico cannot read: the last good one serves
        }
        if let issue = decoded.issue { state.issues[decoded.key] = issue }
    }

    /// The whole state, in the shape the compiler takes, and the API objects' problems.
    public var version: Int { self.state.withLock { $0.version } }

    public func clusterState() -> (state: ClusterState, diagnostics: [Diagnostic], version: Int) {
        self.state.withLock { Self.build($0, kinds: self.kinds, controllerConfigMap: self.controllerConfigMap) }
    }

    /// `clusterState()` plus the Services whose endpoints changed since the last call (nil:
    /// unknown), for the reload loop: with it, an endpoint change among 10,000 Services
    /// re-resolves only the backends of the Services it touched.
    public func takeState() -> (state: ClusterState, diagnostics: [Diagnostic], version: Int, changedServices: Set<ClusterState.ServiceName>?) {
        self.state.withLock { state in
            let (cluster, diagnostics, version) = Self.build(state, kinds: self.kinds, controllerConfigMap: self.controllerConfigMap)
            defer { state.changedServices = [] }
            return (cluster, diagnostics, version, state.changedServices)
        }
    }

    private static func build(
        _ state: State, kinds: [ResourceKind], controllerConfigMap: String?
    ) -> (state: ClusterState, diagnostics: [Diagnostic], version: Int) {
        var cluster = ClusterState()
        // ConfigMaps may come from two kinds (all of them, and the controller's pinned to its
        // namespace): the references are worked out once over both.
        let configMaps = ConfigMapReferences(
            controller: controllerConfigMap,
            configMaps: kinds.filter { $0.kind == "ConfigMap" }.flatMap { (state.objects[$0] ?? [:]).values }.compactMap {
                if case .configMap(let value) = $0 { value } else { nil }
            },
            ingresses: kinds.filter { $0 == .ingresses }.flatMap { (state.objects[$0] ?? [:]).values }.compactMap {
                if case .ingress(let value) = $0 { value } else { nil }
            })
        for kind in kinds {
            let objects = state.objects[kind] ?? [:]
            let secrets = kind == .secrets ? SecretReferences(ingresses: cluster.ingresses) : nil
            for key in objects.keys.sorted(by: { ($0.namespace, $0.name) < ($1.namespace, $1.name) }) {
                let object = objects[key]!
                // Every Secret is watched (auth Secrets are Opaque); only those the compiler
                // can use enter the state.
                if let secrets, case .secret(let secret) = object, !secrets.needs(secret) { continue }
                if case .configMap(let configMap) = object, !configMaps.needs(configMap) { continue }
                cluster.add(object)
            }
        }
        let diagnostics = state.issues.keys.sorted(by: { $0.description < $1.description }).map { state.issues[$0]! }
        return (cluster, diagnostics, state.version)
    }

    /// True once every kind has been listed at least once.
    public var isSynced: Bool { self.state.withLock { $0.synced.count == self.kinds.count } }

    /// Kinds whose watch is failing, with how long the API has been failing.
    public var health: (failing: [String: String], since: ContinuousClock.Instant?) {
        self.state.withLock { state in
            (Dictionary(uniqueKeysWithValues: state.failing.map { ($0.key.resource, $0.value) }), state.failingSince)
        }
    }

    /// A Gateway API object's `status` as last seen (JSON text); nil when it has none or is unknown.
    public func objectStatus(_ key: ClusterState.ObjectKey) -> String? {
        self.state.withLock { $0.objectStatus[key] }
    }

    /// Whether an object of this key was listed or watched.
    public func contains(_ key: ClusterState.ObjectKey) -> Bool {
        self.state.withLock { state in state.objects.values.contains { $0[key] != nil } }
    }

    /// The load-balancer addresses each Ingress's status shows now.
    public func ingressStatus(_ key: ClusterState.ObjectKey) -> [String]? {
        self.state.withLock { $0.ingressStatus[key] }
    }

    /// Records that the API does not serve an optional kind (its CRD is not installed): it
    /// counts as listed and empty. Returns true the first time (worth a log line).
    func noteAbsent(_ kind: ResourceKind) -> Bool {
        let (first, changed) = self.state.withLock { state -> (Bool, Bool) in
            let first = !state.absent.contains(kind)
            state.absent.insert(kind)
            _ = state.failing.removeValue(forKey: kind)
            let changed = !(state.objects[kind] ?? [:]).isEmpty || !state.synced.contains(kind)
            if changed {
                state.objects[kind] = [:]
                state.synced.insert(kind)
                state.version += 1
            }
            return (first, changed)
        }
        if changed { self.changeSignal.yield() }
        return first
    }

    /// Records a failing list or watch; returns true when this is the first failure after a
    /// healthy period (worth one loud log line).
    func noteFailure(_ kind: ResourceKind, _ error: String) -> Bool {
        self.state.withLock { state in
            let first = state.failing.isEmpty
            state.failing[kind] = error
            if first { state.failingSince = .now }
            return first
        }
    }

    /// Records a working list or watch; returns how long the API had been failing when this
    /// ends the outage.
    func noteHealthy(_ kind: ResourceKind) -> Duration? {
        self.state.withLock { state in
            guard state.failing.removeValue(forKey: kind) != nil, state.failing.isEmpty else { return nil }
            defer { state.failingSince = nil }
            return state.failingSince.map { .now - $0 }
        }
    }
}
