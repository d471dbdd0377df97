/*
 * LD_PRELOAD shim for BlueZ's btvirt on kernels without AF_ALG (e.g. Firecracker microVMs).
 *
 * btvirt's LE controllers call bt_crypto_new(), which opens AF_ALG sockets for AES/CMAC; when that fails
 * every LE client is dropped right after accept. The emulator tests never pair, so the crypto is never
 * used: handing out /dev/null descriptors for AF_ALG and letting bind/setsockopt/accept on them succeed is
 * enough for the controllers to come up. Every other socket call passes through unchanged.
 * Recipe: /work/shared/research/hci-emulator.md §2. Written for blemesh; compiled at test time.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif

/* btvirt opens a handful of crypto sockets per controller; 1024 covers any fd it can get. */
#define MAX_FAKE_FD 1024
static unsigned char fake_fd[MAX_FAKE_FD];

static int is_fake (int fd) { return fd >= 0 && fd < MAX_FAKE_FD && fake_fd[fd]; }

static int fake_descriptor (void) {
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd >= 0 && fd < MAX_FAKE_FD) fake_fd[fd] = 1;
  return fd;
}

int socket (int domain, int type, int protocol) {
  static int (*real_socket)(int, int, int);
  if (domain == AF_ALG) return fake_descriptor();
  if (!real_socket) real_socket = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
  return real_socket(domain, type, protocol);
}

int bind (int fd, const struct sockaddr *addr, socklen_t len) {
  static int (*real_bind)(int, const struct sockaddr *, socklen_t);
  if (is_fake(fd)) return 0;
  if (!real_bind) real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
  return real_bind(fd, addr, len);
}

int setsockopt (int fd, int level, int name, const void *value, socklen_t len) {
  static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
  if (is_fake(fd)) return 0;
  if (!real_setsockopt) real_setsockopt = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
  return real_setsockopt(fd, level, name, value, len);
}

int accept (int fd, struct sockaddr *addr, socklen_t *len) {
  static int (*real_accept)(int, struct sockaddr *, socklen_t *);
  if (is_fake(fd)) return fake_descriptor();
  if (!real_accept) real_accept = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
  return real_accept(fd, addr, len);
}

int accept4 (int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
  if (is_fake(fd)) return fake_descriptor();
  if (!real_accept4) real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
  return real_accept4(fd, addr, len, flags);
}

int close (int fd) {
  static int (*real_close)(int);
  if (fd >= 0 && fd < MAX_FAKE_FD) fake_fd[fd] = 0;
  if (!real_close) real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
  return real_close(fd);
}
