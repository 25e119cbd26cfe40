import PorticoRegex
import PorticoRouting

/// `portico explain`: one request, step by step — the virtual host found, every candidate
/// route in the order tried, which matched and with what captures, the rewritten path, the
/// endpoints, and any redirect. Built on the same `RequestRouter` the data plane runs.
public enum Explanation {
    struct Recorder: RouteLookupObserver {
        var virtualHost: VirtualHost?
        var how: HostMatchKind = .none
        var tried: [(Route, RegexOutcome)] = []

        mutating func found(_ virtualHost: VirtualHost?, how: HostMatchKind) {
            self.virtualHost = virtualHost
            self.how = how
        }

        mutating func tried(_ route: Route, outcome: RegexOutcome) {
            self.tried.append((route, outcome))
        }
    }

    public static func explain(_ request: OfflineRequest, snapshot: RoutingSnapshot) -> String {
        let scratch = RoutingScratch()
        var recorder = Recorder()
        let outcome = RequestSimulation.run(request, snapshot: snapshot, scratch: scratch, observer: &recorder)
        var lines = ["request:  \(request.method) \(request.url)"]
        let normal = PathNormalizer.normalize(request.path) ?? "(invalid)"
        lines.append("path:     \(normal)\(normal == request.path ? "" : " (normalised from \(request.path))")")
        switch recorder.how {
        case .named:
            let host = recorder.virtualHost!
            lines.append("host:     \(request.hostValue) → virtual host \(host.name)\(Self.mode(host))")
        case .anyHost:
            lines.append("host:     \(request.hostValue) → no host rule; the rules without host apply\(Self.mode(recorder.virtualHost!))")
        case .none:
            lines.append("host:     \(request.hostValue) → no host rule and no rules without host")
        }
        if let appRoot = recorder.virtualHost?.appRoot {
            lines.append("app-root: \(appRoot) (a request for exactly / is redirected)")
        }
        if !recorder.tried.isEmpty { lines.append("candidates, in the order tried:") }
        let subject = Array(normal.utf8)
        for (index, (route, result)) in recorder.tried.enumerated() {
            let backend = snapshot.backends[route.backend].ref.description
            var line = "  \(index + 1). \(route.match.pathText)  [\(route.match.typeName)]  → \(backend)  (\(route.source.ingress))  "
            switch result {
            case .noMatch: line += "no match"
            case .limitExceeded: line += "REGEX LIMIT EXCEEDED (500)"
            case .match:
                line += "MATCH"
                if case .regex = route.match { line += Self.captures(scratch.regex, subject: subject) }
            }
            lines.append(line)
        }
        lines.append("result:   " + Self.result(outcome, recorder: recorder, snapshot: snapshot))
        return lines.joined(separator: "\n") + "\n"
    }

    static func mode(_ host: VirtualHost) -> String {
        host.usesRegex
            ? " (regex mode: an Ingress on this host has use-regex or rewrite-target, so every path is a case-insensitive regex anchored at the start, longest path text first)"
            : ""
    }

    static func captures(_ data: RegexMatchData, subject: [UInt8]) -> String {
        var parts: [String] = []
        for group in 1...9 {
            guard let range = data.range(of: group), range.upperBound <= subject.count else { continue }
            parts.append("$\(group)=\"\(String(decoding: subject[range], as: UTF8.self))\"")
        }
        return parts.isEmpty ? "" : "  captures: " + parts.joined(separator: " ")
    }

    static func result(_ outcome: SimulatedOutcome, recorder: Recorder, snapshot: RoutingSnapshot) -> String {
        if let location = outcome.location {
            return "\(outcome.status ?? 0) redirect to \(location) (\(outcome.redirectReason ?? "redirect"))"
        }
        guard let service = outcome.service else {
            switch outcome.status {
            case 404: return "404: no rule matches and no defaultBackend"
            case 400: return "400: invalid Host or path"
            case 500: return "500: a path regex hit its match limit"
            default: return "status \(outcome.status ?? 0)"
            }
        }
        let matched = recorder.tried.last { $0.1 == .match }?.0
        var text = matched == nil ? "no path matched; defaultBackend \(service)" : "proxy to \(service)"
        if outcome.shares.count > 1 { text += " (split per request: \(outcome.shares.joined(separator: ", ")))" }
        if let rewrite = matched?.rewrite {
            text += "\n          rewrite-target \(rewrite.text) → upstream path \(outcome.upstreamPath ?? "")"
        } else {
            text += "\n          upstream path \(outcome.upstreamPath ?? "") (as received)"
        }
        if let prefix = matched?.policy.forwardedPrefix { text += "\n          X-Forwarded-Prefix: \(prefix)" }
        if let auth = matched?.policy.basicAuth {
            text += "\n          basic auth: \(auth.users.count) user(s) of Secret \(auth.secret), realm \"\(auth.realm)\" (401 without them)"
        }
        if let canary = matched?.policy.canary {
            let alternative = snapshot.backends[canary.backend].ref.description
            var ways: [String] = []
            if let header = canary.header {
                ways.append("header \(String(decoding: header, as: UTF8.self))"
                    + (canary.headerValue.map { " = \(String(decoding: $0, as: UTF8.self))" } ?? canary.headerPattern.map { " ~ \($0.pattern)" } ?? " always/never"))
            }
            if let cookie = canary.cookie { ways.append("cookie \(String(decoding: cookie, as: UTF8.self)) always/never") }
            ways.append("weight \(canary.weight)/\(canary.weightTotal)")
            text += "\n          canary \(canary.ingress) → \(alternative), by " + ways.joined(separator: ", then ")
        }
        if let auth = matched?.policy.externalAuth {
            text += "\n          external auth: \(auth.url) decides first (2xx proxies, 401/403 answer, anything else 500)"
        }
        for mirror in matched?.policy.mirrors ?? [] {
            let endpoints = snapshot.backends[mirror.backend].endpoints.count
            text += "\n          mirrored to \(mirror.target) (\(snapshot.backends[mirror.backend].ref.description), \(endpoints) ready endpoint(s))"
                + (mirror.withBody ? "" : " without the body")
                + (mirror.fraction.map { " for \($0.numerator) of every \($0.denominator) requests" } ?? "") + "; its answer is ignored"
        }
        if let cors = matched?.policy.cors {
            text += "\n          CORS: " + (cors.allowsAnyOrigin ? "any origin" : "\(cors.origins.count) allowed origin pattern(s)")
                + "; an allowed OPTIONS is answered 204 here"
        }
        if outcome.endpoints.isEmpty {
            let reason = snapshot.backends.first { $0.ref.description == service }?.unavailableReason ?? "no ready endpoints"
            text += "\n          503: \(reason)"
        } else {
            text += "\n          endpoints (round-robin): " + outcome.endpoints.joined(separator: ", ")
        }
        return text
    }
}
