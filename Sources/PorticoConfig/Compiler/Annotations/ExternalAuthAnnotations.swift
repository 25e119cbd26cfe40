import Foundation
import PorticoRouting

/// `auth-url`, `auth-method`, `auth-signin`, `auth-signin-redirect-param`,
/// `auth-response-headers`, `auth-request-redirect`, `auth-always-set-cookie` and the
/// `auth-keepalive*` tuning (Portico pools every upstream connection anyway) (ingress-nginx
/// `annotations/authreq/main.go`). What fails there as a `LocationDeniedError` — a URL without
/// scheme or host, an invalid method or header list — denies the paths (503); so does what
/// Portico cannot do yet (an `https://` URL to another host, variables other than `$host` in the
/// URL): never served without the check.
enum ExternalAuthAnnotations: AnnotationGroup {
    static let names = [
        "auth-url", "auth-method", "auth-signin", "auth-signin-redirect-param", "auth-response-headers", "auth-request-redirect",
        "auth-always-set-cookie", "auth-keepalive", "auth-keepalive-requests", "auth-keepalive-timeout", "auth-keepalive-share-vars",
        "auth-cache-key", "auth-cache-duration", "auth-proxy-set-headers",
    ]

    /// The auth service as the URL names it, before the compiler gives it a backend.
    struct Settings {
        enum Host {
            /// A cluster Service, an address or another DNS name (`AnnotationURL.Host`).
            case named(AnnotationURL.Host)
            /// `$host`: the request's own, routed through Portico's table.
            case sameHost
        }

        var host: Host
        var hostHeader: String
        var path: String
        var method: String?
        var responseHeaders: [String]
        var signin: SigninURL?
        var requestRedirect: String?
        var alwaysSetCookie: Bool
        var url: String
        var proxySetFields: [HeaderPolicy.Field] = []
        var cacheKey: RequestKeyTemplate?
        var cacheDurations: (durations: [Int: Int], anyStatus: Int?) = ([200: 300, 202: 300, 401: 300], nil)
    }

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let url = reader.value("auth-url") else { return }
        func deny(_ name: String, _ reason: String, differs: Bool = false) {
            reader.denyLocation(name, reason + "; the paths answer 503 rather than go unchecked", differs: differs)
            annotations.policy.deniedReason = "auth-url: " + reason
        }
        // URLWithNginxVariableRegex: a value outside it is a validation error: dropped.
        guard url.utf8.allSatisfy({ AnnotationReader.Characters.isAlphaNumeric($0) || ", $:?&=".utf8.contains($0) }) else {
            reader.drop("auth-url", url, expected: "a URL of letters, digits, -._~/:,?&=$")
            return
        }
        let parsed: AnnotationURL
        switch AnnotationURL.parse(url) {
        case .success(let value): parsed = value
        case .failure(let problem): return deny("auth-url", "\(problem)")
        }
        let authority = parsed.authority
        let path = parsed.path
        guard !path.contains("$") else {
            return deny("auth-url", "variables in the path of \"\(url)\" are not supported", differs: true)
        }
        let host: Settings.Host
        switch parsed.host {
        case .sameHost: host = .sameHost
        case .variable: return deny("auth-url", "only $host is supported in the host of \"\(url)\"", differs: true)
        case .named(let named):
            if parsed.isHTTPS {
                return deny("auth-url", "TLS to the auth service (\(url)) is not supported yet; use http:// or https://$host", differs: true)
            }
            host = .named(named)
        }
        var method: String?
        if let text = reader.value("auth-method") {
            guard ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"].contains(text) else {
                return deny("auth-method", "\"\(text)\" is not an HTTP method")
            }
            method = text
        }
        var headers: [String] = []
        if let text = reader.value("auth-response-headers") {
            for item in AnnotationReader.items(text) {
                guard AnnotationReader.Characters.isHeaderName(item) else {
                    return deny("auth-response-headers", "\"\(item)\" is not a header name")
                }
                headers.append(item)
            }
        }
        var signin: SigninURL?
        if let text = reader.value("auth-signin") {
            switch SigninURL.parse(text, redirectParameter: reader.value("auth-signin-redirect-param") ?? "rd") {
            case .success(let parsed): signin = parsed
            case .failure(let unknown):
                return deny("auth-signin", "\(unknown.name) in \"\(text)\" is not one of $host, $http_host, $scheme, $request_uri, $escaped_request_uri", differs: true)
            }
        }
        var settings = Settings(
            host: host, hostHeader: authority, path: path, method: method, responseHeaders: headers, signin: signin,
            requestRedirect: reader.value("auth-request-redirect"), alwaysSetCookie: reader.bool("auth-always-set-cookie", default: false),
            url: url)
        if let text = reader.value("auth-cache-duration") {
            guard let parsed = AuthCachePolicy.parseDurations(text) else {
                return deny("auth-cache-duration", "\"\(text)\" is not a list of [code …] time entries (200 202 401 5m)")
            }
            settings.cacheDurations = parsed
        }
        if let text = reader.value("auth-cache-key") {
            // NGINXVariable: a value outside it is refused and the cache stays off.
            if !text.utf8.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || "-_${}".utf8.contains($0) }) {
                reader.fallBack("auth-cache-key", text, expected: "nginx variables and letters, digits, -_", to: "no cache")
            } else {
                switch RequestKeyTemplate.parse(text) {
                case .success(let key): settings.cacheKey = key
                case .failure(let unknown):
                    reader.warn(
                        "auth-cache-key", "\(unknown.name) is not a variable Portico renders ($http_*, $cookie_*, $remote_user, $remote_addr, $host, $request_uri, $uri, $args, $scheme); auth answers are not cached",
                        differs: true)
                }
            }
        }
        if let reference = reader.value("auth-proxy-set-headers") {
            let namespace = reader.ingress.metadata.namespace
            let name = reference.contains("/") ? reference : "\(namespace)/\(reference)"
            // ingress-nginx refuses cross-namespace ConfigMaps (allow-cross-namespace-resources off).
            guard name.hasPrefix(namespace + "/") else {
                return deny("auth-proxy-set-headers", "ConfigMap \(reference) is not in the Ingress's namespace")
            }
            guard let configMap = reader.configMaps[name] else { return deny("auth-proxy-set-headers", "ConfigMap \(reference) not found") }
            for field in configMap.data.keys.sorted() {
                guard AnnotationReader.Characters.isHeaderName(field) else {
                    return deny("auth-proxy-set-headers", "\"\(field)\" in ConfigMap \(reference) is not a header name")
                }
                let value = configMap.data[field]!
                guard !value.contains("$"), !value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                    return deny("auth-proxy-set-headers", "\(field)'s value in ConfigMap \(reference) holds an nginx variable, which Portico does not expand", differs: true)
                }
                settings.proxySetFields.append(HeaderPolicy.Field(name: field, value: value))
            }
        }
        annotations.externalAuth = settings
    }
}
