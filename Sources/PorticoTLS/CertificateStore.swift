internal import CPorticoOpenSSL
import PorticoDiagnostics
import PorticoRouting

/// Certificates by SNI name: exact host, then `*.parent`, then the default certificate (as
/// ingress-nginx's `certificate.lua`). One prepared SSL_CTX per certificate, built once per
/// TLS configuration, never per connection.
///
/// New connections start on the default context; OpenSSL's servername callback looks the SNI
/// name up here and switches the connection to the matching context.
public final class CertificateStore: @unchecked Sendable {
    // @unchecked: immutable after init; read from every event loop.
    let defaultContext: TLSContext
    private let contexts: HostTable<TLSContext>
    /// The bindings this store was built from, so an unchanged TLS configuration reuses it.
    public let bindings: [TLSBinding]
    public let defaultCertificate: CertificateSource?
    public let options: TLSOptions
    /// The default certificate's subject, for logs and tests.
    public let defaultSubject: String

    /// Builds the store. A binding whose certificate is broken, expired or does not cover its
    /// host gets a diagnostic naming its Secret or file; that host keeps the certificate it had
    /// in `previous` (its last good version), or else gets the default certificate. The other
    /// hosts are unaffected.
    public static func build(
        bindings: [TLSBinding], defaultCertificate: CertificateSource?, options: TLSOptions,
        previous: CertificateStore? = nil
    ) throws(TLSError) -> (store: CertificateStore, diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var defaultPair: CertificateKeyPair?
        // A kept default is rebuilt from its (immutable) pair: the default context carries this
        // store's servername callback, so it is never shared between stores.
        var keptDefault: CertificateKeyPair?
        if let source = defaultCertificate {
            do {
                defaultPair = try CertificateKeyPair(certificatePEM: source.certificatePEM, keyPEM: source.keyPEM)
            } catch {
                keptDefault = previous?.defaultContext.pair
                diagnostics.append(
                    Diagnostic(.error, object: source.origin,
                               message: "default certificate unusable (\(error)); \(keptDefault == nil ? "using a generated self-signed one" : "the last good default certificate stays")"))
            }
        }
        let pair: CertificateKeyPair
        if let chosen = defaultPair ?? keptDefault { pair = chosen } else { pair = try CertificateKeyPair.generateFake() }
        let defaultContext = try TLSContext(pair: pair, options: options)
        var table = HostTable<TLSContext>()
        var byOrigin: [String: TLSContext] = [:]
        for binding in bindings {
            guard table.value(for: binding.host) == nil, let source = binding.certificate else { continue }
            do {
                let context: TLSContext
                // One context per certificate and client-certificate settings (`auth-tls-*`).
                let key = binding.clientCertificates.map { "\(source.origin) auth-tls \($0.secret) \($0.hashValue)" } ?? source.origin
                if let shared = byOrigin[key] {
                    context = shared
                } else {
                    let pair = try CertificateKeyPair(certificatePEM: source.certificatePEM, keyPEM: source.keyPEM)
                    context = try TLSContext(pair: pair, options: options, clientCertificates: binding.clientCertificates)
                    byOrigin[key] = context
                }
                let probe =
                    switch binding.host {
                    case .exact(let name): name
                    case .wildcard(let suffix), .subdomains(let suffix): "portico-sni-check." + suffix
                    }
                guard context.pair.covers(probe) else {
                    throw TLSError(kind: .nameMismatch, detail: "\(context.pair.subject) does not cover \(binding.host)")
                }
                table.set(binding.host, context)
            } catch {
                if let kept = previous?.contexts.value(for: binding.host) {
                    table.set(binding.host, kept)
                    diagnostics.append(
                        Diagnostic(.error, object: source.origin, field: "tls host \(binding.host)",
                                   message: "\(error); \(binding.host) keeps its last good certificate \(kept.pair.subject) (\(binding.owner))"))
                } else {
                    diagnostics.append(
                        Diagnostic(.error, object: source.origin, field: "tls host \(binding.host)",
                                   message: "\(error); \(binding.host) gets the default certificate (\(binding.owner))"))
                }
            }
        }
        let store = CertificateStore(
            defaultContext: defaultContext, contexts: table, bindings: bindings, defaultCertificate: defaultCertificate,
            options: options)
        return (store, diagnostics)
    }

    private init(
        defaultContext: TLSContext, contexts: HostTable<TLSContext>, bindings: [TLSBinding],
        defaultCertificate: CertificateSource?, options: TLSOptions
    ) {
        self.defaultContext = defaultContext
        self.contexts = contexts
        self.bindings = bindings
        self.defaultCertificate = defaultCertificate
        self.options = options
        self.defaultSubject = defaultContext.pair.subject
        CPorticoOpenSSL_SSL_CTX_set_tlsext_servername_callback(defaultContext.context, selectCertificate)
        CPorticoOpenSSL_SSL_CTX_set_tlsext_servername_arg(
            defaultContext.context, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Each TLS host's certificate: the host, where its certificate came from, its facts
    /// (expiry, issuer, serial) for the certificate metrics.
    public var served: [(host: String, origin: String, facts: CertificateFacts)] {
        self.bindings.compactMap { binding in
            guard let source = binding.certificate, let context = self.contexts.value(for: binding.host),
                let facts = context.pair.facts
            else { return nil }
            return (binding.host.description, source.origin, facts)
        }
    }

    /// The default certificate's facts (its expiry on `/routes`).
    public var defaultFacts: CertificateFacts? { self.defaultContext.pair.facts }

    /// Whether this store was built from exactly this TLS configuration.
    public func matches(bindings: [TLSBinding], defaultCertificate: CertificateSource?, options: TLSOptions) -> Bool {
        self.bindings == bindings && self.defaultCertificate == defaultCertificate && self.options == options
    }

    /// The context for an SNI name (lower-cased, trailing dot ignored, as ingress-nginx does).
    func context(forServerName name: UnsafeRawBufferPointer) -> TLSContext? {
        var end = name.count
        if end > 0, name[end - 1] == UInt8(ascii: ".") { end -= 1 }
        return self.contexts.lookup(UnsafeRawBufferPointer(rebasing: name[0..<end]))
    }

    /// The subject of the certificate an SNI name gets (for `portico check`-style reports).
    public func subject(forServerName name: String) -> String {
        var name = name
        return name.withUTF8 { self.context(forServerName: UnsafeRawBufferPointer($0))?.pair.subject } ?? self.defaultSubject
    }
}

/// OpenSSL's servername callback: switch the connection to the SNI name's context. Unknown
/// names stay on the default context (ingress-nginx's `ssl-reject-handshake` is off).
private let selectCertificate: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?) -> Int32 = {
    ssl, _, argument in
    guard let ssl, let argument, let name = CPorticoOpenSSL_SSL_get_servername(ssl) else { return SSL_TLSEXT_ERR_OK }
    let store = Unmanaged<CertificateStore>.fromOpaque(argument).takeUnretainedValue()
    let length = strlen(name)
    if let context = store.context(forServerName: UnsafeRawBufferPointer(start: name, count: length)) {
        SSL_set_SSL_CTX(ssl, context.context)
        // SSL_set_SSL_CTX keeps the connection's verify settings; take the host's (its
        // `auth-tls-*`), as nginx's `ngx_http_ssl_servername` does.
        SSL_set_verify(ssl, SSL_CTX_get_verify_mode(context.context), SSL_CTX_get_verify_callback(context.context))
        SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(context.context))
    }
    return SSL_TLSEXT_ERR_OK
}
