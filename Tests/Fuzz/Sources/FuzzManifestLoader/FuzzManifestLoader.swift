import PorticoConfig
import PorticoKube

/// The manifest loader and compiler on arbitrary text: YAML and JSON documents (files and API
/// bodies) must decode to objects or located diagnostics, and whatever decodes must compile,
/// never crash. Every diagnostic must name where it is.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifestLoader(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let decoded = ManifestDecoder.decode(file: "fuzz.yaml", text: text)
    for issue in decoded.issues { precondition(issue.file == "fuzz.yaml", "a diagnostic without its file") }
    var state = ClusterState()
    for (object, _) in decoded.objects { state.add(object) }
    _ = IngressCompiler.compile(state)
    if let payload = try? APIPayload.parse(text) {
        for item in payload["items"]?.items ?? [payload] {
            _ = item.decodeObject(kind: "Ingress", apiVersion: "networking.k8s.io/v1", source: "kubernetes")
        }
    }
    return 0
}
