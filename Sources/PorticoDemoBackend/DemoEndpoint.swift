/// One address a demo backend listens on, standing in for a Pod of the shipped example.
public struct DemoEndpoint: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// The first line of every answer, e.g. the seed's `<h1>Hello One</h1>`.
    public var page: String
    public var podName: String?
    public var service: String?

    public init(host: String, port: Int, page: String, podName: String? = nil, service: String? = nil) {
        self.host = host
        self.port = port
        self.page = page
        self.podName = podName
        self.service = service
    }
}
