/// One decoded object of a kind Portico reads.
public enum KubeObject: Hashable, Sendable {
    case ingress(Ingress)
    case ingressClass(IngressClass)
    case service(Service)
    case endpoints(Endpoints)
    case endpointSlice(EndpointSlice)
    case secret(Secret)
    case pod(Pod)
    case configMap(ConfigMap)
    case gatewayClass(GatewayClass)
    case gateway(Gateway)
    case httpRoute(HTTPRoute)
    case grpcRoute(GRPCRoute)
    case namespace(Namespace)
    case referenceGrant(ReferenceGrant)
}
