import PorticoRouting

/// `custom-headers: namespace/name` (ingress-nginx `annotations/customheaders`): the fields of
/// that ConfigMap are set on the location's answers (`more_set_headers`, a literal `$` kept as
/// it is). Each name must be on the controller's `global-allowed-response-headers`, each name
/// and value pass ingress-nginx's validators; otherwise — or when the ConfigMap does not
/// exist — the location is denied (503), as the `LocationDenied` errors there.
enum CustomHeadersAnnotations: AnnotationGroup {
    static let names = ["custom-headers"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let reference = reader.value("custom-headers") else { return }
        func deny(_ reason: String) {
            reader.denyLocation("custom-headers", reason + "; ingress-nginx denies the location, so its paths answer 503")
            annotations.policy.deniedReason = "custom-headers: " + reason
        }
        guard let configMap = reader.configMaps[reference] ?? reader.configMaps["\(reader.ingress.metadata.namespace)/\(reference)"] else {
            return deny("ConfigMap \(reference) not found")
        }
        var fields: [HeaderPolicy.Field] = []
        for name in configMap.data.keys.sorted() {
            let value = configMap.data[name]!
            guard AnnotationReader.Characters.isHeaderName(name) else {
                return deny("invalid header name \"\(name)\" in ConfigMap \(reference)")
            }
            guard !value.isEmpty, value.utf8.allSatisfy(Self.isValueByte) else {
                return deny("invalid header value of \(name) in ConfigMap \(reference)")
            }
            guard annotations.allowedResponseHeaders.contains(name.lowercased()) else {
                return deny("header \(name) is not allowed: the controller ConfigMap's global-allowed-response-headers must list it")
            }
            fields.append(HeaderPolicy.Field(name: name, value: value))
        }
        annotations.policy.headers = HeaderPolicy(responseSet: fields).layered(over: annotations.policy.headers)
    }

    /// `valueRegexp`: letters, digits and `_ :;.,\/"'?!(){}[]@<>=-+*#$&`|~^%`.
    static func isValueByte(_ byte: UInt8) -> Bool {
        byte.isASCIILetter || byte.isASCIIDigit || " _:;.,\\/\"'?!(){}[]@<>=-+*#$&`|~^%".utf8.contains(byte)
    }
}
