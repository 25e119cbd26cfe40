/// What the compiler needs to know about this controller.
public struct CompileOptions: Sendable {
    /// The IngressClass name that is ours (`--ingress-class`).
    public var ingressClass: String
    /// `spec.controller` of IngressClasses that are ours.
    public var controllerName: String

    public init(ingressClass: String = "portico", controllerName: String = CompileOptions.defaultControllerName) {
        self.ingressClass = ingressClass
        self.controllerName = controllerName
    }

    public static let defaultControllerName = "portico.dev/ingress-controller"
}
