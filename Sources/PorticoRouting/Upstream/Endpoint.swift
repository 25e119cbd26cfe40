/// One ready address a backend's traffic goes to directly, bypassing the Service's ClusterIP,
/// as ingress-nginx does with the addresses of a Service's EndpointSlices.
public struct Endpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// An IPv4 or IPv6 literal.
    public let address: String
    public let port: Int
    /// The Pod behind the address, when the manifests say (`targetRef` or a Pod's name).
    public let podName: String?

    public init(address: String, port: Int, podName: String? = nil) {
        self.address = address
        self.port = port
        self.podName = podName
    }

    public var description: String {
        self.address.contains(":") ? "[\(self.address)]:\(self.port)" : "\(self.address):\(self.port)"
    }

    public static func < (lhs: Endpoint, rhs: Endpoint) -> Bool {
        (lhs.address, lhs.port) < (rhs.address, rhs.port)
    }
}
