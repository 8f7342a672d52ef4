#ifndef PRESIGND_CPOSIXSHIMS_SHIM_H
#define PRESIGND_CPOSIXSHIMS_SHIM_H
// The POSIX and Linux calls Swift cannot make as they are (unions, variadics, packed structs,
// mutable C globals), each wrapped once; no logic.
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/epoll.h>

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
    return presignd_install_signal_handler(signo, SIG_IGN);
}

static inline int presignd_default_signal(int signo) {
    return presignd_install_signal_handler(signo, SIG_DFL);
}

// prctl is variadic: ask the kernel to send `signo` to this worker when its supervisor dies,
// so no orphaned worker keeps serving an old configuration.
static inline int presignd_set_parent_death_signal(int signo) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signo, 0UL, 0UL, 0UL);
}
// `environ` is a mutable C global, which Swift 6 refuses to touch; CGI reads it once at start.
static inline char **presignd_environ(void) {
    extern char **environ;
    return environ;
}
// struct epoll_event is packed on x86_64, which Swift does not import faithfully: these two
// wrappers keep it on the C side. EPOLLEXCLUSIVE wakes one idle thread per new connection
// instead of every thread of every worker polling the shared listening socket.
static inline int presignd_epoll_add(int epoll_fd, int fd, int exclusive) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0);
    event.data.fd = fd;
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

// Waits for one event; returns the ready descriptor, or -1 on error or timeout.
static inline int presignd_epoll_wait_one(int epoll_fd, int timeout_ms) {
    struct epoll_event event;
    int ready = epoll_wait(epoll_fd, &event, 1, timeout_ms);
    return ready == 1 ? event.data.fd : -1;
}
#endif
