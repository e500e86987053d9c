/* err.h - error codes of every dtt action: 0 or a negative DTT_ERR_*. */
#ifndef DTT_BASE_ERR_H
#define DTT_BASE_ERR_H

enum dtt_err {
	DTT_OK = 0,
	DTT_ERR_NOMEM = -1,     /* allocation failed */
	DTT_ERR_INVALID = -2,   /* bad argument from the caller */
	DTT_ERR_MALFORMED = -3, /* input bytes do not parse */
	DTT_ERR_TOOBIG = -4,    /* does not fit the buffer or a size limit */
	DTT_ERR_FULL = -5,      /* a bounded table or queue is full */
	DTT_ERR_CRYPTO = -6,    /* a primitive failed (bad point, all-zero DH, ...) */
	DTT_ERR_AUTH = -7,      /* authentication or signature check failed */
	DTT_ERR_NOTFOUND = -8,  /* no such item */
	DTT_ERR_TIMEOUT = -9,   /* deadline passed */
	DTT_ERR_IO = -10,       /* the environment could not send or read */
	DTT_ERR_STATE = -11,    /* not allowed in the current state */
	DTT_ERR_CANCELED = -12, /* the operation was canceled */
	DTT_ERR_MISMATCH = -13, /* well-formed but for another topic, minute or key */
	DTT_ERR_EXISTS = -14,   /* already present */
	DTT_ERR__COUNT = 15,
};

/* A static, human-readable name for an error code (also for 0 and unknown codes). */
const char *dtt_strerror(int err);

#endif
