import PorticoRouting

/// The `proxy-*` group (ingress-nginx `annotations/proxy/main.go`). Its parser swallows every
/// validator error and uses the default (`if err != nil { config.X = defBackend.X }`), so no
/// value here ever drops an Ingress: `proxy-read-timeout: "60s"` runs with 60 s, the default.
enum ProxyAnnotations: AnnotationGroup {
    static let names = [
        "proxy-body-size", "proxy-connect-timeout", "proxy-read-timeout", "proxy-send-timeout", "proxy-next-upstream",
        "proxy-next-upstream-tries", "enable-access-log", "proxy-redirect-from", "proxy-redirect-to", "proxy-request-buffering",
        "client-body-buffer-size",
    ]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        // `enable-access-log` (annotations/log): a boolean falling back to true. The ConfigMap's
        // `disable-access-log` is `access_log off` at http level, which no location turns on again.
        annotations.policy.accessLog = annotations.policy.accessLog && reader.bool("enable-access-log", default: true)
        // proxy_redirect: `off` (the default) rewrites nothing; `default` rewrites ingress-nginx's
        // own `http://upstream_balancer` prefix, which no upstream answers with.
        if let from = reader.value("proxy-redirect-from"), from != "off", from != "default", let to = reader.value("proxy-redirect-to"),
            to != "off"
        {
            annotations.policy.locationRewrite = LocationRewrite(from: from, to: to)
        }
        Self.parseBuffering(&reader, into: &annotations)
        if let text = reader.value("proxy-body-size") {
            if let size = Self.parseSize(text) {
                annotations.policy.maxBodySize = size == 0 ? nil : size
            } else {
                reader.fallBack(
                    "proxy-body-size", text, expected: "a size like 8k, 1m or 0 (digits and one of b, k, m, g)",
                    to: Self.sizeText(annotations.policy.maxBodySize))
            }
        }
        for (name, keyPath) in [
            ("proxy-connect-timeout", \RoutePolicy.connectTimeoutSeconds), ("proxy-read-timeout", \.readTimeoutSeconds),
            ("proxy-send-timeout", \.sendTimeoutSeconds),
        ] {
            guard let text = reader.value(name) else { continue }
            // `ValidateInt` (Go's Atoi): "60s" is refused and the default used.
            guard let seconds = Int(text), seconds > 0, seconds <= 86_400 else {
                reader.fallBack(name, text, expected: "a whole number of seconds between 1 and 86400", to: "the server's")
                continue
            }
            annotations.policy[keyPath: keyPath] = seconds
        }
        if let text = reader.value("proxy-next-upstream") {
            // The validator is `^((error|timeout|…|off)\s?)+$`: one unknown token (or a comma)
            // refuses the value, and the default `error timeout` is used.
            let (value, unsupported) = NextUpstream.parse(text)
            if unsupported.isEmpty, !text.contains(",") {
                annotations.policy.nextUpstream.adoptConditions(of: value)
            } else {
                reader.fallBack("proxy-next-upstream", text,
                                expected: "a space-separated list of error, timeout, invalid_header, http_500/502/503/504/403/404/429, non_idempotent, off",
                                to: "error timeout")
            }
        }
        if let text = reader.value("proxy-next-upstream-tries") {
            if let tries = Int(text), tries >= 0 {
                annotations.policy.nextUpstream.tries = tries
            } else {
                reader.fallBack(
                    "proxy-next-upstream-tries", text, expected: "a number of tries (0: no limit)",
                    to: String(annotations.policy.nextUpstream.tries ?? 3))
            }
        }
    }

    /// `proxy-request-buffering` (`on`/`off`, else the default, as the proxy group's parser)
    /// and `client-body-buffer-size` (a size; ingress-nginx returns its validator's error, which
    /// drops the Ingress).
    static func parseBuffering(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        if let text = reader.value("client-body-buffer-size") {
            guard let size = Self.parseSize(text) else {
                reader.drop("client-body-buffer-size", text, expected: "a size like 8k, 1m (digits and one of b, k, m, g)")
                return
            }
            annotations.policy.bufferedBodyLimit = Self.bufferLimit(forBufferSize: size)
            if size > Self.maxBufferedBody {
                reader.warn(
                    "client-body-buffer-size", "bodies are buffered in memory up to \(Self.sizeText(Self.maxBufferedBody)); longer ones stream",
                    differs: true)
            }
        }
        if let text = reader.value("proxy-request-buffering") {
            switch text {
            case "on": if annotations.policy.bufferedBodyLimit == 0 { annotations.policy.bufferedBodyLimit = RoutePolicy.defaultBufferedBody }
            case "off": annotations.policy.bufferedBodyLimit = 0
            default: reader.fallBack("proxy-request-buffering", text, expected: "on or off", to: "on")
            }
        }
    }

    /// Request bodies are buffered in memory; past this they stream (nginx spools to disk).
    static let maxBufferedBody = 8 * 1024 * 1024

    /// nginx keeps `client_body_buffer_size` in memory and spools the rest of a body to disk,
    /// buffering it whole either way; Portico buffers in memory only, so a body up to the larger
    /// of that size and its 64 KiB default is buffered whole (a small `8k`, ingress-nginx's
    /// default, does not make Portico stream bodies nginx would buffer), up to 8 MiB.
    static func bufferLimit(forBufferSize size: Int) -> Int {
        min(max(size, RoutePolicy.defaultBufferedBody), Self.maxBufferedBody)
    }

    /// A size as nginx writes it (`1m`, `8k`, `0` for no limit): the default a bad value falls
    /// back to (the controller ConfigMap's, or 1m).
    static func sizeText(_ size: Int?) -> String {
        guard let size else { return "0" }
        for (unit, factor) in [("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)] where size % factor == 0 { return "\(size / factor)\(unit)" }
        return String(size)
    }

    /// nginx sizes as ingress-nginx's `SizeRegex` accepts them, `^(?i)\d+[bkmg]?$` after spaces
    /// are removed.
    static func parseSize(_ text: String) -> Int? {
        var digits = Substring(text.filter { $0 != " " })
        let multipliers: [Character: Int] = ["b": 1, "k": 1024, "m": 1024 * 1024, "g": 1024 * 1024 * 1024]
        var multiplier = 1
        if let last = digits.last, let unit = multipliers[Character(last.lowercased())] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits),
            value <= Int.max / multiplier
        else { return nil }
        return value * multiplier
    }
}
