import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// The `proxy-*` group (ingress-nginx `annotations/proxy`): `proxy-body-size` is the largest
/// request body a path accepts, 413 above it (`"0"` unlimited, default 1 MiB as nginx's
/// `client_max_body_size 1m`); `proxy-connect-timeout` and `proxy-read-timeout` are seconds.
struct ProxyAnnotations {
    /// nil: unlimited.
    var maxBodySize: Int? = Self.defaultBodySize
    var connectTimeoutSeconds: Int?
    var readTimeoutSeconds: Int?
    var sendTimeoutSeconds: Int?
    var hashKey: HashKey?
    var upstreamHost: String?
    var nextUpstream = NextUpstream()
    var ewma = false

    static let bodySizeKey = "nginx.ingress.kubernetes.io/proxy-body-size"
    static let connectTimeoutKey = "nginx.ingress.kubernetes.io/proxy-connect-timeout"
    static let readTimeoutKey = "nginx.ingress.kubernetes.io/proxy-read-timeout"
    static let sendTimeoutKey = "nginx.ingress.kubernetes.io/proxy-send-timeout"
    static let defaultBodySize = 1024 * 1024
    static let hashByKey = "nginx.ingress.kubernetes.io/upstream-hash-by"
    static let upstreamVhostKey = "nginx.ingress.kubernetes.io/upstream-vhost"
    static let nextUpstreamKey = "nginx.ingress.kubernetes.io/proxy-next-upstream"
    static let loadBalanceKey = "nginx.ingress.kubernetes.io/load-balance"
    static let nextUpstreamTriesKey = "nginx.ingress.kubernetes.io/proxy-next-upstream-tries"

    /// Nil when a value is invalid: ingress-nginx drops such an Ingress.
    static func parse(_ ingress: Ingress, object: String, diagnostics: inout [Diagnostic]) -> ProxyAnnotations? {
        var result = ProxyAnnotations()
        let annotations = ingress.metadata.annotations
        func invalid(_ key: String, _ text: String, _ expected: String) -> ProxyAnnotations? {
            diagnostics.append(
                Diagnostic(.error, file: ingress.location.file, line: ingress.location.line, object: object,
                           field: "metadata.annotations[\(key)]",
                           message: "\"\(text)\" is not \(expected); ingress-nginx drops such an Ingress, so it is left out"))
            return nil
        }
        if let text = annotations[Self.bodySizeKey] {
            guard let size = Self.parseSize(text) else { return invalid(Self.bodySizeKey, text, "a size like 8k, 1m or 0") }
            result.maxBodySize = size == 0 ? nil : size
        }
        for (key, apply) in [
            (Self.connectTimeoutKey, { (seconds: Int, result: inout ProxyAnnotations) in result.connectTimeoutSeconds = seconds }),
            (Self.readTimeoutKey, { (seconds: Int, result: inout ProxyAnnotations) in result.readTimeoutSeconds = seconds }),
            (Self.sendTimeoutKey, { (seconds: Int, result: inout ProxyAnnotations) in result.sendTimeoutSeconds = seconds }),
        ] {
            guard let text = annotations[key] else { continue }
            guard let seconds = Int(text.trimmingCharacters(in: .whitespaces)), seconds > 0, seconds <= 86_400 else {
                return invalid(key, text, "a number of seconds between 1 and 86400")
            }
            apply(seconds, &result)
        }
        if let text = annotations[Self.loadBalanceKey] {
            switch text {
            case "ewma": result.ewma = true
            case "round_robin": result.ewma = false
            default: return invalid(Self.loadBalanceKey, text, "round_robin or ewma")
            }
        }
        if let text = annotations[Self.nextUpstreamKey] {
            let (value, unsupported) = NextUpstream.parse(text)
            result.nextUpstream = value
            if !unsupported.isEmpty {
                diagnostics.append(
                    Diagnostic(.warning, file: ingress.location.file, line: ingress.location.line, object: object,
                               field: "metadata.annotations[\(Self.nextUpstreamKey)]",
                               message: "\(unsupported.joined(separator: ", ")) not supported (error, timeout, invalid_header, http_500/502/503/504/403/404/429, non_idempotent, off are); ignored"))
            }
        }
        if let text = annotations[Self.nextUpstreamTriesKey] {
            guard let tries = Int(text.trimmingCharacters(in: .whitespaces)), tries >= 0 else {
                return invalid(Self.nextUpstreamTriesKey, text, "a number of tries (0: no limit)")
            }
            result.nextUpstream.tries = tries
        }
        if let text = annotations[Self.upstreamVhostKey] {
            // A Host value: a DNS name or IP with an optional port; nothing that could inject a line.
            guard !text.isEmpty, text.utf8.allSatisfy({ HostBytes.isLabelByte($0) || ".:[]".utf8.contains($0) }) else {
                return invalid(Self.upstreamVhostKey, text, "a host name")
            }
            result.upstreamHost = text
        }
        if let text = annotations[Self.hashByKey] {
            guard let key = HashKey.parse(text.trimmingCharacters(in: .whitespaces)) else {
                diagnostics.append(
                    Diagnostic(.warning, file: ingress.location.file, line: ingress.location.line, object: object,
                               field: "metadata.annotations[\(Self.hashByKey)]",
                               message: "\"\(text)\" is not supported (use $remote_addr, $request_uri, $uri or $http_<header>); round-robin is used"))
                return result
            }
            result.hashKey = key
        }
        return result
    }

    /// nginx sizes: a number with an optional k, m or g (either case).
    static func parseSize(_ text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var multiplier = 1
        switch digits.last {
        case "k", "K": multiplier = 1024
        case "m", "M": multiplier = 1024 * 1024
        case "g", "G": multiplier = 1024 * 1024 * 1024
        default: break
        }
        if multiplier > 1 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let value = Int(digits), value >= 0,
            value <= Int.max / multiplier
        else { return nil }
        return value * multiplier
    }
}
