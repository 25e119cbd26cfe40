import Foundation

/// `default-backend` and `custom-http-errors` (ingress-nginx `annotations/defaultbackend`,
/// `annotations/customhttperrors`). Both fail as plain errors there (a Service that does not
/// exist, a code that is not a number): the annotation is ignored, the Ingress served.
enum ErrorPageAnnotations: AnnotationGroup {
    static let names = ["default-backend", "custom-http-errors"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        annotations.defaultBackendService = reader.value("default-backend")
        guard let text = reader.value("custom-http-errors") else { return }
        var codes: [Int] = []
        for item in AnnotationReader.items(text) {
            guard let code = Int(item) else {
                reader.warn("custom-http-errors", "\"\(item)\" is not a status code; ingress-nginx ignores the annotation, and so does Portico")
                return
            }
            codes.append(code)
        }
        guard annotations.defaultBackendService != nil else {
            reader.warn(
                "custom-http-errors",
                "without default-backend these errors would go to ingress-nginx's --default-backend-service, which Portico does not have; the annotation is ignored",
                differs: true)
            return
        }
        annotations.customErrors = codes
        annotations.customErrorsFromAnnotation = true
    }
}
