#ifndef PRESIGND_CFASTCGI_SHIM_H
#define PRESIGND_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#include <signal.h>
#include <string.h>

// glibc keeps sa_handler in a union that Swift cannot set directly; install a plain handler
// without SA_RESTART so a blocking accept()/read() returns EINTR and the serving loop can look
// at its shutdown flag.
static inline int presignd_install_signal_handler(int signo, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    return sigaction(signo, &action, NULL);
}

static inline int presignd_ignore_signal(int signo) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_IGN;
    sigemptyset(&action.sa_mask);
    return sigaction(signo, &action, NULL);
}

static inline int presignd_default_signal(int signo) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    return sigaction(signo, &action, NULL);
}
#endif
