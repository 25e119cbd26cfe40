import Foundation

/// The route map `/routes` and `/routes.json` show: hosts → paths → backends → endpoints, with
/// live request and error rates, the TLS certificates served and the current diagnostics.
///
/// What `portico routes` prints from the manifests, but of the serving generation and its
/// traffic. A plain value, encoded as the JSON document and rendered as the HTML page.
public struct RouteMap: Codable, Sendable, Equatable {
    public var generation: Int
    /// RFC 3339, UTC.
    public var generatedAt: String
    /// How many seconds the rates are measured over (shorter just after the start).
    public var rateWindowSeconds: Double
    /// False with `--enable-metrics false`: no per-route counts, rates are absent.
    public var requestMetrics: Bool
    public var hosts: [Host]
    public var certificates: [Certificate]
    public var defaultCertificate: Certificate
    public var diagnostics: [Problem]

    public struct Host: Codable, Sendable, Equatable {
        /// The virtual host's name, `*.example.com`, or `(any)` for rules without a host.
        public var host: String
        public var tls: Bool
        public var paths: [Path]
    }

    public struct Path: Codable, Sendable, Equatable {
        /// The Ingress path, or `(unmatched)` for a default backend.
        public var path: String
        public var type: String
        /// `namespace/name` of the Ingress.
        public var ingress: String
        /// `rewrite-target`, when the path is rewritten.
        public var rewrite: String?
        public var backend: BackendView
        public var traffic: Traffic?
    }

    public struct BackendView: Codable, Sendable, Equatable {
        /// `namespace/service:port`.
        public var service: String
        /// ingress-nginx's upstream name, `namespace-service-port`.
        public var upstream: String
        /// Why no endpoint receives traffic (requests get 503).
        public var unavailable: String?
        public var endpoints: [EndpointView]
    }

    public struct EndpointView: Codable, Sendable, Equatable {
        public enum State: String, Codable, Sendable {
            /// Ready in Kubernetes and receiving traffic.
            case ready
            /// Ready, but skipped after failed connects (passive health, ingress-nginx's
            /// `max_fails`/`fail_timeout`).
            case failing
            /// Listed by Kubernetes as not ready: sent nothing.
            case notReady
        }

        public var address: String
        public var pod: String?
        public var state: State
    }

    /// A route's counts since the start and its rates over the window.
    public struct Traffic: Codable, Sendable, Equatable {
        public var requests: UInt64
        public var errors: UInt64
        public var requestsPerSecond: Double
        public var errorsPerSecond: Double
    }

    public struct Certificate: Codable, Sendable, Equatable {
        /// The TLS host (`spec.tls[].hosts`), or `(default)`.
        public var host: String
        /// The Secret or file it came from; nil when the host is served the default certificate.
        public var origin: String?
        /// RFC 3339, UTC; nil when it could not be read.
        public var notAfter: String?
        public var daysLeft: Int?
        public var issuer: String?
        /// `namespace/name` of the Ingress that asked for it.
        public var ingress: String?
    }

    public struct Problem: Codable, Sendable, Equatable {
        public var severity: String
        public var object: String?
        public var field: String?
        public var message: String
        /// The whole diagnostic as the logs print it (file and line included).
        public var text: String
    }
}

extension RouteMap {
    /// The document `/routes.json` serves: keys sorted, so two equal maps read the same.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return ((try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}") + "\n"
    }
}
