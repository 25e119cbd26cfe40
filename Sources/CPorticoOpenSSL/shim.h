#ifndef C_PORTICO_OPENSSL_SHIM_H
#define C_PORTICO_OPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/pem.h>

/* OpenSSL 3 exposes these as macros, which Swift cannot import. One-line wrappers only. */
static inline long CPorticoOpenSSL_SSL_CTX_set_tlsext_servername_callback(SSL_CTX *ctx, int (*cb)(SSL *, int *, void *)) {
    return SSL_CTX_set_tlsext_servername_callback(ctx, cb);
}
static inline long CPorticoOpenSSL_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}
static inline size_t CPorticoOpenSSL_BIO_pending(BIO *bio) {
    return BIO_pending(bio);
}
#endif
