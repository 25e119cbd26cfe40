import PorticoRouting

/// `ssl-passthrough` (ingress-nginx `annotations/sslpassthrough`): the Ingress's hosts are not
/// terminated; the HTTPS listener splices their TLS to the backend of the host's `/` path
/// (`controller.go`: other paths are ignored with a warning). Acted on only with
/// `--enable-ssl-passthrough`, as there. Plain HTTP to such a host is routed as usual.
enum PassthroughAnnotations: AnnotationGroup {
    static let names = ["ssl-passthrough"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        annotations.sslPassthrough = reader.bool("ssl-passthrough", default: false)
    }
}
