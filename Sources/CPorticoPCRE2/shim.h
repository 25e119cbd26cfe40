#ifndef C_PORTICO_PCRE2_SHIM_H
#define C_PORTICO_PCRE2_SHIM_H
/* pcre2.h refuses to compile without a code unit width; the pcre2_* names are macros
   that expand to the _8 symbols. No logic lives here. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif
