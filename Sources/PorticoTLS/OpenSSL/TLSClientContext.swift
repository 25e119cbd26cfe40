internal import CPorticoOpenSSL

/// One client SSL_CTX for Portico's own outgoing TLS (the Kubernetes API server): TLS 1.2–1.3,
/// the peer verified against the given CA certificates, an optional client certificate.
///
/// The data plane never uses it; upstream connections to backends are plain HTTP, as
/// ingress-nginx's default `backend-protocol: HTTP`.
public final class TLSClientContext: @unchecked Sendable {
    // @unchecked: configured once in init, then only used to create SSL objects.
    let context: OpaquePointer
    let verifiesPeer: Bool
    /// Kept alive for as long as the SSL_CTX uses it.
    private let clientPair: CertificateKeyPair?

    /// - Parameters:
    ///   - trustedCertificatesPEM: CA certificates the server's chain must lead to; nil uses the
    ///     system's default trust store.
    ///   - clientCertificate: presented when the server asks for one (kubeconfig
    ///     `client-certificate-data`).
    ///   - verifyPeer: false only for kubeconfig `insecure-skip-tls-verify: true`.
    public init(trustedCertificatesPEM: [UInt8]?, clientCertificate: CertificateKeyPair? = nil, verifyPeer: Bool = true)
        throws(TLSError)
    {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.drain(.contextSetup) }
        self.context = context
        self.verifiesPeer = verifyPeer
        self.clientPair = clientCertificate
        guard CPorticoOpenSSL_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw TLSError.drain(.contextSetup, "protocol versions")
        }
        SSL_CTX_set_verify(context, verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        if let pem = trustedCertificatesPEM {
            let store = SSL_CTX_get_cert_store(context)
            var added = 0
            pem.withUnsafeBytes { bytes in
                guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return }
                defer { BIO_free(bio) }
                while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
                    if X509_STORE_add_cert(store, certificate) == 1 { added += 1 }
                    X509_free(certificate)
                }
            }
            ERR_clear_error()
            guard added > 0 else { throw TLSError(kind: .invalidPEM, detail: "no PEM CA certificate found") }
        } else if SSL_CTX_set_default_verify_paths(context) != 1 {
            throw TLSError.drain(.contextSetup, "loading the system trust store")
        }
        if let pair = clientCertificate {
            guard SSL_CTX_use_certificate(context, pair.leaf) == 1, SSL_CTX_use_PrivateKey(context, pair.key) == 1 else {
                throw TLSError.drain(.contextSetup, "using the client certificate")
            }
            for intermediate in pair.chain where CPorticoOpenSSL_SSL_CTX_add1_chain_cert(context, intermediate) != 1 {
                throw TLSError.drain(.contextSetup, "adding a client chain certificate")
            }
        }
    }

    deinit {
        SSL_CTX_free(self.context)
    }
}
