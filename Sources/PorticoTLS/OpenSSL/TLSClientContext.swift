internal import CPorticoOpenSSL

/// One client SSL_CTX for Portico's outgoing TLS — the Kubernetes API server, and upstreams with
/// `backend-protocol: HTTPS` (one per distinct `proxy-ssl-*` setting, built when the backend
/// is, never per connection): TLS 1.2–1.3, the peer verified against the given CA
/// certificates (or not at all, nginx's default `proxy_ssl_verify off`), an optional client
/// certificate.
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
    ///   - verifyDepth: the longest chain accepted (`proxy-ssl-verify-depth`); nil: OpenSSL's.
    ///   - versions: the lowest and highest protocol version (`proxy-ssl-protocols`, OpenSSL's
    ///     `TLS1_x_VERSION` numbers); nil: TLS 1.2 to 1.3.
    ///   - cipherList: OpenSSL's TLS 1.2 cipher list (`proxy-ssl-ciphers`); nil: OpenSSL's default.
    ///   - offersHTTP2: ALPN offers `h2` alone (`backend-protocol: GRPCS`; gRPC servers require it).
    public init(
        trustedCertificatesPEM: [UInt8]?, clientCertificate: CertificateKeyPair? = nil, verifyPeer: Bool = true, verifyDepth: Int? = nil,
        versions: (lowest: Int, highest: Int)? = nil, cipherList: String? = nil, offersHTTP2: Bool = false
    ) throws(TLSError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.drain(.contextSetup) }
        self.context = context
        self.verifiesPeer = verifyPeer
        self.clientPair = clientCertificate
        guard CPorticoOpenSSL_SSL_CTX_set_min_proto_version(context, Int32(versions?.lowest ?? Int(TLS1_2_VERSION))) == 1,
            CPorticoOpenSSL_SSL_CTX_set_max_proto_version(context, Int32(versions?.highest ?? Int(TLS1_3_VERSION))) == 1
        else {
            throw TLSError.drain(.contextSetup, "protocol versions")
        }
        if let cipherList, SSL_CTX_set_cipher_list(context, cipherList) != 1 {
            throw TLSError.drain(.contextSetup, "cipher list \(cipherList)")
        }
        if offersHTTP2 {
            let protocols: [UInt8] = [2] + ALPNProtocol.h2
            guard SSL_CTX_set_alpn_protos(context, protocols, UInt32(protocols.count)) == 0 else {
                throw TLSError.drain(.contextSetup, "ALPN h2")
            }
        }
        // Sessions are kept per server in a `TLSClientSessionSlot`, not in OpenSSL's cache.
        _ = CPorticoOpenSSL_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
        SSL_CTX_sess_set_new_cb(context, TLSClientSessionSlot.newSession)
        SSL_CTX_set_verify(context, verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        if let verifyDepth { SSL_CTX_set_verify_depth(context, Int32(verifyDepth)) }
        if !verifyPeer {
            // Nothing is checked: no trust store to load.
        } else if let pem = trustedCertificatesPEM {
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
