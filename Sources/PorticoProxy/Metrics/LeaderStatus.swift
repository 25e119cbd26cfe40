import Synchronization

/// `nginx_ingress_controller_leader_election_status{name}`: 1 while this replica holds the
/// lease named `name`, 0 otherwise; absent when no election runs (no status publishing).
public final class LeaderStatus: Sendable {
    private let state = Mutex<(name: String, leading: Bool)?>(nil)

    public init() {}

    public func set(name: String, leading: Bool) { self.state.withLock { $0 = (name, leading) } }

    func render(constantLabels labels: String) -> String {
        guard let state = self.state.withLock({ $0 }) else { return "" }
        let family = "nginx_ingress_controller_leader_election_status"
        return "# HELP \(family) Gauge reporting status of the leader election, 0 indicates follower, 1 indicates leader. 'name' is the string used to identify the lease\n"
            + "# TYPE \(family) gauge\n\(family){\(labels),name=\"\(MetricsExposition.escaped(state.name))\"} \(state.leading ? 1 : 0)\n"
    }
}
