#ifndef C_PORTICO_CRYPT_SHIM_H
#define C_PORTICO_CRYPT_SHIM_H
/* The system's crypt(3) (libxcrypt on Debian): the hashes nginx's auth_basic_user_file hands
   to crypt() — bcrypt $2y$/$2b$, sha512/sha256-crypt, md5-crypt $1$, yescrypt, DES. No logic. */
#include <crypt.h>
#endif
