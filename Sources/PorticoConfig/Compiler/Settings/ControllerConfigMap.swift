import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// Reads the controller ConfigMap (`--configmap namespace/name`) into `ControllerSettings`,
/// key by key, as ingress-nginx's `template.ReadConfig` does: it decodes the map onto
/// `config.NewDefault()` with mapstructure's weak typing, so a value that does not decode
/// leaves that one setting at its default and the rest apply.
///
/// Portico differs in one way a user would want: a key whose new value is refused keeps the
/// value of the last ConfigMap that was read well, if that one had it right (a typo in
/// `proxy-body-size` does not shrink every upload limit to 1m). Every refusal, every key
/// Portico does not act on, and every key that is no ingress-nginx setting at all gets one
/// warning naming `data.<key>`.
public enum ControllerConfigMap {
    /// Reads `configMap`; `previous` is what was in force after the last read
    /// (`ControllerSettings.inForce`), for the keys the new one gets wrong.
    /// `configMaps`: every ConfigMap by `namespace/name`, for the ones `add-headers` and
    /// `proxy-set-headers` name.
    public static func read(
        _ configMap: ConfigMap, previous: [String: String] = [:], configMaps: [String: ConfigMap] = [:], diagnostics: inout [Diagnostic]
    ) -> ControllerSettings {
        var settings = ControllerSettings()
        let object = "ConfigMap \(configMap.metadata.namespace)/\(configMap.metadata.name)"
        func say(_ key: String, _ message: String, _ severity: Diagnostic.Severity = .warning, _ differs: Bool = false) {
            let diagnostic = Diagnostic(
                severity, file: configMap.location.file, line: configMap.dataLines[key] ?? configMap.location.line, object: object,
                field: "data.\(key)",
                message: message)
            diagnostics.append(differs ? diagnostic.differing() : diagnostic)
        }
        for key in configMap.data.keys.sorted() {
            let value = configMap.data[key]!.trimmingCharacters(in: .whitespaces)
            guard let key = Key(rawValue: key) else {
                if let note = Self.notActedOn[key] {
                    say(key, note, .warning, true)
                } else if IngressNginxConfigKeys.all.contains(key) {
                    say(key, "Portico does not act on this ingress-nginx setting yet; it is ignored", .warning, true)
                } else {
                    say(key, "not an ingress-nginx ConfigMap key (a typo?); it is ignored")
                }
                continue
            }
            guard let expected = key.apply(value, to: &settings) else {
                settings.inForce[key.rawValue] = value
                if let note = key.note { say(key.rawValue, note, .info) }
                continue
            }
            var message = "\"\(value)\" is not \(expected); "
            if let old = previous[key.rawValue], old != value, key.apply(old, to: &settings) == nil {
                settings.inForce[key.rawValue] = old
                message += "its last good value \"\(old)\" stays in force"
            } else {
                message += "the default is used, as ingress-nginx does"
            }
            say(key.rawValue, message)
        }
        settings.headers = Self.headerPolicy(settings, configMaps: configMaps, say: say)
        return settings
    }

    /// The fields of the ConfigMaps `add-headers` (nginx.tmpl: `more_set_headers` at http
    /// level, every answer) and `proxy-set-headers` (`proxy_set_header` in every location)
    /// name. A missing ConfigMap is a warning and adds nothing, as ingress-nginx's
    /// `Error reading ConfigMap`; a field whose value holds a `$variable` (nginx would expand
    /// it; Portico does not) or is not a valid field is left out with a warning.
    static func headerPolicy(
        _ settings: ControllerSettings, configMaps: [String: ConfigMap], say: (String, String, Diagnostic.Severity, Bool) -> Void
    ) -> HeaderPolicy? {
        func fields(_ key: String, _ reference: String?) -> [HeaderPolicy.Field] {
            guard let reference else { return [] }
            guard let source = configMaps[reference] else {
                say(key, "ConfigMap \(reference) not found: no header is added until it exists", .warning, false)
                return []
            }
            var result: [HeaderPolicy.Field] = []
            for name in source.data.keys.sorted() {
                let value = source.data[name]!
                if !SnippetAnnotations.isFieldName(Substring(name)) || value.contains(where: { $0 == "\r" || $0 == "\n" }) {
                    say(key, "ConfigMap \(reference): \"\(name)\" is not a valid header field; it is left out", .warning, false)
                } else if value.contains("$") {
                    say(key, "ConfigMap \(reference): \(name)'s value holds an nginx variable, which Portico does not expand; the field is left out", .warning, true)
                } else {
                    result.append(HeaderPolicy.Field(name: name, value: value))
                }
            }
            return result
        }
        let response = fields(Key.addHeaders.rawValue, settings.addHeadersConfigMap)
        let request = fields(Key.proxySetHeaders.rawValue, settings.proxySetHeadersConfigMap)
        if response.isEmpty, request.isEmpty { return nil }
        return HeaderPolicy(responseSet: response, requestSet: request)
    }

    /// ingress-nginx keys Portico reads on purpose and does not follow, with why.
    static let notActedOn: [String: String] = [
        "allow-snippet-annotations":
            "Portico never runs raw nginx snippets, whatever this says; the configuration-snippet directives with a safe meaning are translated, the rest leave their Ingress out (README, \"Snippets\")",
        "http-snippet": "raw nginx configuration is refused by design; it is ignored",
        "main-snippet": "raw nginx configuration is refused by design; it is ignored",
        "server-snippet": "raw nginx configuration is refused by design; it is ignored",
        "location-snippet": "raw nginx configuration is refused by design; it is ignored",
        "stream-snippet": "raw nginx configuration is refused by design; it is ignored",
        "worker-processes": "Portico's event loops are --workers (one per core by default); it is ignored",
        "max-worker-connections": "Portico's limit is --max-worker-connections; it is ignored",
        "http2-max-field-size":
            "deprecated in ingress-nginx; Portico bounds the whole header list (http2-max-header-size, else large-client-header-buffers), not each field; it is ignored",
        "http2-max-requests":
            "deprecated in ingress-nginx (nginx ≥ 1.19.7 uses keepalive_requests for HTTP/2 too): Portico ends an HTTP/2 connection with GOAWAY after keep-alive-requests streams; it is ignored",
    ]

    /// The keys Portico acts on.
    enum Key: String, CaseIterable {
        case sslRedirect = "ssl-redirect", forceSSLRedirect = "force-ssl-redirect"
        case preserveTrailingSlash = "preserve-trailing-slash"
        case proxyBodySize = "proxy-body-size"
        case proxyConnectTimeout = "proxy-connect-timeout", proxyReadTimeout = "proxy-read-timeout"
        case proxySendTimeout = "proxy-send-timeout"
        case proxyNextUpstream = "proxy-next-upstream", proxyNextUpstreamTries = "proxy-next-upstream-tries"
        case loadBalance = "load-balance"
        case disableAccessLog = "disable-access-log"
        case customHTTPErrors = "custom-http-errors"
        case keepAlive = "keep-alive", keepAliveRequests = "keep-alive-requests"
        case clientHeaderTimeout = "client-header-timeout", clientBodyTimeout = "client-body-timeout"
        case largeClientHeaderBuffers = "large-client-header-buffers", clientHeaderBufferSize = "client-header-buffer-size"
        case upstreamKeepaliveConnections = "upstream-keepalive-connections"
        case upstreamKeepaliveTimeout = "upstream-keepalive-timeout"
        case upstreamKeepaliveRequests = "upstream-keepalive-requests"
        case hsts = "hsts", hstsMaxAge = "hsts-max-age", hstsIncludeSubdomains = "hsts-include-subdomains"
        case hstsPreload = "hsts-preload"
        case limitReqStatusCode = "limit-req-status-code", limitConnStatusCode = "limit-conn-status-code"
        case useForwardedHeaders = "use-forwarded-headers", enableRealIP = "enable-real-ip"
        case forwardedForHeader = "forwarded-for-header", computeFullForwardedFor = "compute-full-forwarded-for"
        case proxyRealIPCIDR = "proxy-real-ip-cidr"
        case serverTokens = "server-tokens"
        case sslProtocols = "ssl-protocols", sslCiphers = "ssl-ciphers"
        case addHeaders = "add-headers", proxySetHeaders = "proxy-set-headers"
        case proxyRequestBuffering = "proxy-request-buffering", clientBodyBufferSize = "client-body-buffer-size"
        case globalAllowedResponseHeaders = "global-allowed-response-headers"
        case logFormatUpstream = "log-format-upstream", logFormatEscapeJSON = "log-format-escape-json"
        case logFormatEscapeNone = "log-format-escape-none"
        case enableOpentelemetry = "enable-opentelemetry"
        case opentelemetryTrustIncomingSpan = "opentelemetry-trust-incoming-span"
        case opentelemetryOperationName = "opentelemetry-operation-name"
        case otlpCollectorHost = "otlp-collector-host", otlpCollectorPort = "otlp-collector-port"
        case otelServiceName = "otel-service-name", otelSampler = "otel-sampler", otelSamplerRatio = "otel-sampler-ratio"
        case otelSamplerParentBased = "otel-sampler-parent-based", otelScheduleDelayMillis = "otel-schedule-delay-millis"
        case otelMaxExportBatchSize = "otel-max-export-batch-size", otelMaxQueueSize = "otel-max-queuesize"
        case useHTTP2 = "use-http2", http2MaxConcurrentStreams = "http2-max-concurrent-streams"
        case http2MaxHeaderSize = "http2-max-header-size"

        /// Said once (info) when the key is read well: where Portico's meaning is narrower.
        var note: String? {
            switch self {
            case .upstreamKeepaliveConnections:
                "nginx keeps this many idle upstream connections per worker across all backends; Portico keeps up to this many per endpoint and event loop"
            case .sslProtocols:
                "OpenSSL takes a lowest and a highest version: the versions between the listed ones are served too"
            case .otlpCollectorPort:
                "Portico exports OTLP over HTTP (JSON to /v1/traces), not gRPC: this must be the collector's OTLP/HTTP port (4318 by convention), not ingress-nginx's default gRPC port 4317"
            default: nil
            }
        }

        /// Applies `value`; nil when it was taken, else what it should have been.
        func apply(_ value: String, to settings: inout ControllerSettings) -> String? {
            switch self {
            case .sslRedirect: return Self.bool(value) { settings.location.sslRedirect = $0 }
            case .forceSSLRedirect: return Self.bool(value) { settings.location.forceSSLRedirect = $0 }
            case .preserveTrailingSlash: return Self.bool(value) { settings.location.preserveTrailingSlash = $0 }
            case .disableAccessLog: return Self.bool(value) { settings.location.accessLog = !$0 }
            case .proxyBodySize:
                guard let size = ProxyAnnotations.parseSize(value) else { return "a size like 8k, 1m or 0 (digits and one of b, k, m, g)" }
                settings.location.maxBodySize = size == 0 ? nil : size
            case .proxyConnectTimeout: return Self.seconds(value) { settings.location.connectTimeoutSeconds = $0 }
            case .proxyReadTimeout: return Self.seconds(value) { settings.location.readTimeoutSeconds = $0 }
            case .proxySendTimeout: return Self.seconds(value) { settings.location.sendTimeoutSeconds = $0 }
            case .proxyNextUpstream:
                let (parsed, unsupported) = NextUpstream.parse(value)
                guard unsupported.isEmpty, !value.contains(",") else {
                    return "a space-separated list of error, timeout, invalid_header, http_500/502/503/504/403/404/429, non_idempotent, off"
                }
                settings.location.nextUpstream.adoptConditions(of: parsed)
            case .proxyNextUpstreamTries:
                guard let tries = Int(value), tries >= 0 else { return "a number of tries (0: no limit)" }
                settings.location.nextUpstream.tries = tries
            case .loadBalance:
                switch value {
                case "ewma": settings.location.ewma = true
                case "round_robin": settings.location.ewma = false
                default: return "round_robin or ewma (the ones Portico balances with)"
                }
            case .customHTTPErrors:
                var codes: [Int] = []
                for item in AnnotationReader.items(value) {
                    guard let code = Int(item), (400...599).contains(code) else { return "a comma-separated list of status codes 400–599" }
                    codes.append(code)
                }
                settings.customErrors = codes
            case .keepAlive:
                return Self.count(value, from: 0) { settings.server.keepAliveSeconds = $0 }
            case .keepAliveRequests:
                return Self.count(value, from: 1) { settings.server.keepAliveRequests = $0 }
            case .clientHeaderTimeout: return Self.seconds(value) { settings.server.clientHeaderTimeoutSeconds = $0 }
            case .clientBodyTimeout: return Self.seconds(value) { settings.server.clientBodyTimeoutSeconds = $0 }
            case .largeClientHeaderBuffers:
                let parts = value.split(separator: " ", omittingEmptySubsequences: true)
                guard parts.count == 2, let count = Int(parts[0]), count >= 1, count <= 64,
                    let size = ProxyAnnotations.parseSize(String(parts[1])), size >= 1024, size <= 1024 * 1024
                else { return "a count and a size, like \"4 8k\" (a buffer of 1k to 1m)" }
                settings.server.headerBuffers = ServerSettings.HeaderBuffers(count: count, size: size)
            case .clientHeaderBufferSize:
                guard let size = ProxyAnnotations.parseSize(value), size >= 64, size <= 1024 * 1024 else {
                    return "a size like 1k or 4k (64 bytes to 1m)"
                }
                settings.server.clientHeaderBufferSize = size
            case .upstreamKeepaliveConnections:
                return Self.count(value, from: 0) { settings.server.upstreamKeepaliveConnections = $0 }
            case .upstreamKeepaliveTimeout:
                return Self.count(value, from: 1) { settings.server.upstreamKeepaliveTimeoutSeconds = $0 }
            case .upstreamKeepaliveRequests:
                return Self.count(value, from: 1) { settings.server.upstreamKeepaliveRequests = $0 }
            case .hsts: return Self.bool(value) { settings.server.hsts.enabled = $0 }
            case .hstsIncludeSubdomains: return Self.bool(value) { settings.server.hsts.includeSubdomains = $0 }
            case .hstsPreload: return Self.bool(value) { settings.server.hsts.preload = $0 }
            case .hstsMaxAge:
                guard !value.isEmpty, value.count <= 10, value.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                    return "a number of seconds"
                }
                settings.server.hsts.maxAge = value
            case .limitReqStatusCode: return Self.status(value) { settings.server.limitRequestStatus = $0 }
            case .limitConnStatusCode: return Self.status(value) { settings.server.limitConnectionStatus = $0 }
            case .useForwardedHeaders: return Self.bool(value) { settings.server.forwardingOrDefault.useForwardedHeaders = $0 }
            case .enableRealIP: return Self.bool(value) { settings.server.forwardingOrDefault.enableRealIP = $0 }
            case .computeFullForwardedFor:
                return Self.bool(value) { settings.server.forwardingOrDefault.computeFullForwardedFor = $0 }
            case .forwardedForHeader:
                guard SnippetAnnotations.isFieldName(Substring(value)) else { return "a header name" }
                settings.server.forwardingOrDefault.forwardedForHeader = value.lowercased()
            case .proxyRealIPCIDR:
                guard case .success(let ranges) = AnnotationReader.sourceRanges(value), !ranges.isEmpty else {
                    return "a comma-separated list of IP addresses or CIDR blocks"
                }
                settings.server.forwardingOrDefault.trustedRanges = ranges
            case .serverTokens: return Self.bool(value) { settings.server.serverTokens = $0 }
            case .useHTTP2: return Self.bool(value) { settings.server.http2.enabled = $0 }
            case .http2MaxConcurrentStreams:
                return Self.count(value, from: 1) { settings.server.http2.maxConcurrentStreams = $0 }
            case .http2MaxHeaderSize:
                guard let size = ProxyAnnotations.parseSize(value), size >= 1024, size <= 16 * 1024 * 1024 else {
                    return "a size like 32k (1k to 16m)"
                }
                settings.server.http2.maxHeaderListSize = size
            case .sslProtocols:
                guard let range = Self.protocolRange(value) else {
                    return "a space-separated list of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3"
                }
                settings.server.tlsProtocols = range
            case .sslCiphers:
                // OpenSSL judges the list when the TLS contexts are built; a list it refuses
                // keeps the contexts serving and is reported then.
                guard !value.isEmpty, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ":+-!@=._,".contains($0)) }) else {
                    return "an OpenSSL cipher list (letters, digits and :+-!@=._,)"
                }
                settings.server.tlsCiphers = value
            case .proxyRequestBuffering:
                switch value {
                case "on": if settings.location.bufferedBodyLimit == 0 { settings.location.bufferedBodyLimit = RoutePolicy.defaultBufferedBody }
                case "off": settings.location.bufferedBodyLimit = 0
                default: return "on or off"
                }
            case .clientBodyBufferSize:
                guard let size = ProxyAnnotations.parseSize(value), size > 0 else { return "a size like 8k or 1m" }
                if settings.location.bufferedBodyLimit != 0 { settings.location.bufferedBodyLimit = ProxyAnnotations.bufferLimit(forBufferSize: size) }
            case .addHeaders, .proxySetHeaders:
                // ingress-nginx's `GetConfigMap` takes `namespace/name`.
                let parts = value.split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }) else { return "a ConfigMap as namespace/name" }
                if self == .addHeaders { settings.addHeadersConfigMap = value } else { settings.proxySetHeadersConfigMap = value }
            case .logFormatUpstream:
                do throws(AccessLogFormat.UnknownVariable) {
                    settings.server.logFormat = try AccessLogFormat(value)
                } catch {
                    return "an nginx log format of variables Portico fills in ($\(error.name) is not one of them; see README, \"Access log\")"
                }
            case .logFormatEscapeJSON:
                return Self.bool(value) { json in
                    if json { settings.server.logEscape = .json } else if settings.server.logEscape == .json { settings.server.logEscape = nil }
                }
            case .logFormatEscapeNone:
                // nginx.tmpl: escape=none wins over escape=json.
                return Self.bool(value) { none in
                    if none { settings.server.logEscape = AccessLogFormat.Escape.none } else if settings.server.logEscape == AccessLogFormat.Escape.none { settings.server.logEscape = nil }
                }
            case .enableOpentelemetry: return Self.bool(value) { settings.location.tracing.enabled = $0 }
            case .opentelemetryTrustIncomingSpan: return Self.bool(value) { settings.location.tracing.trustIncoming = $0 }
            case .opentelemetryOperationName:
                guard TracingAnnotations.isOperationName(value) else { return "an operation name of letters, digits, _ and -" }
                settings.location.tracing.operationName = value
            case .otlpCollectorHost:
                guard !value.isEmpty, value.utf8.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || ".-_:".utf8.contains($0) }) else {
                    return "a host name or IP address"
                }
                settings.server.tracing.collectorHost = value
            case .otlpCollectorPort:
                guard let port = Int(value), (1...65535).contains(port) else { return "a port number" }
                settings.server.tracing.collectorPort = port
            case .otelServiceName:
                guard !value.isEmpty, !value.contains(where: { $0.isNewline }) else { return "a service name" }
                settings.server.tracing.serviceName = value
            case .otelSampler:
                switch value {
                case "AlwaysOn": settings.server.tracing.sampler = .alwaysOn
                case "AlwaysOff": settings.server.tracing.sampler = .alwaysOff
                case "TraceIdRatioBased": settings.server.tracing.sampler = .traceIDRatio
                default: return "AlwaysOn, AlwaysOff or TraceIdRatioBased"
                }
            case .otelSamplerRatio:
                guard let ratio = Double(value), (0...1).contains(ratio) else { return "a ratio between 0 and 1" }
                settings.server.tracing.samplerRatio = ratio
            case .otelSamplerParentBased: return Self.bool(value) { settings.server.tracing.parentBased = $0 }
            case .otelScheduleDelayMillis: return Self.count(value, from: 1) { settings.server.tracing.scheduleDelayMilliseconds = $0 }
            case .otelMaxExportBatchSize: return Self.count(value, from: 1) { settings.server.tracing.maxExportBatchSize = $0 }
            case .otelMaxQueueSize: return Self.count(value, from: 1) { settings.server.tracing.maxQueueSize = $0 }
            case .globalAllowedResponseHeaders:
                let names = AnnotationReader.items(value)
                guard names.allSatisfy({ SnippetAnnotations.isFieldName(Substring($0)) }) else { return "a comma-separated list of header names" }
                settings.allowedResponseHeaders = Set(names.map { $0.lowercased() })
            }
            return nil
        }

        /// Go's `strconv.ParseBool`, which mapstructure's weak decoding uses.
        static func bool(_ value: String, _ set: (Bool) -> Void) -> String? {
            guard let parsed = AnnotationReader.parseBool(value) else { return "true or false" }
            set(parsed)
            return nil
        }

        /// Whole seconds, 1 to a day: ingress-nginx's fields are ints, so "60s" does not decode.
        static func seconds(_ value: String, _ set: (Int) -> Void) -> String? {
            guard let seconds = Int(value), seconds > 0, seconds <= 86_400 else { return "a whole number of seconds between 1 and 86400" }
            set(seconds)
            return nil
        }

        static func count(_ value: String, from lowest: Int, _ set: (Int) -> Void) -> String? {
            guard let number = Int(value), number >= lowest, number <= 1_000_000_000 else { return "a whole number from \(lowest)" }
            set(number)
            return nil
        }

        /// nginx `limit_req_status` / `limit_conn_status` take 400–599.
        static func status(_ value: String, _ set: (Int) -> Void) -> String? {
            guard let status = Int(value), (400...599).contains(status) else { return "a status code between 400 and 599" }
            set(status)
            return nil
        }

        /// The lowest and highest of the listed versions (SSLv2/SSLv3 are refused: OpenSSL 3
        /// has no SSLv2, and SSLv3 is broken).
        static func protocolRange(_ value: String) -> ServerSettings.TLSProtocolRange? {
            let versions: [String: Int] = ["TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304]
            var listed: [Int] = []
            for token in value.split(separator: " ") {
                guard let version = versions[String(token)] else { return nil }
                listed.append(version)
            }
            guard let lowest = listed.min(), let highest = listed.max() else { return nil }
            return ServerSettings.TLSProtocolRange(lowest: lowest, highest: highest)
        }
    }
}

extension ServerSettings {
    /// The forwarding settings, created at their defaults by the first key that sets one.
    var forwardingOrDefault: Forwarding {
        get { self.forwarding ?? Forwarding() }
        set { self.forwarding = newValue }
    }
}
