import PorticoDiagnostics
import PorticoKube
import PorticoRegex
import PorticoRouting

/// One HTTPRoute or GRPCRoute rule compiled once, whatever listeners and hosts it is attached to.
struct CompiledRule {
    var matches: [CompiledMatch]
    var policy: RoutePolicy
    /// The first share's backend (the route's `backend`, for listings and labels).
    var backend: BackendID
    var service: String
    var port: String
    var upstream: String
    /// Its `RequestRedirect`, completed per listener (the port of `Location`).
    var redirect: HTTPRouteFilter.RequestRedirect?
}

struct CompiledMatch {
    /// Its index in the rule's `matches`.
    var index: Int
    var path: PathMatch
    var rewrite: RewriteTemplate?
    var method: String?
    var headers: [RouteConditions.Value]
    var query: [RouteConditions.Value]
}

extension SnapshotBuilder {
    /// The rule's matches, filters and backends; nil when the rule is invalid (a diagnostic says
    /// why; its requests find no route of it).
    mutating func compileRule(
        _ rule: HTTPRouteRule, of input: GatewayRouteInput, object: String, grants: ReferenceGrants, unresolved: inout BackendID?,
        refProblem: inout (reason: String, message: String)?
    ) -> CompiledRule? {
        let route = input.route
        let namespace = route.metadata.namespace
        let answer = input.kind.unresolvedAnswer
        func report(_ severity: Diagnostic.Severity, line: Int?, _ field: String, _ message: String) {
            self.diagnostics.append(
                Diagnostic(severity, file: route.location.file, line: line ?? rule.line ?? route.location.line, object: object, field: field,
                           message: message))
        }
        // Filters → policy.
        var policy = self.settings.location
        policy.sslRedirect = false  // the Gateway API redirects only through a RequestRedirect filter
        policy.forceSSLRedirect = false
        var headers = HeaderPolicy()
        var redirect: HTTPRouteFilter.RequestRedirect?
        var pathModifier: HTTPRouteFilter.PathModifier?
        var failsAll = false
        for (index, filter) in rule.filters.enumerated() {
            let field = "\(rule.field).filters[\(index)]"
            switch filter {
            case .requestHeaderModifier, .responseHeaderModifier:
                headers = Self.headerModification(filter)!.layered(over: headers)
            case .requestRedirect(let value):
                redirect = value
                pathModifier = value.path
            case .urlRewrite(let value):
                pathModifier = value.path
                if let hostname = value.hostname {
                    switch UpstreamHostTemplate.parse(hostname) {
                    case .success(let template): policy.upstreamHost = template
                    case .failure(let error): report(.error, line: nil, field + ".urlRewrite.hostname", "\(error); the hostname is not rewritten")
                    }
                }
            case .requestMirror(let mirror):
                let reference = mirror.backendRef
                let refField = field + ".requestMirror.backendRef"
                switch Self.serviceRef(reference, of: input, grants: grants) {
                case .success(let resolved):
                    // A GRPCRoute's mirror gets the call as its backends do: over HTTP/2.
                    let ref = input.kind == .grpc || self.speaksH2C(resolved)
                        ? BackendRef(namespace: resolved.namespace, service: resolved.service, port: resolved.port, http2: true) : resolved
                    let id = self.register(ref, at: BackendTable.Site(file: route.location.file, line: reference.line, object: object, field: refField))
                    policy.mirrors.append(MirrorPolicy(
                        backend: id, target: resolved.description,
                        fraction: mirror.fraction.map { MirrorPolicy.Fraction(numerator: $0.numerator, denominator: $0.denominator) }))
                case .failure(let problem):
                    report(.error, line: reference.line, refField + problem.fieldSuffix, "\(problem.message): requests are not mirrored")
                }
            case .other(let type, let line, let field):
                report(.error, line: line, field, "filter type \(type) is not supported: requests this rule matches get 500, as the Gateway API asks for a filter that cannot be applied")
                failsAll = true
            }
        }
        if headers != HeaderPolicy() { policy.headers = headers.layered(over: self.settings.headers) }
        if let seconds = rule.backendRequestTimeout ?? rule.requestTimeout, seconds > 0 {
            policy.readTimeoutMilliseconds = max(1, Int((seconds * 1000).rounded(.up)))
        }
        if let retry = rule.retry {
            // GEP-1731: connection errors and timeouts are retried, and the answers with the
            // listed statuses; `attempts` retries after the first try (nginx's
            // proxy_next_upstream and its tries, which also move to the next endpoint).
            var next = policy.nextUpstream
            next.onError = true
            next.onTimeout = true
            next.statuses = Set(retry.codes)
            if let attempts = retry.attempts { next.tries = attempts + 1 }
            policy.nextUpstream = next
            if let backoff = retry.backoff, backoff > 0 {
                report(.warning, line: retry.line, rule.field + ".retry.backoff", "a pause between retries is not implemented: retries follow at once, as nginx's proxy_next_upstream")
            }
        }
        for unserved in rule.unserved {
            report(.warning, line: unserved.line, unserved.field, "not implemented: ignored (requests are balanced as without it)")
        }

        // Matches → path, rewrite, conditions.
        var matches: [CompiledMatch] = []
        for (index, match) in rule.matches.enumerated() {
            let field = "\(rule.field).matches[\(index)]"
            let path: PathMatch
            switch match.pathType {
            case "Exact": path = .exact(match.pathValue)
            case "RegularExpression":
                do {
                    path = .regex(RegexPath(regex: try self.regexCache.fullMatch(for: match.pathValue), text: match.pathValue, pathType: "RegularExpression"))
                } catch {
                    report(.error, line: match.line, field + ".path.value", "\(error); this match is left out")
                    continue
                }
            default: path = .prefix(match.pathValue)
            }
            var rewrite: RewriteTemplate?
            switch pathModifier {
            case .replaceFullPath(let value)?: rewrite = .fullPath(value)
            case .replacePrefixMatch(let value)?:
                guard case .prefix(let prefix) = path else {
                    report(.error, line: match.line, field + ".path.type", "ReplacePrefixMatch needs a PathPrefix match, not \(match.pathType); this match is left out")
                    continue
                }
                rewrite = .replacingPrefix(prefix, with: value)
            case nil: break
            }
            let headerConditions: [RouteConditions.Value]
            let queryConditions: [RouteConditions.Value]
            switch (Self.valueConditions(match.headers, lowercased: true, regexCache: self.regexCache),
                    Self.valueConditions(match.queryParams, lowercased: false, regexCache: self.regexCache)) {
            case (.success(let headers), .success(let query)):
                (headerConditions, queryConditions) = (headers, query)
            case (.failure(let failure), _):
                report(.error, line: match.line, "\(field).headers[\(failure.index)].value", "\(failure.message); this match is left out")
                continue
            case (_, .failure(let failure)):
                report(.error, line: match.line, "\(field).queryParams[\(failure.index)].value", "\(failure.message); this match is left out")
                continue
            }
            matches.append(CompiledMatch(index: index, path: path, rewrite: rewrite, method: match.method, headers: headerConditions, query: queryConditions))
        }
        guard !matches.isEmpty else { return nil }

        // Backends → a split (500, or UNAVAILABLE for a GRPCRoute, for the shares that do not resolve).
        var shares: [BackendSplit.Share] = []
        var first: (id: BackendID, ref: BackendRef)?
        for (index, backend) in rule.backendRefs.enumerated() {
            let reference = backend.reference
            let field = "\(rule.field).backendRefs[\(index)]"
            let target = reference.namespace ?? namespace
            // The backendRef's own header filters, over the rule's, for its share only.
            var shareHeaders: HeaderPolicy?
            var shareFails = false
            if !backend.filters.isEmpty {
                var own = HeaderPolicy()
                for (filterIndex, filter) in backend.filters.enumerated() {
                    if let layer = Self.headerModification(filter) {
                        own = layer.layered(over: own)
                    } else {
                        report(.error, line: reference.line, "\(field).filters[\(filterIndex)]",
                               "\(filter.type) is not supported on a backendRef (RequestHeaderModifier and ResponseHeaderModifier are; put it on the rule): this backend's share of requests gets \(answer), as the Gateway API asks for a filter that cannot be applied")
                        shareFails = true
                    }
                }
                shareHeaders = own.layered(over: policy.headers)
            }
            if shareFails {
                shares.append(.init(backend: nil, weight: backend.weight))
                continue
            }
            let ref: BackendRef
            switch Self.serviceRef(reference, of: input, grants: grants) {
            case .success(let resolved):
                // A GRPCRoute's backends speak HTTP/2 (with prior knowledge, as gRPC servers do),
                // and so does a Service port whose appProtocol says h2c.
                ref = input.kind == .grpc || self.speaksH2C(resolved)
                    ? BackendRef(namespace: resolved.namespace, service: resolved.service, port: resolved.port, http2: true) : resolved
            case .failure(let problem):
                report(.error, line: reference.line, field + problem.fieldSuffix, "\(problem.message): its share of requests gets \(answer)\(problem.reason == "UnsupportedValue" ? "" : " (\(problem.reason))")")
                refProblem = refProblem ?? (problem.reason, "\(field): \(problem.summary)")
                shares.append(.init(backend: nil, weight: backend.weight))
                continue
            }
            if self.resolver.services[target + "/" + reference.name] == nil {
                refProblem = refProblem ?? ("BackendNotFound", "\(field): Service \(target)/\(reference.name) not found")
            }
            let id = self.register(ref, at: BackendTable.Site(file: route.location.file, line: reference.line, object: object, field: field))
            if first == nil { first = (id, ref) }
            shares.append(.init(backend: id, weight: backend.weight, headers: shareHeaders))
        }
        if failsAll { shares = [] }
        if shares.isEmpty, redirect == nil, !failsAll {
            report(.warning, line: nil, rule.field + ".backendRefs", "no backendRefs and no RequestRedirect: requests this rule matches get \(answer)")
        }
        policy.backendSplit = redirect == nil ? BackendSplit(shares, unresolvedStatus: failsAll ? 500 : input.kind.unresolvedStatus) : nil
        let backend: BackendID
        if let first {
            backend = first.id
        } else if let id = unresolved {
            backend = id
        } else {
            backend = self.register(.unresolved, at: BackendTable.Site(file: route.location.file, line: nil, object: object, field: rule.field))
            unresolved = backend
        }
        return CompiledRule(
            matches: matches, policy: policy, backend: backend, service: first?.ref.service ?? "", port: first.map { $0.ref.port.description } ?? "",
            upstream: first?.ref.upstreamName ?? "", redirect: redirect)
    }

    /// Why a rule's Service reference (a backendRef, a mirror's) cannot be used: the route
    /// condition's reason, the message, a short form for the condition, and the field under the
    /// reference it concerns.
    struct ServiceRefProblem: Error {
        var reason: String
        var message: String
        var summary: String
        var fieldSuffix = ""
    }

    /// A rule's reference as a Service backend: a Service (core group), in the route's
    /// namespace or one whose ReferenceGrant lets the route's kind in, with its port.
    static func serviceRef(_ reference: ObjectReference, of input: GatewayRouteInput, grants: ReferenceGrants) -> Result<BackendRef, ServiceRefProblem> {
        let namespace = input.route.metadata.namespace
        let target = reference.namespace ?? namespace
        guard reference.group.isEmpty, reference.kind == "Service" else {
            return .failure(ServiceRefProblem(
                reason: "InvalidKind", message: "\(reference.kind) is not a kind Portico sends requests to (Service)", summary: "\(reference.kind) is not a Service"))
        }
        guard grants.permit(from: input.kind.groupKind, in: namespace, to: GroupKind(group: "", kind: "Service"), in: target, named: reference.name) else {
            return .failure(ServiceRefProblem(
                reason: "RefNotPermitted",
                message: "Service \(target)/\(reference.name) is in another namespace and no ReferenceGrant there lets \(input.kind.name)s of \(namespace) use it",
                summary: "Service \(target)/\(reference.name) needs a ReferenceGrant"))
        }
        guard let port = reference.port else {
            return .failure(ServiceRefProblem(reason: "UnsupportedValue", message: "a Service backendRef needs its port", summary: "no port", fieldSuffix: ".port"))
        }
        return .success(BackendRef(namespace: target, service: reference.name, port: .number(port)))
    }

    /// The Service port `ref` names has `appProtocol: kubernetes.io/h2c`: HTTP/2 with prior
    /// knowledge to its endpoints (Gateway API GEP-1911, the conformance suite's
    /// HTTPRouteBackendProtocolH2C). Other values (`http`, `kubernetes.io/ws`, …) are HTTP/1.1,
    /// upgrades included.
    func speaksH2C(_ ref: BackendRef) -> Bool {
        guard case .number(let number) = ref.port, let service = self.resolver.services[ref.namespace + "/" + ref.service] else { return false }
        return service.ports.first { $0.port == number }?.appProtocol == "kubernetes.io/h2c"
    }

    /// A `RequestHeaderModifier` or `ResponseHeaderModifier` as a header policy layer (`set`
    /// and `remove` replace the fields of those names, `add` adds a line beside them); nil for
    /// the other filter types.
    static func headerModification(_ filter: HTTPRouteFilter) -> HeaderPolicy? {
        switch filter {
        case .requestHeaderModifier(let modifier):
            HeaderPolicy(
                requestSet: modifier.set.map { .init(name: $0.name, value: $0.value) } + modifier.remove.map { .init(name: $0, value: "") },
                requestAdd: modifier.add.map { .init(name: $0.name, value: $0.value) })
        case .responseHeaderModifier(let modifier):
            HeaderPolicy(
                responseSet: modifier.set.map { .init(name: $0.name, value: $0.value) }, responseClear: modifier.remove,
                responseAddAlways: modifier.add.map { .init(name: $0.name, value: $0.value) })
        case .requestRedirect, .urlRewrite, .requestMirror, .other:
            nil
        }
    }

    /// A header or query value whose regex does not compile.
    struct ValueFailure: Error {
        var index: Int
        var message: String
    }

    /// Header or query conditions, the first of a name kept (`HTTPRouteMatch`: "only the first
    /// entry with an equivalent name MUST be considered").
    static func valueConditions(
        _ values: [HTTPRouteMatch.ValueMatch], lowercased: Bool, regexCache: RegexCache
    ) -> Result<[RouteConditions.Value], ValueFailure> {
        var result: [RouteConditions.Value] = []
        var names = Set<[UInt8]>()
        for (index, value) in values.enumerated() {
            let name = Array((lowercased ? value.name.lowercased() : value.name).utf8)
            guard names.insert(name).inserted else { continue }
            if value.type == "RegularExpression" {
                do {
                    result.append(RouteConditions.Value(name: name, match: .regex(try regexCache.fullMatch(for: value.value))))
                } catch {
                    return .failure(ValueFailure(index: index, message: "\(error)"))
                }
            } else {
                result.append(RouteConditions.Value(name: name, match: .exact(Array(value.value.utf8))))
            }
        }
        return .success(result)
    }
}
