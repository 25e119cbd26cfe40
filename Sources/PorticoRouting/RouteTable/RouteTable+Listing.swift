/// One row of a listing of the table: a host, a path (or a fallback) and its route.
public struct ListedRoute: Sendable {
    /// The virtual host's name, or `(any)` for the catch-all default backend.
    public let host: String
    /// The Ingress path, or `(unmatched)` for a default backend.
    public let path: String
    /// `Exact`, `Prefix`, `ImplementationSpecific`, … or `defaultBackend`; an HTTPRoute's
    /// conditions follow (`Prefix method=POST header:x-version https-listener`).
    public let type: String
    public let route: Route
    /// The host has a `spec.tls` entry (plain HTTP may be redirected to HTTPS).
    public let hasTLS: Bool
}

extension RouteTable {
    /// Every route in the order `portico routes` and `/routes` show them: each virtual host's
    /// routes in match order, then its fallback, and the catch-all default backend last.
    public var listed: [ListedRoute] {
        var rows: [ListedRoute] = []
        for virtualHost in self.listing {
            for route in virtualHost.routes {
                let type = route.conditions.map { route.match.typeName + $0.listingSuffix } ?? route.match.typeName
                rows.append(ListedRoute(host: virtualHost.name, path: route.match.pathText, type: type, route: route, hasTLS: virtualHost.hasTLS))
            }
            if let fallback = virtualHost.fallback {
                rows.append(ListedRoute(host: virtualHost.name, path: "(unmatched)", type: "defaultBackend", route: fallback, hasTLS: virtualHost.hasTLS))
            }
        }
        if let route = self.defaultRoute {
            rows.append(ListedRoute(host: "(any)", path: "(unmatched)", type: "defaultBackend", route: route, hasTLS: false))
        }
        return rows
    }
}

extension RouteConditions {
    /// The conditions as `portico routes` shows them after the path type.
    public var listingSuffix: String {
        var parts: [String] = []
        if let method = self.method { parts.append("method=" + String(decoding: method, as: UTF8.self)) }
        for header in self.headers { parts.append("header:" + String(decoding: header.name, as: UTF8.self)) }
        for parameter in self.query { parts.append("query:" + String(decoding: parameter.name, as: UTF8.self)) }
        parts.append(self.listener == .tls ? "https-listener" : "http-listener")
        return parts.isEmpty ? "" : " " + parts.joined(separator: " ")
    }
}
