import Foundation
import Logging
import PorticoKube
import Synchronization

/// Leader election on a `coordination.k8s.io/v1` Lease, the way client-go's leaderelection
/// does it: the holder renews `spec.renewTime` every `retryPeriod`; another replica takes the
/// Lease over only after it has seen the same record unchanged for `leaseDuration` (measured
/// on its own clock, so clock skew between nodes does not matter). Every write carries the
/// resourceVersion it read, so two replicas racing for an expired Lease cannot both win: the
/// API server answers the loser `409 Conflict`.
///
/// Only the leader writes Ingress status; every replica serves traffic regardless.
public final class LeaderElector: Sendable {
    public let identity: String
    let client: APIClient
    let namespace: String
    let name: String
    let leaseDuration: Duration
    let retryPeriod: Duration
    let logger: Logger
    private let leading = Atomic<Bool>(false)
    /// Told of every change of leadership (the status writer wakes on it).
    private let observers = Mutex<[@Sendable (Bool) -> Void]>([])

    public init(
        client: APIClient, namespace: String, name: String, identity: String, leaseDuration: Duration = .seconds(15),
        logger: Logger
    ) {
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.retryPeriod = leaseDuration / 7.5  // client-go's 15 s / 2 s
        self.logger = logger
    }

    public var isLeader: Bool { self.leading.load(ordering: .relaxed) }

    /// Calls `body` after each change of leadership, with the new state.
    public func onTransition(_ body: @escaping @Sendable (Bool) -> Void) {
        self.observers.withLock { $0.append(body) }
    }

    var path: String { "/apis/coordination.k8s.io/v1/namespaces/\(self.namespace)/leases/\(self.name)" }

    /// The record last read and when it last changed, by our clock.
    struct Observation {
        var holder: String
        var renewTime: String
        var seen: ContinuousClock.Instant
    }

    /// Tries to acquire or renew every `retryPeriod` until cancelled.
    public func run() async {
        var observed: Observation?
        var lastRenewal = ContinuousClock.now
        while !Task.isCancelled {
            do {
                let leads = try await self.tryAcquireOrRenew(&observed)
                if leads { lastRenewal = .now }
                self.transition(to: leads)
            } catch {
                self.logger.debug("leader election: \(error)")
                // A leader that cannot renew within the renew deadline (2/3 of the lease, as
                // client-go's 10 s of 15 s) steps down before another replica may take over.
                if self.isLeader && ContinuousClock.now - lastRenewal >= self.leaseDuration * 2 / 3 {
                    self.transition(to: false)
                }
            }
            try? await Task.sleep(for: self.retryPeriod)
        }
        if self.isLeader { await self.release() }
    }

    private func transition(to leads: Bool) {
        let was = self.leading.exchange(leads, ordering: .relaxed)
        if was != leads {
            self.logger.notice(leads ? "became the leader (Lease \(self.namespace)/\(self.name)); writing Ingress status" : "no longer the leader (Lease \(self.namespace)/\(self.name))")
            for observer in self.observers.withLock({ $0 }) { observer(leads) }
        }
    }

    func tryAcquireOrRenew(_ observed: inout Observation?) async throws -> Bool {
        let now = Self.timestamp(Date())
        let current = try await self.client.send(.GET, self.path)
        if current.status == 404 {
            let created = try await self.client.send(
                .POST, "/apis/coordination.k8s.io/v1/namespaces/\(self.namespace)/leases",
                body: self.body(resourceVersion: nil, acquireTime: now, renewTime: now, transitions: 0))
            guard created.status == 201 || created.status == 200 else {
                if created.status == 409 { return false }  // another replica created it first
                throw APIError.from(created)
            }
            return true
        }
        guard current.status == 200 else { throw APIError.from(current) }
        let lease = try APIPayload.parse(current.text)
        let spec = lease["spec"]
        let holder = spec?["holderIdentity"]?.string ?? ""
        let renewTime = spec?["renewTime"]?.string ?? ""
        let transitions = spec?["leaseTransitions"]?.int ?? 0
        let acquireTime = spec?["acquireTime"]?.string ?? now
        if observed?.holder != holder || observed?.renewTime != renewTime {
            observed = Observation(holder: holder, renewTime: renewTime, seen: .now)
        }
        let duration = spec?["leaseDurationSeconds"]?.int.map { Duration.seconds($0) } ?? self.leaseDuration
        let heldByOther = !holder.isEmpty && holder != self.identity
        if heldByOther, let seen = observed?.seen, ContinuousClock.now - seen < duration {
            return false
        }
        let takingOver = holder != self.identity
        let updated = try await self.client.send(
            .PUT, self.path,
            body: self.body(
                resourceVersion: lease.resourceVersion, acquireTime: takingOver ? now : acquireTime, renewTime: now,
                transitions: takingOver ? transitions + 1 : transitions))
        if updated.status == 409 { return false }  // someone else wrote first
        guard updated.status == 200 else { throw APIError.from(updated) }
        if takingOver && !holder.isEmpty {
            self.logger.info("took over the Lease from \(holder), whose last renewal is older than \(duration)")
        }
        return true
    }

    /// Gives the Lease up on shutdown so another replica leads at once instead of after
    /// `leaseDuration` (client-go's ReleaseOnCancel).
    func release() async {
        guard let current = try? await self.client.send(.GET, self.path), current.status == 200,
            let lease = try? APIPayload.parse(current.text), lease["spec"]?["holderIdentity"]?.string == self.identity
        else { return }
        let now = Self.timestamp(Date())
        _ = try? await self.client.send(
            .PUT, self.path,
            body: self.body(
                resourceVersion: lease.resourceVersion, acquireTime: now, renewTime: now,
                transitions: lease["spec"]?["leaseTransitions"]?.int ?? 0, holder: "", durationSeconds: 1))
        self.transition(to: false)
    }

    private func body(
        resourceVersion: String?, acquireTime: String, renewTime: String, transitions: Int, holder: String? = nil,
        durationSeconds: Int? = nil
    ) -> [UInt8] {
        var metadata: [String: Any] = ["name": self.name, "namespace": self.namespace]
        if let resourceVersion { metadata["resourceVersion"] = resourceVersion }
        let spec: [String: Any] = [
            "holderIdentity": holder ?? self.identity,
            "leaseDurationSeconds": durationSeconds ?? Int(self.leaseDuration.components.seconds),
            "acquireTime": acquireTime, "renewTime": renewTime, "leaseTransitions": transitions,
        ]
        let object: [String: Any] = [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": spec,
        ]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    /// RFC 3339 with microseconds, the `MicroTime` format Lease times use.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"
        return formatter.string(from: date)
    }
}
