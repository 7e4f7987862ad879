/* escape_probe: what the escape suite runs inside containers (static; bind-mounted read-only).
 * Each mode tries one thing a container must not be able to do and prints what happened:
 * "ok" when the attempt worked, else the errno name. Exit status 0 = the attempt worked.
 *
 *   fds [PID...]        lists descriptors above 2 of itself and of each PID ("clean" if none)
 *   open-read PATH      open(O_RDONLY) and read one byte ("empty" when there is none)
 *   open-write PATH     open(O_WRONLY), no O_TRUNC: nothing is ever written
 *   reopen-write PATH   open(O_PATH), then open /proc/self/fd/N for writing (CVE-2019-5736)
 *   race-exe INO SECS   for SECS seconds, grabs /proc/PID/exe (O_PATH) of every process whose
 *                       exe has inode INO and tries to reopen it for writing, then again once
 *                       they are gone (the CVE-2019-5736 exploit); prints "captured=N writable=W"
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int result(int ok) {
  if (ok) {
    puts("ok");
    return 0;
  }
  const char* name = strerrorname_np(errno);
  puts(name ? name : "error");
  return 1;
}

static int list_fds(const char* pid) {
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%s/fd", pid);
  DIR* d = opendir(dir);
  if (!d) {
    printf("%s: %s\n", dir, strerrorname_np(errno));
    return 1;
  }
  int leaked = 0, own = dirfd(d);
  struct dirent* e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd <= 2 || (strcmp(pid, "self") == 0 && fd == own)) continue;
    char link[512], target[4096];
    snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
    ssize_t n = readlink(link, target, sizeof target - 1);
    target[n > 0 ? n : 0] = '\0';
    printf("leaked %s fd %d -> %s\n", pid, fd, target);
    leaked = 1;
  }
  closedir(d);
  return leaked;
}

static int reopen_for_write(int fd) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int w = open(path, O_WRONLY | O_CLOEXEC);
  if (w >= 0) close(w);
  return w >= 0;
}

static int last_pid(void) {
  char buf[32] = {0};
  int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (read(fd, buf, sizeof buf - 1) < 0) buf[0] = '\0';
    close(fd);
  }
  return atoi(buf);
}

/* Watches the newest pid of this pid namespace (each exec makes one): the exec'd process is
 * non-dumpable until its execve, then runs berth's binary for a moment. */
static int race_exe(unsigned long ino, int secs) {
  int kept[256], n = 0, writable = 0, seen = 0;
  time_t end = time(NULL) + secs;
  while (time(NULL) < end && n < 256) {
    int pid = last_pid();
    if (pid == seen || pid == getpid()) continue;
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", pid);
    int fd = open(link, O_PATH | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_ino == ino) {
      kept[n++] = fd;
      writable += reopen_for_write(fd);
      seen = pid;
    } else {
      close(fd);
    }
  }
  sleep(1);  /* the captured processes are gone now: nothing holds the binary busy */
  const char* last = "none";
  for (int i = 0; i < n; ++i) {
    if (reopen_for_write(kept[i])) ++writable;
    else last = strerrorname_np(errno);
  }
  printf("captured=%d writable=%d last=%s\n", n, writable, last);
  return writable ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* mode = argv[1];
  if (strcmp(mode, "fds") == 0) {
    int leaked = list_fds("self");
    for (int i = 2; i < argc; ++i) leaked |= list_fds(argv[i]);
    if (!leaked) puts("clean");
    return leaked;
  }
  if (strcmp(mode, "race-exe") == 0 && argc == 4) return race_exe(strtoul(argv[2], NULL, 10), atoi(argv[3]));
  if (argc < 3) return 2;
  if (strcmp(mode, "open-read") == 0) {
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    char c;
    ssize_t n = fd >= 0 ? read(fd, &c, 1) : -1;
    if (n == 0) {  /* a masked path: /dev/null bound over it */
      puts("empty");
      return 1;
    }
    return result(n > 0);
  }
  if (strcmp(mode, "open-write") == 0) return result(open(argv[2], O_WRONLY | O_CLOEXEC) >= 0);
  if (strcmp(mode, "reopen-write") == 0) {
    int fd = open(argv[2], O_PATH | O_CLOEXEC);
    if (fd < 0) return result(0);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return result(open(path, O_WRONLY | O_CLOEXEC) >= 0);
  }
  return 2;
}
