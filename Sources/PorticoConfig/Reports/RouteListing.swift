import Foundation
import PorticoRouting

/// The compiled table as text, one line per host/path, resolved to endpoint addresses: what
/// `kubectl get ingress` would show if it knew where traffic really goes.
public enum RouteListing {
    public struct Row: Equatable, Sendable {
        public var host: String
        public var path: String
        public var type: String
        public var backend: String
        /// `rewrite-target` when one applies, else empty.
        public var rewrite: String
        public var endpoints: String
        /// The Ingress's `namespace/name`; an HTTPRoute's as `HTTPRoute namespace/name`.
        public var ingress: String
    }

    /// How many rows `rows` would list, without building them (the reload log line).
    public static func count(_ snapshot: RoutingSnapshot) -> Int {
        snapshot.routes.listing.reduce(snapshot.routes.defaultRoute == nil ? 0 : 1) { total, virtualHost in
            total + virtualHost.routes.count + (virtualHost.fallback == nil ? 0 : 1)
        }
    }

    public static func rows(_ snapshot: RoutingSnapshot) -> [Row] {
        snapshot.routes.listed.map { listed in
            let route = listed.route
            let backend = snapshot.backends[route.backend]
            let endpoints =
                backend.endpoints.isEmpty
                ? "<none: \(backend.unavailableReason ?? "no ready endpoints")>"
                : backend.endpoints.map(\.description).joined(separator: ",")
            return Row(host: listed.host, path: listed.path, type: listed.type, backend: backend.ref.description,
                       rewrite: route.rewrite.map { "→ \($0.text)" } ?? "", endpoints: endpoints, ingress: route.source.listingName)
        }
    }

    /// One line per TLS host: the certificate it is served, or why it gets the default one.
    public static func renderTLS(_ snapshot: RoutingSnapshot) -> String {
        var lines = snapshot.tls.map { binding in
            "\(binding.host)  \(binding.certificate?.origin ?? "<default certificate: secret not found>")  (\(binding.owner))"
        }
        lines.append("default certificate: \(snapshot.defaultCertificate?.origin ?? "generated self-signed (ingress-nginx's fake certificate)")")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A fixed-width table with a header line.
    public static func render(_ snapshot: RoutingSnapshot) -> String {
        let header = Row(
            host: "HOST", path: "PATH", type: "TYPE", backend: "BACKEND", rewrite: "REWRITE", endpoints: "ENDPOINTS",
            ingress: "INGRESS")
        let all = [header] + Self.rows(snapshot)
        if all.count == 1 { return "no routes\n" }
        func width(_ key: KeyPath<Row, String>) -> Int { all.map { $0[keyPath: key].count }.max() ?? 0 }
        let widths = [width(\.host), width(\.path), width(\.type), width(\.rewrite), width(\.backend), width(\.ingress)]
        return all.map { row in
            [row.host, row.path, row.type, row.rewrite, row.backend, row.ingress].enumerated().map { index, text in
                text.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "  " + row.endpoints
        }.joined(separator: "\n") + "\n"
    }
}
