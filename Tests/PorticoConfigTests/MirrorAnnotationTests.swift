import PorticoConfig
import PorticoDiagnostics
import PorticoKube
import PorticoRouting
import Testing

/// `mirror-target`, `mirror-host`, `mirror-request-body` as ingress-nginx's
/// `annotations/mirror` parser and nginx.tmpl's mirror location read them.
@Suite struct MirrorAnnotationTests {
    static func compile(_ annotations: [String: String]) -> IngressCompiler.Output {
        let lines = annotations.sorted { $0.key < $1.key }.map { "    nginx.ingress.kubernetes.io/\($0.key): \"\($0.value)\"" }.joined(separator: "\n")
        let text = """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec: {ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: web}
            subsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 8080}]}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: m
              annotations:
            \(lines)
            spec:
              rules: [{host: m.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
            """
        var state = ClusterState()
        for (object, _) in ManifestDecoder.decode(file: "m.yaml", text: text).objects { state.add(object) }
        return IngressCompiler.compile(state)
    }

    static func mirror(_ output: IngressCompiler.Output) -> MirrorPolicy? {
        output.snapshot.routes.resolve(host: "m.test", path: "/")?.policy.mirrors.first
    }

    static func said(_ output: IngressCompiler.Output, _ annotation: String, _ text: String) -> Bool {
        output.diagnostics.contains { $0.field == "metadata.annotations[nginx.ingress.kubernetes.io/\(annotation)]" && $0.message.contains(text) }
    }

    @Test func aServiceURLWithRequestURIMirrorsToThatService() {
        let output = Self.compile(["mirror-target": "http://web.default.svc.cluster.local:80$request_uri"])
        let mirror = Self.mirror(output)
        #expect(mirror?.path == .template([[], []]))
        #expect(mirror?.host == Array("web.default.svc.cluster.local".utf8))  // the URL's host (url.Hostname())
        #expect(mirror?.withBody == true)
        #expect(mirror.map { output.snapshot.backends[$0.backend].ref.description } == "default/web:80")
    }

    @Test func aFixedPathAHostAndNoBody() {
        let output = Self.compile(["mirror-target": "http://10.0.0.9:8080/mirror", "mirror-host": "shadow.test", "mirror-request-body": "off"])
        let mirror = Self.mirror(output)
        #expect(mirror?.path == .fixed(Array("/mirror".utf8)))
        #expect(mirror?.host == Array("shadow.test".utf8))
        #expect(mirror?.withBody == false)
        #expect(mirror.map { output.snapshot.backends[$0.backend].ref.description } == "10.0.0.9:8080")
    }

    @Test func whatCannotBeMirroredIsSaid() {
        let tls = Self.compile(["mirror-target": "https://test.env.com$request_uri"])
        #expect(Self.mirror(tls) == nil)
        #expect(Self.said(tls, "mirror-target", "TLS to the mirror"))
        let variable = Self.compile(["mirror-target": "http://test.env.com/$uri"])
        #expect(Self.mirror(variable) == nil)
        #expect(Self.said(variable, "mirror-target", "only $request_uri"))
        let pathless = Self.compile(["mirror-target": "http://10.0.0.9"])
        #expect(Self.mirror(pathless)?.path == .asUpstream)
        #expect(Self.said(pathless, "mirror-target", "/_mirror-<uid>"))
        let body = Self.compile(["mirror-target": "http://10.0.0.9/m", "mirror-request-body": "maybe"])
        #expect(Self.mirror(body)?.withBody == true)
        #expect(Self.said(body, "mirror-request-body", "is not on or off"))
        let invalid = Self.compile(["mirror-target": "http://bad host/"])
        #expect(Self.mirror(invalid) == nil)
        #expect(Self.said(invalid, "mirror-target", "ingress-nginx ignores it"))
    }
}
