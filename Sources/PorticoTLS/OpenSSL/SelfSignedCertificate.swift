internal import CPorticoOpenSSL

extension CertificateKeyPair {
    /// ingress-nginx's fake certificate: a self-signed ECDSA P-256 certificate,
    /// CN "Kubernetes Ingress Controller Fake Certificate", SAN `ingress.local`, generated at start
    /// and kept in memory, for SNI names no certificate covers when no default is configured.
    public static func generateFake() throws(TLSError) -> CertificateKeyPair {
        ERR_clear_error()
        guard let keyContext = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil) else { throw TLSError.drain(.contextSetup) }
        defer { EVP_PKEY_CTX_free(keyContext) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(keyContext) == 1,
            EVP_PKEY_CTX_set_ec_paramgen_curve_nid(keyContext, NID_X9_62_prime256v1) == 1,
            EVP_PKEY_keygen(keyContext, &key) == 1, let key
        else { throw TLSError.drain(.contextSetup, "generating the fake certificate's key") }
        guard let certificate = X509_new() else {
            EVP_PKEY_free(key)
            throw TLSError.drain(.contextSetup)
        }
        var serial = SystemRandomNumberGenerator()
        ASN1_INTEGER_set(X509_get_serialNumber(certificate), Int(serial.next() >> 2))
        X509_set_version(certificate, 2)
        X509_gmtime_adj(X509_getm_notBefore(certificate), 0)
        X509_gmtime_adj(X509_getm_notAfter(certificate), 365 * 24 * 3600)
        X509_set_pubkey(certificate, key)
        let name = X509_get_subject_name(certificate)
        let commonName = Array("Kubernetes Ingress Controller Fake Certificate".utf8)
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, Array("Acme Co".utf8), 7, -1, 0)
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, Int32(commonName.count), -1, 0)
        X509_set_issuer_name(certificate, name)
        if let extensionValue = X509V3_EXT_conf_nid(nil, nil, NID_subject_alt_name, "DNS:ingress.local") {
            X509_add_ext(certificate, extensionValue, -1)
            X509_EXTENSION_free(extensionValue)
        }
        guard X509_sign(certificate, key, EVP_sha256()) > 0 else {
            X509_free(certificate)
            EVP_PKEY_free(key)
            throw TLSError.drain(.contextSetup, "signing the fake certificate")
        }
        return CertificateKeyPair(leaf: certificate, key: key)
    }
}
