#ifndef PRESIGND_CCRYPTO_SHIM_H
#define PRESIGND_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/param_build.h>

#include <sys/random.h>
#include <errno.h>

// The kernel's random generator (getrandom(2), which Glibc's Swift module does not export):
// fills `buf` completely and returns 0, or returns -1 with errno set.
static inline int presignd_getrandom(void *buf, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom((char *)buf + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

// Macros Swift cannot import.
static inline int presignd_EVP_PKEY_CTX_set_rsa_padding(EVP_PKEY_CTX *ctx, int padding) {
    return EVP_PKEY_CTX_set_rsa_padding(ctx, padding);
}
static inline int presignd_EVP_PKEY_CTX_set_rsa_pss_saltlen(EVP_PKEY_CTX *ctx, int len) {
    return EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, len);
}
static inline BIO *presignd_BIO_new_mem_buf(const void *buf, int len) {
    return BIO_new_mem_buf(buf, len);
}
// EVP_PKEY_PUBLIC_KEY is an OR of other macros, which Swift does not import.
static inline int presignd_EVP_PKEY_PUBLIC_KEY(void) {
    return EVP_PKEY_PUBLIC_KEY;
}

// SigV4 hashes ~300-byte texts: EVP's per-call context bookkeeping costs several times the
// hashing itself there, so the signer uses the plain SHA256_CTX API (deprecated in OpenSSL 3
// but present, and still SHA-NI accelerated). A SHA256_CTX is a plain struct, so HMAC's inner
// and outer states can be precomputed once per key and copied.
#include <openssl/sha.h>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static inline int presignd_sha256_init(SHA256_CTX *c) { return SHA256_Init(c); }
static inline int presignd_sha256_update(SHA256_CTX *c, const void *data, size_t len) { return SHA256_Update(c, data, len); }
static inline int presignd_sha256_final(unsigned char *md, SHA256_CTX *c) { return SHA256_Final(md, c); }
#pragma GCC diagnostic pop
#endif
