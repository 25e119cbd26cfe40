import Logging
import NIOCore
import PorticoKubernetes

/// The Kubernetes side of `serve --kubernetes`: one reflector per watched kind, and, when
/// status publishing is configured, leader election and the status writer. Everything here
/// runs in tasks on the control plane; the data plane only ever sees installed snapshots.
struct KubernetesController {
    let store: ObjectStore
    let client: APIClient
    let statusWriter: StatusWriter?
    let elector: LeaderElector?
    private(set) var tasks: [Task<Void, Never>] = []

    /// - Parameter configMap: `--configmap`'s namespace and name, watched as one more kind.
    init(options: KubernetesOptions, configMap: (namespace: String, name: String)?, group: any EventLoopGroup, logger: Logger) throws {
        // With --configmap, ConfigMaps are watched too (the header ConfigMaps it and Ingresses
        // name may live anywhere); the controller's own by name when --namespace leaves it out.
        var kinds = ResourceKind.watched
        if let configMap {
            kinds.append(.configMaps)
            if let namespace = options.namespace, namespace != configMap.namespace {
                kinds.append(.configMap(namespace: configMap.namespace, name: configMap.name))
            }
        }
        self.store = ObjectStore(kinds: kinds, controllerConfigMap: configMap.map { "\($0.namespace)/\($0.name)" })
        let config = try options.apiServer()
        self.client = APIClient(config: config, group: group)
        logger.info(
            "reading configuration from the Kubernetes API",
            metadata: ["server": "\(config.url)", "namespace": "\(options.namespace ?? "all")"])
        // The leader writes status: Ingress addresses with --publish-service or
        // --publish-status-address, Gateway API conditions always.
        let elector = LeaderElector(
            client: self.client, namespace: config.namespace, name: options.electionId, identity: options.identity,
            leaseDuration: .seconds(max(options.leaseDuration, 2)), logger: logger)
        self.elector = elector
        self.statusWriter = StatusWriter(client: self.client, store: self.store, elector: elector, publish: try options.publish(), logger: logger)
        for kind in self.store.kinds {
            let reflector = Reflector(kind: kind, client: self.client, store: self.store, namespace: options.namespace, logger: logger)
            self.tasks.append(Task { await reflector.run() })
        }
        if let elector = self.elector, let statusWriter = self.statusWriter {
            self.tasks.append(Task { await elector.run() })
            self.tasks.append(Task { await statusWriter.run() })
        }
    }

    /// Waits until every kind has been listed once (woken by the store's changes, not a
    /// poll), logging every 10 s while it waits.
    func waitForSync(logger: Logger) async {
        let store = self.store
        let reminder = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(10))
                if !Task.isCancelled, !store.isSynced {
                    logger.warning("still waiting for the first list of every watched kind from the Kubernetes API")
                }
            }
        }
        defer { reminder.cancel() }
        guard !store.isSynced else { return }
        for await _ in store.changes where store.isSynced { return }
    }

    /// Stops the watches; the elector gives its Lease up on the way out.
    func stop() async {
        for task in self.tasks { task.cancel() }
        for task in self.tasks { await task.value }
    }
}
