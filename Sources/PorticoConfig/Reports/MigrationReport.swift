import Foundation
import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// What a user runs before switching from ingress-nginx (`portico check --report`): for each
/// Ingress, whether Portico serves it as ingress-nginx would (unchanged), serves it without
/// something it asks for (degraded: which annotation or field, and why), or leaves it out (why);
/// and the share of each.
public struct MigrationReport: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable, CaseIterable {
        case unchanged = "served unchanged"
        case degraded = "degraded"
        case leftOut = "left out"
        /// Another controller's class: not part of the migration.
        case notOurs = "not ours"
    }

    public struct Entry: Codable, Sendable, Equatable {
        /// `namespace/name`.
        public var ingress: String
        public var file: String?
        public var verdict: Verdict
        /// Where Portico differs from ingress-nginx (what makes it degraded), or why it is left
        /// out: `field: message`.
        public var reasons: [String]
        /// Diagnostics about values ingress-nginx treats the same way (a bad value falling back
        /// to its default, …): worth fixing, not a difference.
        public var notes: [String]
    }

    public var entries: [Entry]
    /// The controller ConfigMap's keys Portico treats differently from ingress-nginx (not acted
    /// on, or narrower), `data.key: message`: they touch every Ingress, so they are listed once.
    public var controllerSettings: [String] = []

    public init(state: ClusterState, snapshot: RoutingSnapshot, diagnostics: [Diagnostic]) {
        self.controllerSettings = diagnostics.filter { $0.object?.hasPrefix("ConfigMap ") == true && $0.differsFromIngressNginx }
            .map { ($0.field.map { "\($0): " } ?? "") + $0.message }
        var served = Set<String>()
        func note(_ route: Route) {
            served.insert(route.source.ingress)
            if let canary = route.policy.canary { served.insert(canary.ingress) }
        }
        for virtualHost in snapshot.routes.listing {
            virtualHost.routes.forEach(note)
            virtualHost.fallback.map(note)
        }
        snapshot.routes.defaultRoute.map(note)
        var byObject: [String: [Diagnostic]] = [:]
        for diagnostic in diagnostics { byObject[diagnostic.object ?? "", default: []].append(diagnostic) }
        self.entries = state.ingresses.map { ingress in
            let name = "\(ingress.metadata.namespace)/\(ingress.metadata.name)"
            let found = byObject["Ingress \(name)"] ?? []
            func text(_ diagnostic: Diagnostic) -> String { (diagnostic.field.map { "\($0): " } ?? "") + diagnostic.message }
            if let ignored = found.first(where: { $0.severity == .info && $0.message.hasPrefix("ignored:") }) {
                return Entry(ingress: name, file: ingress.location.file, verdict: .notOurs, reasons: [ignored.message], notes: [])
            }
            let reported = found.filter { $0.severity != .info }
            let differences = reported.filter(\.differsFromIngressNginx).map(text)
            let same = reported.filter { !$0.differsFromIngressNginx }.map(text)
            guard served.contains(name) else {
                // Every diagnostic may be the reason (an error, or a path an older Ingress owns),
                // errors first.
                let why = reported.sorted { $0.severity < $1.severity }.map(text)
                return Entry(
                    ingress: name, file: ingress.location.file, verdict: .leftOut,
                    reasons: reported.contains { $0.severity == .error } ? why : ["it adds no route of its own"] + why, notes: [])
            }
            return Entry(
                ingress: name, file: ingress.location.file, verdict: differences.isEmpty ? .unchanged : .degraded, reasons: differences,
                notes: same)
        }.sorted { $0.ingress < $1.ingress }
    }

    public func count(_ verdict: Verdict) -> Int { self.entries.filter { $0.verdict == verdict }.count }

    /// The summary line: counts and shares of the Ingresses that are ours.
    public var summary: String {
        let ours = self.entries.count - self.count(.notOurs)
        func share(_ verdict: Verdict) -> String {
            let count = self.count(verdict)
            let percent = ours == 0 ? 0 : Double(count) * 100 / Double(ours)
            return "\(count) \(verdict.rawValue) (\(String(format: "%.0f", percent)) %)"
        }
        var text = "\(ours) Ingresses: " + [Verdict.unchanged, .degraded, .leftOut].map(share).joined(separator: ", ")
        if self.count(.notOurs) > 0 { text += "; \(self.count(.notOurs)) of another class not counted" }
        return text
    }

    public func renderTable() -> String {
        var lines: [String] = []
        let width = max(self.entries.map(\.ingress.count).max() ?? 0, 7)
        lines.append("INGRESS".padding(toLength: width, withPad: " ", startingAt: 0) + "  VERDICT           WHY")
        for entry in self.entries {
            let head = entry.ingress.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + entry.verdict.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0) + "  "
            let indent = String(repeating: " ", count: head.count)
            var reasons = entry.reasons
            if !entry.notes.isEmpty {
                reasons.append("(\(entry.notes.count) note\(entry.notes.count == 1 ? "" : "s") on values ingress-nginx treats the same way: `portico check`)")
            }
            lines.append(head + (reasons.first ?? ""))
            for reason in reasons.dropFirst() { lines.append(indent + reason) }
        }
        lines.append(self.summary)
        if !self.controllerSettings.isEmpty {
            lines.append("Controller ConfigMap, for every Ingress:")
            for setting in self.controllerSettings { lines.append("  " + setting) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func renderJSON() -> String {
        struct Document: Encodable {
            var ingresses: [Entry]
            var summary: [String: Int]
            var controllerSettings: [String]
        }
        var summary: [String: Int] = [:]
        for verdict in Verdict.allCases { summary[verdict.rawValue] = self.count(verdict) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(Document(ingresses: self.entries, summary: summary, controllerSettings: self.controllerSettings))) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
