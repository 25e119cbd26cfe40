import PorticoRouting
import Testing

/// A route's request-metric labels, rendered once at compile time.
@Suite struct RouteMetricLabelsTests {
    /// Metric label values are escaped for the exposition (a regex path may hold `"` or `\`).
    @Test func metricLabelsAreEscaped() {
        let labels = RouteMetricLabels(namespace: "ns", ingress: "web", service: "svc", path: #"/a"b\c"#, host: "h.test")
        #expect(labels.text == #"host="h.test",ingress="web",namespace="ns",path="/a\"b\\c",service="svc""#)
    }
}
