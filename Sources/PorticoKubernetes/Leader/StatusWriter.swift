import Foundation
import Logging
import PorticoConfig
import PorticoKube
import PorticoRouting
import Synchronization

/// Keeps `status.loadBalancer.ingress` of every Ingress Portico serves pointing at Portico:
/// the addresses of `--publish-service` (its load-balancer status, external IPs or cluster IP)
/// or `--publish-status-address`; and the Gateway API status (conditions of our GatewayClasses,
/// Gateways and their listeners, our parents of HTTPRoutes and GRPCRoutes), with or without those flags.
/// Writes only on the leader, only where the status differs, with a JSON merge patch on the
/// `status` subresource (RFC 7386), so it never races a user's edit of the spec.
public final class StatusWriter: Sendable {
    public enum Publish: Sendable {
        case service(namespace: String, name: String)
        case addresses([String])
    }

    let client: APIClient
    let store: ObjectStore
    let elector: LeaderElector
    /// nil: Ingress status is not written (neither flag given).
    let publish: Publish?
    let logger: Logger
    let interval: Duration
    /// `namespace/name` of the Ingresses the current generation serves.
    private let served = Mutex<[String]>([])
    /// Set when the served set changed since the last sync.
    private let dirty = Atomic<Bool>(true)
    /// What was written to each Ingress and when: a sync that comes before the watch has
    /// brought that status back (another install right after) does not write it again; after a
    /// resync interval it does, if the status still differs (someone else overwrote it).
    private let recentWrites = Mutex<[ClusterState.ObjectKey: (addresses: [String], at: ContinuousClock.Instant)]>([:])
    /// What the Gateway API objects' status should say (the current generation's).
    private let gatewayStatus = Mutex(GatewayAPIStatus())
    /// The Gateway API status last written per object (its canonical JSON without timestamps),
    /// and when: not written again before the watch brings it back.
    private let recentStatusWrites = Mutex<[ClusterState.ObjectKey: (status: String, at: ContinuousClock.Instant)]>([:])
    /// Coalesced wake-ups: a new served set, a change of leadership, the resync timer.
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    public init(client: APIClient, store: ObjectStore, elector: LeaderElector, publish: Publish?, logger: Logger, interval: Duration = .seconds(10)) {
        self.client = client
        self.store = store
        self.elector = elector
        self.publish = publish
        self.logger = logger
        self.interval = interval
        (self.wakeups, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        elector.onTransition { [wake = self.wake] _ in wake.yield() }
    }

    /// Called after each install with the Ingresses now served and the Gateway API status.
    public func update(served: [String], gatewayStatus: GatewayAPIStatus = GatewayAPIStatus()) {
        self.served.withLock { $0 = served }
        self.gatewayStatus.withLock { $0 = gatewayStatus }
        self.dirty.store(true, ordering: .relaxed)
        self.wake.yield()
    }

    /// Syncs after every change of the served set, on gaining leadership, and every
    /// `interval` (to notice a changed publish Service or a status someone else overwrote),
    /// until cancelled. It sleeps between those events; nothing is polled.
    public func run() async {
        let interval = self.interval
        let timer = Task { [wake = self.wake] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                wake.yield()
            }
        }
        defer { timer.cancel() }
        var wasLeader = false
        var lastSync = ContinuousClock.now
        for await _ in self.wakeups {
            let leads = self.elector.isLeader
            defer { wasLeader = leads }
            guard leads else { continue }
            let changed = self.dirty.exchange(false, ordering: .relaxed)
            guard changed || !wasLeader || ContinuousClock.now - lastSync >= self.interval - .milliseconds(50) else { continue }
            lastSync = .now
            await self.sync()
        }
    }

    func sync() async {
        guard self.publish != nil else { return await self.syncGatewayAPI(addresses: nil) }
        let addresses: [String]
        do { addresses = try await self.publishedAddresses() } catch {
            self.logger.warning("cannot read the publish Service: \(error); Ingress status and Gateway addresses not updated")
            return await self.syncGatewayAPI(addresses: nil)
        }
        await self.syncGatewayAPI(addresses: addresses)
        for entry in self.served.withLock({ $0 }) {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let key = ClusterState.ObjectKey(kind: "Ingress", namespace: parts[0], name: parts[1])
            guard let current = self.store.ingressStatus(key), current.sorted() != addresses else { continue }
            let now = ContinuousClock.now
            if let recent = self.recentWrites.withLock({ $0[key] }), recent.addresses == addresses, now - recent.at < self.interval { continue }
            do {
                try await self.write(addresses, namespace: parts[0], name: parts[1])
                self.recentWrites.withLock { $0[key] = (addresses, now) }
                self.logger.info("Ingress \(entry): status.loadBalancer set to \(addresses.joined(separator: ", "))")
            } catch {
                self.logger.warning("Ingress \(entry): status not updated: \(error)")
            }
        }
    }

    private func write(_ addresses: [String], namespace: String, name: String) async throws {
        let entries: [[String: String]] = addresses.map { address in
            IPAddressBytes.parse(address) != nil ? ["ip": address] : ["hostname": address]
        }
        let patch: [String: Any] = ["status": ["loadBalancer": ["ingress": entries]]]
        let body = try JSONSerialization.data(withJSONObject: patch, options: [.sortedKeys])
        let response = try await self.client.send(
            .PATCH, "/apis/networking.k8s.io/v1/namespaces/\(namespace)/ingresses/\(name)/status", body: Array(body),
            contentType: "application/merge-patch+json")
        guard response.status == 200 else { throw APIError.from(response) }
    }

    /// The addresses to publish, sorted. For a Service: its load-balancer ingress and external
    /// IPs; a Service without either publishes its cluster IP (an ExternalName Service its
    /// name), as ingress-nginx's `--publish-service`.
    func publishedAddresses() async throws -> [String] {
        switch self.publish {
        case nil:
            return []
        case .addresses(let addresses):
            return addresses.sorted()
        case .service(let namespace, let name):
            let response = try await self.client.send(.GET, "/api/v1/namespaces/\(namespace)/services/\(name)")
            guard response.status == 200 else { throw APIError.from(response) }
            let service = try APIPayload.parse(response.text)
            var addresses = service.loadBalancerAddresses
            addresses += service["spec"]?["externalIPs"]?.items.compactMap(\.string) ?? []
            if addresses.isEmpty {
                if let externalName = service["spec"]?["externalName"]?.string {
                    addresses = [externalName]
                } else if let clusterIP = service["spec"]?["clusterIP"]?.string, clusterIP != "None" {
                    addresses = [clusterIP]
                }
            }
            return Array(Set(addresses)).sorted()
        }
    }

    /// Writes the Gateway API status where the object's differs from what it should be.
    /// `addresses`: the published ones, for each Gateway's `status.addresses` (nil: left as
    /// they are).
    func syncGatewayAPI(addresses: [String]?) async {
        let desired = self.gatewayStatus.withLock { $0 }
        let now = GatewayStatusDocument.timestamp()
        var writes: [(key: ClusterState.ObjectKey, path: String, status: [String: Any])] = []
        func current(_ key: ClusterState.ObjectKey) -> [String: Any]? {
            self.store.objectStatus(key).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
        let group = "/apis/gateway.networking.k8s.io/v1"
        for (name, conditions) in desired.gatewayClasses {
            let key = ClusterState.ObjectKey(kind: "GatewayClass", namespace: "default", name: name)
            writes.append((key, "\(group)/gatewayclasses/\(name)/status", GatewayStatusDocument.gatewayClass(conditions, current: current(key), now: now)))
        }
        for (entry, value) in desired.gateways {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            let key = ClusterState.ObjectKey(kind: "Gateway", namespace: parts[0], name: parts[1])
            writes.append((key, "\(group)/namespaces/\(parts[0])/gateways/\(parts[1])/status", GatewayStatusDocument.gateway(value, addresses: addresses, current: current(key), now: now)))
        }
        for (kind, resource, routes) in [("HTTPRoute", "httproutes", desired.httpRoutes), ("GRPCRoute", "grpcroutes", desired.grpcRoutes)] {
            for (entry, parents) in routes {
                let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
                let key = ClusterState.ObjectKey(kind: kind, namespace: parts[0], name: parts[1])
                writes.append(
                    (key, "\(group)/namespaces/\(parts[0])/\(resource)/\(parts[1])/status",
                     GatewayStatusDocument.route(parents, namespace: parts[0], current: current(key), now: now)))
            }
        }
        for write in writes.sorted(by: { $0.path < $1.path }) where self.store.contains(write.key) {
            let wanted = Self.withoutTimes(write.status)
            guard wanted != current(write.key).map(Self.withoutTimes) else { continue }
            let at = ContinuousClock.now
            if let recent = self.recentStatusWrites.withLock({ $0[write.key] }), recent.status == wanted, at - recent.at < self.interval { continue }
            do {
                let body = try JSONSerialization.data(withJSONObject: ["status": write.status], options: [.sortedKeys])
                let response = try await self.client.send(.PATCH, write.path, body: Array(body), contentType: "application/merge-patch+json")
                guard response.status == 200 else { throw APIError.from(response) }
                self.recentStatusWrites.withLock { $0[write.key] = (wanted, at) }
                self.logger.info("\(write.key): status written")
            } catch {
                self.logger.warning("\(write.key): status not updated: \(error)")
            }
        }
    }

    /// Canonical JSON of a status without its `lastTransitionTime`s, for comparing.
    static func withoutTimes(_ status: [String: Any]) -> String {
        func strip(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                return object.filter { $0.key != "lastTransitionTime" }.mapValues(strip)
            }
            if let list = value as? [Any] { return list.map(strip) }
            return value
        }
        return GatewayStatusDocument.canonical(strip(status))
    }
}
