/// A Kubernetes `LabelSelector` (meta/v1): `matchLabels` and `matchExpressions`, ANDed. An
/// empty selector selects everything (as `allowedRoutes.namespaces.selector` documents).
public struct LabelSelector: Hashable, Sendable {
    public struct Requirement: Hashable, Sendable {
        public enum Operator: String, Hashable, Sendable, CaseIterable {
            case `in` = "In"
            case notIn = "NotIn"
            case exists = "Exists"
            case doesNotExist = "DoesNotExist"
        }

        public var key: String
        public var `operator`: Operator
        public var values: [String]

        public init(key: String, operator: Operator, values: [String] = []) {
            self.key = key
            self.operator = `operator`
            self.values = values
        }

        func matches(_ labels: [String: String]) -> Bool {
            let value = labels[self.key]
            switch self.operator {
            case .in: return value.map(self.values.contains) ?? false
            case .notIn: return value.map { !self.values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            }
        }
    }

    public var matchLabels: [String: String]
    public var matchExpressions: [Requirement]

    public init(matchLabels: [String: String] = [:], matchExpressions: [Requirement] = []) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    public func matches(_ labels: [String: String]) -> Bool {
        self.matchLabels.allSatisfy { labels[$0.key] == $0.value } && self.matchExpressions.allSatisfy { $0.matches(labels) }
    }
}
