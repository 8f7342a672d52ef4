#ifndef PRESIGND_CLIBPQ_SHIM_H
#define PRESIGND_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#include <postgres_ext.h>

/* PG_DIAG_* are character-literal macros, which Swift does not import. */
static inline int presignd_pg_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int presignd_pg_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
static inline int presignd_pg_diag_severity_nonlocalized(void) { return PG_DIAG_SEVERITY_NONLOCALIZED; }
#endif
