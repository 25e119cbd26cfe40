import Foundation
import PorticoRouting

/// An `http://` or `https://` URL an annotation names a service by (`auth-url`,
/// `mirror-target`): its host as a cluster Service (`<service>.<namespace>.svc[.cluster.local]`,
/// at the URL's port), another name or address, or `$host`; its path and query.
struct AnnotationURL {
    /// Where the URL's host points.
    enum Host {
        case service(BackendRef)
        case host(String, port: Int)

        /// The backend the compiler registers for it.
        var backendRef: BackendRef {
            switch self {
            case .service(let ref): ref
            case .host(let name, let port): BackendRef(host: name, port: port)
            }
        }
    }

    enum HostPart {
        case named(Host)
        /// `$host`, `$http_host`, `$best_http_host`: the request's own.
        case sameHost
        /// Another variable.
        case variable
    }

    var isHTTPS: Bool
    /// `host[:port]` as written.
    var authority: String
    var hostName: String
    var host: HostPart
    /// The path and query, `/` when the URL has none.
    var path: String
    /// The URL writes a path (or a query) of its own.
    var pathWritten: Bool

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ url: String) -> Result<AnnotationURL, Problem> {
        guard let schemeEnd = url.range(of: "://"), ["http", "https"].contains(url[..<schemeEnd.lowerBound].lowercased()) else {
            return .failure(Problem(description: "\"\(url)\" is not an http:// or https:// URL"))
        }
        let isHTTPS = url[..<schemeEnd.lowerBound].lowercased() == "https"
        let rest = url[schemeEnd.upperBound...]
        var authority = String(rest.prefix { $0 != "/" && $0 != "?" })
        // A variable after the host (`https://test.env.com$request_uri`) starts the path.
        if let dollar = authority.dropFirst().firstIndex(of: "$") { authority = String(authority[..<dollar]) }
        var path = String(rest.dropFirst(authority.count))
        let pathWritten = !path.isEmpty
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        guard !authority.isEmpty else { return .failure(Problem(description: "\"\(url)\" has no host")) }
        var hostName = authority
        var port = isHTTPS ? 443 : 80
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                return .failure(Problem(description: "\"\(url)\" has an invalid port"))
            }
            port = number
            hostName = String(authority[..<colon])
        }
        let host: HostPart
        if ["$host", "$http_host", "$best_http_host"].contains(hostName) {
            host = .sameHost
        } else if hostName.contains("$") {
            host = .variable
        } else {
            let labels = hostName.lowercased().split(separator: ".").map(String.init)
            if labels.count >= 3, labels[2] == "svc", labels.count == 3 || labels[3...].joined(separator: ".") == "cluster.local" {
                host = .named(.service(BackendRef(namespace: labels[1], service: labels[0], port: .number(port))))
            } else {
                host = .named(.host(hostName.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port))
            }
        }
        return .success(AnnotationURL(isHTTPS: isHTTPS, authority: authority, hostName: hostName, host: host, path: path, pathWritten: pathWritten))
    }
}
