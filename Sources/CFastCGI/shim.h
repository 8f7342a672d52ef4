#ifndef PRESIGND_CFASTCGI_SHIM_H
#define PRESIGND_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#endif
