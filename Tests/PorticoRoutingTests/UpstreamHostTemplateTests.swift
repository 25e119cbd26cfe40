import PorticoRouting
import Testing

@Suite struct UpstreamHostTemplateTests {
    func render(_ template: UpstreamHostTemplate, host: String?) -> String {
        var rendered: [UInt8] = []
        if var value = host.map({ Array($0.utf8) }) {
            value.withUnsafeMutableBytes { template.render(hostValue: UnsafeRawBufferPointer($0)) { rendered += $0 } }
        } else {
            template.render(hostValue: nil) { rendered += $0 }
        }
        return String(decoding: rendered, as: UTF8.self)
    }

    @Test func requestVariablesComeFromTheHostHeader() throws {
        let template = try UpstreamHostTemplate.parse("$http_host|$host|${best_http_host}").get()
            .resolved(namespace: "ns", ingressName: "ing", serviceName: "svc", servicePort: "80")
        #expect(self.render(template, host: "Shop.Example:8443") == "Shop.Example:8443|shop.example|Shop.Example:8443")
        #expect(self.render(template, host: nil) == "||")
    }

    @Test func routeVariablesAreFilledAndLiteralsMerged() throws {
        let template = try UpstreamHostTemplate.parse("${service_name}-$service_port.$namespace.$ingress_name").get()
            .resolved(namespace: "ns", ingressName: "ing", serviceName: "svc", servicePort: "http")
        #expect(template.parts == [.literal(Array("svc-http.ns.ing".utf8))])
    }

    @Test(arguments: [("${service_name", "without a closing"), ("a$", "without a variable name"), ("$request_id", "$request_id is not")])
    func refusesWhatNginxWouldRefuse(text: String, message: String) {
        guard case .failure(let error) = UpstreamHostTemplate.parse(text) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(error.description.contains(message), "\(error)")
    }
}
