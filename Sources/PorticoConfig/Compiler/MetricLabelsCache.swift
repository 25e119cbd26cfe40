import PorticoRouting

/// One `RouteMetricLabels` per distinct label set, kept across compilations like the regex
/// cache: an unchanged route keeps its labels object through reloads, which is the identity the
/// event loops count under. Control plane only, one compilation at a time.
public final class MetricLabelsCache {
    private var entries: [String: RouteMetricLabels] = [:]
    private var touched = Set<String>()

    public init() {}

    func labels(namespace: String, ingress: String, service: String, path: String, host: String, port: String = "", upstream: String = "") -> RouteMetricLabels {
        let made = RouteMetricLabels(namespace: namespace, ingress: ingress, service: service, path: path, host: host, servicePort: port, upstream: upstream)
        let key = made.text + " " + upstream
        self.touched.insert(key)
        if let cached = self.entries[key] { return cached }
        self.entries[key] = made
        return made
    }

    /// Drops label sets the compilation that just ended did not use.
    func endCompilation() {
        self.entries = self.entries.filter { self.touched.contains($0.key) }
        self.touched.removeAll(keepingCapacity: true)
    }
}
