/// GRPCRoute with the CRD's defaults and validation (gateway-api `apis/v1/grpcroute_types.go`):
/// a method match needs a service or a method; an `Exact` service is a dotted protobuf name and
/// an `Exact` method an identifier; filters are the four GRPCRoute types.
extension GRPCRoute {
    init(reader: NodeReader, metadata: ObjectMeta, location: SourceLocation) throws(FieldError) {
        self.metadata = metadata
        self.location = location
        let spec = try reader.required("spec")
        (self.parentRefs, self.hostnames) = try spec.commonRouteSpec()
        self.rules = try spec.optionalList("rules").map { rule throws(FieldError) in try GRPCRouteRule(reader: rule) }
        if self.rules.isEmpty { self.rules = [GRPCRouteRule(field: "spec.rules[0]")] }
    }
}

extension GRPCRouteRule {
    init(reader: NodeReader) throws(FieldError) {
        self.line = reader.line
        self.field = reader.path
        self.matches = try reader.optionalList("matches").map { match throws(FieldError) in try GRPCRouteMatch(reader: match) }
        self.filters = try reader.optionalList("filters").map { filter throws(FieldError) in
            let type = try filter.required("type").string()
            guard ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef"].contains(type) else {
                throw try filter.required("type").error(
                    "unsupported value \"\(type)\": must be RequestHeaderModifier, ResponseHeaderModifier, RequestMirror or ExtensionRef")
            }
            return try HTTPRouteFilter(reader: filter)
        }
        self.backendRefs = try reader.optionalList("backendRefs").map { ref throws(FieldError) in try HTTPBackendRef(reader: ref) }
    }
}

extension GRPCRouteMatch {
    init(reader: NodeReader) throws(FieldError) {
        self.line = reader.line
        self.field = reader.path
        if let method = try reader.child("method") {
            self.type = try method.optionalString("type") ?? "Exact"
            guard self.type == "Exact" || self.type == "RegularExpression" else {
                throw try method.required("type").error("unsupported value \"\(self.type)\": must be Exact or RegularExpression")
            }
            self.service = try method.optionalString("service").flatMap { $0.isEmpty ? nil : $0 }
            self.method = try method.optionalString("method").flatMap { $0.isEmpty ? nil : $0 }
            guard self.service != nil || self.method != nil else {
                throw method.error("one or both of 'service' or 'method' must be specified")
            }
            if self.type == "Exact" {
                if let service = self.service, !Self.isServiceName(service) {
                    throw try method.required("service").error("\"\(service)\" is not a gRPC service name (dot-separated identifiers)")
                }
                if let name = self.method, !Self.isIdentifier(name[...]) {
                    throw try method.required("method").error("\"\(name)\" is not a gRPC method name (an identifier)")
                }
            }
        } else {
            self.type = "Exact"
            self.service = nil
            self.method = nil
        }
        self.headers = try reader.optionalList("headers").map { item throws(FieldError) in
            let type = try item.optionalString("type") ?? "Exact"
            guard type == "Exact" || type == "RegularExpression" else {
                throw try item.required("type").error("unsupported value \"\(type)\": must be Exact or RegularExpression")
            }
            return HTTPRouteMatch.ValueMatch(type: type, name: try item.required("name").string(), value: try item.required("value").string())
        }
    }

    /// The CRD's `^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$`.
    static func isServiceName(_ text: String) -> Bool {
        let body = text.hasPrefix(".") ? text.dropFirst() : text[...]
        return !body.isEmpty && body.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(Self.isIdentifier)
    }

    /// `[A-Za-z_][A-Za-z_0-9]*`.
    static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.utf8.first, first == UInt8(ascii: "_") || (first | 0x20) >= UInt8(ascii: "a") && (first | 0x20) <= UInt8(ascii: "z")
        else { return false }
        return text.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") || ($0 >= 0x30 && $0 <= 0x39) }
    }
}
