import PorticoRouting

/// The opentelemetry group (ingress-nginx `annotations/opentelemetry/main.go`):
/// `enable-opentelemetry` turns tracing on or off for the Ingress's paths over the ConfigMap's
/// `enable-opentelemetry`; when on, `opentelemetry-trust-incoming-span` (else the ConfigMap's,
/// default true) and `opentelemetry-operation-name` apply. An absent or non-boolean
/// `enable-opentelemetry` leaves the ConfigMap's choice, as the parser's `cfg.Set = false`; an
/// operation name its validator refuses drops the Ingress.
enum TracingAnnotations: AnnotationGroup {
    static let names = ["enable-opentelemetry", "opentelemetry-trust-incoming-span", "opentelemetry-operation-name"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let text = reader.value("enable-opentelemetry"), let enabled = AnnotationReader.parseBool(text) else { return }
        annotations.policy.tracing.enabled = enabled
        guard enabled else { return }
        if let trust = reader.value("opentelemetry-trust-incoming-span").flatMap(AnnotationReader.parseBool) {
            annotations.policy.tracing.trustIncoming = trust
        }
        if let name = reader.value("opentelemetry-operation-name") {
            guard Self.isOperationName(name) else {
                reader.drop("opentelemetry-operation-name", name, expected: "an operation name of letters, digits, _ and -")
                return
            }
            annotations.policy.tracing.operationName = name
        }
    }

    /// `regexOperationName`: `^[A-Za-z0-9_\-]*$`.
    static func isOperationName(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}
