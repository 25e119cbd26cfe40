/// Decoding of the Gateway API kinds, with the CRD's defaults and the validations its schema
/// makes (enums, required fields, ranges): a manifest the API server would refuse is refused
/// here too, naming the field.
extension GatewayClass {
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        self.controllerName = try reader.required("spec").required("controllerName").string()
    }
}

extension Gateway {
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        let spec = try reader.required("spec")
        self.gatewayClassName = try spec.required("gatewayClassName").string()
        let list = try spec.required("listeners").list()
        guard !list.isEmpty else { throw try spec.required("listeners").error("must list at least one listener") }
        self.listeners = []
        var names = Set<String>()
        for item in list {
            let listener = try GatewayListener(reader: item)
            guard names.insert(listener.name).inserted else {
                throw try item.required("name").error("listener name \"\(listener.name)\" is used twice")
            }
            self.listeners.append(listener)
        }
    }
}

extension GatewayListener {
    init(reader: NodeReader) throws(FieldError) {
        self.name = try reader.required("name").string()
        self.hostname = try reader.optionalString("hostname")
        self.port = try reader.required("port").port()
        self.protocolName = try reader.required("protocol").string()
        self.line = reader.line
        self.field = reader.path
        self.tls = try reader.child("tls").map { tls throws(FieldError) in
            let mode = try tls.optionalString("mode") ?? "Terminate"
            guard mode == "Terminate" || mode == "Passthrough" else {
                throw try tls.required("mode").error("unsupported value \"\(mode)\": must be Terminate or Passthrough")
            }
            let refs = try tls.optionalList("certificateRefs").map { ref throws(FieldError) in
                try ObjectReference(reader: ref, defaultGroup: "", defaultKind: "Secret")
            }
            return TLSConfig(mode: mode, certificateRefs: refs)
        }
        var allowed = AllowedRoutes()
        if let routes = try reader.child("allowedRoutes") {
            if let namespaces = try routes.child("namespaces") {
                let from = try namespaces.optionalString("from") ?? "Same"
                guard ["Same", "All", "Selector"].contains(from) else {
                    throw try namespaces.required("from").error("unsupported value \"\(from)\": must be All, Selector or Same")
                }
                allowed.namespacesFrom = from
                if let selector = try namespaces.child("selector") {
                    allowed.namespaceSelector = try LabelSelector(reader: selector)
                } else if from == "Selector" {
                    throw try namespaces.required("from").error("Selector needs namespaces.selector")
                }
            }
            allowed.kinds = try routes.optionalList("kinds").map { kind throws(FieldError) in
                GroupKind(group: try kind.optionalString("group") ?? "gateway.networking.k8s.io", kind: try kind.required("kind").string())
            }
        }
        self.allowedRoutes = allowed
    }
}

extension LabelSelector {
    /// meta/v1 `LabelSelector`: `In`/`NotIn` need values, `Exists`/`DoesNotExist` take none.
    init(reader: NodeReader) throws(FieldError) {
        self.init(
            matchLabels: try reader.optionalStringMap("matchLabels"),
            matchExpressions: try reader.optionalList("matchExpressions").map { item throws(FieldError) in
                let name = try item.required("operator").string()
                guard let op = Requirement.Operator(rawValue: name) else {
                    throw try item.required("operator").error("unsupported value \"\(name)\": must be In, NotIn, Exists or DoesNotExist")
                }
                let values = try item.optionalList("values").map { value throws(FieldError) in try value.string() }
                let needsValues = op == .in || op == .notIn
                if needsValues, values.isEmpty { throw item.error("operator \(name) needs values") }
                if !needsValues, !values.isEmpty { throw try item.required("values").error("operator \(name) takes no values") }
                return Requirement(key: try item.required("key").string(), operator: op, values: values)
            })
    }
}

extension ObjectReference {
    init(reader: NodeReader, defaultGroup: String, defaultKind: String) throws(FieldError) {
        self.group = try reader.optionalString("group") ?? defaultGroup
        self.kind = try reader.optionalString("kind") ?? defaultKind
        self.name = try reader.required("name").string()
        self.namespace = try reader.optionalString("namespace")
        self.port = try reader.child("port")?.port()
        self.line = reader.line
        self.field = reader.path
    }
}

extension HTTPRoute {
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        let spec = try reader.required("spec")
        (self.parentRefs, self.hostnames) = try spec.commonRouteSpec()
        let rules = try spec.optionalList("rules")
        // The CRD's default: one rule, every request to no backend.
        self.rules = rules.isEmpty ? [HTTPRouteRule(field: "spec.rules[0]")] : []
        for rule in rules { self.rules.append(try HTTPRouteRule(reader: rule)) }
    }
}

extension ParentReference {
    init(reader: NodeReader) throws(FieldError) {
        self.group = try reader.optionalString("group") ?? "gateway.networking.k8s.io"
        self.kind = try reader.optionalString("kind") ?? "Gateway"
        self.name = try reader.required("name").string()
        self.namespace = try reader.optionalString("namespace")
        self.sectionName = try reader.optionalString("sectionName")
        self.port = try reader.child("port")?.port()
        self.line = reader.line
        self.field = reader.path
    }
}

extension HTTPRouteRule {
    init(reader: NodeReader) throws(FieldError) {
        self.line = reader.line
        self.field = reader.path
        let matches = try reader.optionalList("matches")
        self.matches = matches.isEmpty ? [HTTPRouteMatch(line: reader.line, field: reader.path)] : []
        for match in matches { self.matches.append(try HTTPRouteMatch(reader: match)) }
        self.filters = try reader.optionalList("filters").map { filter throws(FieldError) in try HTTPRouteFilter(reader: filter) }
        let redirects = self.filters.filter { if case .requestRedirect = $0 { true } else { false } }.count
        let rewrites = self.filters.filter { if case .urlRewrite = $0 { true } else { false } }.count
        if redirects > 0, rewrites > 0 {
            throw try reader.required("filters").error("may specify either RequestRedirect or URLRewrite, but not both")
        }
        self.backendRefs = try reader.optionalList("backendRefs").map { ref throws(FieldError) in try HTTPBackendRef(reader: ref) }
        if let timeouts = try reader.child("timeouts") {
            self.requestTimeout = try timeouts.child("request")?.duration()
            self.backendRequestTimeout = try timeouts.child("backendRequest")?.duration()
        } else {
            self.requestTimeout = nil
            self.backendRequestTimeout = nil
        }
        if let retry = try reader.child("retry") {
            var value = Retry(line: retry.line)
            if let attempts = try retry.child("attempts") {
                let count = try attempts.int()
                guard count >= 0 else { throw attempts.error("must not be negative") }
                value.attempts = count
            }
            for code in try retry.optionalList("codes") {
                let status = try code.int()
                guard (400...599).contains(status) else { throw code.error("must be between 400 and 599, got \(status)") }
                value.codes.append(status)
            }
            value.backoff = try retry.child("backoff")?.duration()
            self.retry = value
        } else {
            self.retry = nil
        }
        if let persistence = try reader.child("sessionPersistence") { self.unserved.append(Unserved(field: persistence.path, line: persistence.line)) }
    }
}

extension HTTPBackendRef {
    /// A Service reference with its weight (default 1, 0 to 1,000,000) and per-backend filters;
    /// the same shape in HTTPRoute and GRPCRoute.
    init(reader: NodeReader) throws(FieldError) {
        self.init(
            reference: try ObjectReference(reader: reader, defaultGroup: "", defaultKind: "Service"),
            weight: try reader.child("weight").map { weight throws(FieldError) in
                let value = try weight.int()
                guard (0...1_000_000).contains(value) else { throw weight.error("must be between 0 and 1000000, got \(value)") }
                return value
            } ?? 1,
            filters: try reader.optionalList("filters").map { filter throws(FieldError) in try HTTPRouteFilter(reader: filter) })
    }
}

extension HTTPRouteMatch {
    init(reader: NodeReader) throws(FieldError) {
        self.line = reader.line
        self.field = reader.path
        if let path = try reader.child("path") {
            self.pathType = try path.optionalString("type") ?? "PathPrefix"
            self.pathValue = try path.optionalString("value") ?? "/"
            guard ["Exact", "PathPrefix", "RegularExpression"].contains(self.pathType) else {
                throw try path.required("type").error("unsupported value \"\(self.pathType)\": must be Exact, PathPrefix or RegularExpression")
            }
            if self.pathType != "RegularExpression", !self.pathValue.hasPrefix("/") {
                throw try path.required("value").error("must be an absolute path (start with '/')")
            }
        } else {
            self.pathType = "PathPrefix"
            self.pathValue = "/"
        }
        func values(_ key: String) throws(FieldError) -> [ValueMatch] {
            try reader.optionalList(key).map { item throws(FieldError) in
                let type = try item.optionalString("type") ?? "Exact"
                guard type == "Exact" || type == "RegularExpression" else {
                    throw try item.required("type").error("unsupported value \"\(type)\": must be Exact or RegularExpression")
                }
                return ValueMatch(type: type, name: try item.required("name").string(), value: try item.required("value").string())
            }
        }
        self.headers = try values("headers")
        self.queryParams = try values("queryParams")
        self.method = try reader.optionalString("method")
        if let method = self.method, !["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"].contains(method) {
            throw try reader.required("method").error("unsupported value \"\(method)\": must be an HTTP method in upper case")
        }
    }
}

extension HTTPRouteFilter {
    init(reader: NodeReader) throws(FieldError) {
        let type = try reader.required("type").string()
        func section(_ key: String) throws(FieldError) -> NodeReader {
            guard let value = try reader.child(key) else {
                throw FieldError(line: reader.line, field: "\(reader.path).\(key)", message: "required for type \(type)")
            }
            return value
        }
        switch type {
        case "RequestHeaderModifier": self = .requestHeaderModifier(try HeaderModifier(reader: try section("requestHeaderModifier")))
        case "ResponseHeaderModifier": self = .responseHeaderModifier(try HeaderModifier(reader: try section("responseHeaderModifier")))
        case "RequestRedirect":
            let redirect = try section("requestRedirect")
            let scheme = try redirect.optionalString("scheme")
            if let scheme, scheme != "http", scheme != "https" {
                throw try redirect.required("scheme").error("unsupported value \"\(scheme)\": must be http or https")
            }
            let status = try redirect.optionalInt("statusCode") ?? 302
            guard [301, 302, 303, 307, 308].contains(status) else {
                throw try redirect.required("statusCode").error("unsupported value \(status): must be 301, 302, 303, 307 or 308")
            }
            self = .requestRedirect(
                RequestRedirect(
                    scheme: scheme, hostname: try redirect.optionalString("hostname"), path: try redirect.child("path").map { path throws(FieldError) in try PathModifier(reader: path) },
                    port: try redirect.child("port")?.port(), statusCode: status))
        case "URLRewrite":
            let rewrite = try section("urlRewrite")
            self = .urlRewrite(URLRewrite(hostname: try rewrite.optionalString("hostname"), path: try rewrite.child("path").map { path throws(FieldError) in try PathModifier(reader: path) }))
        case "RequestMirror":
            let mirror = try section("requestMirror")
            let backendRef = try ObjectReference(reader: try mirror.required("backendRef"), defaultGroup: "", defaultKind: "Service")
            // The CRD's bounds: percent 0–100; fraction numerator ≥ 0, denominator ≥ 1
            // (default 100), numerator ≤ denominator; not both.
            var fraction: HTTPRouteFilter.RequestMirror.Fraction?
            if let percent = try mirror.child("percent") {
                let value = try percent.int()
                guard (0...100).contains(value) else { throw percent.error("must be between 0 and 100") }
                fraction = .init(numerator: value, denominator: 100)
            }
            if let share = try mirror.child("fraction") {
                guard fraction == nil else { throw share.error("only one of percent or fraction may be specified") }
                let numerator = try share.required("numerator")
                let denominator = try share.child("denominator")
                let over = try denominator?.int() ?? 100
                guard over >= 1 else { throw denominator!.error("must be at least 1") }
                let under = try numerator.int()
                guard under >= 0 else { throw numerator.error("must not be negative") }
                guard under <= over else { throw numerator.error("must not be greater than the denominator (\(over))") }
                fraction = .init(numerator: under, denominator: over)
            }
            self = .requestMirror(HTTPRouteFilter.RequestMirror(backendRef: backendRef, fraction: fraction))
        default:
            self = .other(type: type, line: reader.line, field: reader.path)
        }
    }
}

extension HTTPRouteFilter.HeaderModifier {
    init(reader: NodeReader) throws(FieldError) {
        func pairs(_ key: String) throws(FieldError) -> [HTTPRouteFilter.HeaderValue] {
            try reader.optionalList(key).map { item throws(FieldError) in
                HTTPRouteFilter.HeaderValue(name: try item.required("name").string(), value: try item.required("value").string())
            }
        }
        self.init(set: try pairs("set"), add: try pairs("add"), remove: try reader.optionalList("remove").map { name throws(FieldError) in try name.string() })
    }
}

extension HTTPRouteFilter.PathModifier {
    init(reader: NodeReader) throws(FieldError) {
        let type = try reader.required("type").string()
        switch type {
        case "ReplaceFullPath": self = .replaceFullPath(try reader.required("replaceFullPath").string())
        case "ReplacePrefixMatch": self = .replacePrefixMatch(try reader.optionalString("replacePrefixMatch") ?? "")
        default: throw try reader.required("type").error("unsupported value \"\(type)\": must be ReplaceFullPath or ReplacePrefixMatch")
        }
    }
}

extension ReferenceGrant {
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        let spec = try reader.required("spec")
        self.from = try spec.required("from").list().map { item throws(FieldError) in
            From(group: try item.required("group").string(), kind: try item.required("kind").string(), namespace: try item.required("namespace").string())
        }
        self.to = try spec.required("to").list().map { item throws(FieldError) in
            To(group: try item.required("group").string(), kind: try item.required("kind").string(), name: try item.optionalString("name"))
        }
    }
}

extension NodeReader {
    /// `CommonRouteSpec.parentRefs` and the route's `hostnames`: HTTPRoute's and GRPCRoute's.
    func commonRouteSpec() throws(FieldError) -> (parentRefs: [ParentReference], hostnames: [String]) {
        (try self.optionalList("parentRefs").map { ref throws(FieldError) in try ParentReference(reader: ref) },
         try self.optionalList("hostnames").map { host throws(FieldError) in try host.string() })
    }

    /// A port number, 1 to 65535.
    func port() throws(FieldError) -> Int {
        let value = try self.int()
        guard (1...65535).contains(value) else { throw self.error("must be between 1 and 65535, got \(value)") }
        return value
    }

    /// A Gateway API `Duration` (`1h`, `10s`, `500ms`, `1m30s`: GEP-2257) in seconds.
    func duration() throws(FieldError) -> Double {
        let text = try self.string()
        var total = 0.0
        var number = ""
        var index = text.startIndex
        var parts = 0
        while index < text.endIndex {
            let character = text[index]
            if character.isASCII, character.isNumber {
                number.append(character)
                index = text.index(after: index)
                continue
            }
            guard !number.isEmpty, number.count <= 5, let value = Double(number) else { break }
            let rest = text[index...]
            if rest.hasPrefix("ms") {
                total += value / 1000
                index = text.index(index, offsetBy: 2)
            } else if character == "h" || character == "m" || character == "s" {
                total += value * (character == "h" ? 3600 : character == "m" ? 60 : 1)
                index = text.index(after: index)
            } else {
                break
            }
            number = ""
            parts += 1
        }
        guard index == text.endIndex, number.isEmpty, (1...4).contains(parts) else {
            throw self.error("\"\(text)\" is not a duration such as 10s, 500ms or 1m30s (GEP-2257)")
        }
        return total
    }
}
