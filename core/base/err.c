/* err.c - names of DTT_ERR_* codes. */
#include "err.h"

const char *dtt_strerror(int err)
{
	switch (err) {
	case DTT_OK: return "success";
	case DTT_ERR_NOMEM: return "out of memory";
	case DTT_ERR_INVALID: return "invalid argument";
	case DTT_ERR_MALFORMED: return "malformed input";
	case DTT_ERR_TOOBIG: return "too big";
	case DTT_ERR_FULL: return "table full";
	case DTT_ERR_CRYPTO: return "cryptographic operation failed";
	case DTT_ERR_AUTH: return "authentication failed";
	case DTT_ERR_NOTFOUND: return "not found";
	case DTT_ERR_TIMEOUT: return "timed out";
	case DTT_ERR_IO: return "i/o error";
	case DTT_ERR_STATE: return "invalid state";
	case DTT_ERR_CANCELED: return "canceled";
	case DTT_ERR_MISMATCH: return "mismatch";
	case DTT_ERR_EXISTS: return "already exists";
	default: return "unknown error";
	}
}
