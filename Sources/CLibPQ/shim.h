#ifndef PRESIGND_CLIBPQ_SHIM_H
#define PRESIGND_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
