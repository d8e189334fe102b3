#include "services/lambda/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace stepfn::lambda {

namespace {

// Owns the spawn attribute objects for the length of one call.
class SpawnSetup {
 public:
  SpawnSetup() {
    attr_ok_ = posix_spawnattr_init(&attr_) == 0;
    actions_ok_ = posix_spawn_file_actions_init(&actions_) == 0;
  }
  ~SpawnSetup() {
    if (attr_ok_) posix_spawnattr_destroy(&attr_);
    if (actions_ok_) posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  bool ok() const { return attr_ok_ && actions_ok_; }
  posix_spawnattr_t* attr() { return &attr_; }
  posix_spawn_file_actions_t* actions() { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
  bool attr_ok_ = false;
  bool actions_ok_ = false;
};

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

// Reads a small /proc file into buf; returns the length or -1.
ssize_t ReadSmallFile(const char* path, char* buf, size_t size) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = ::read(fd, buf, size - 1);
  ::close(fd);
  if (n < 0) return -1;
  buf[n] = '\0';
  return n;
}

const long kPageKib = [] {
  long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? page / 1024 : 4;
}();

}  // namespace

Result<ChildProcess> SpawnProcess(const ProcessSpec& spec) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Unavailable(std::string("pipe2 failed: ") + std::strerror(errno));
  }
  SpawnSetup setup;
  if (!setup.ok()) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return Unavailable("posix_spawn setup failed");
  }
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  sigset_t all_signals;
  sigfillset(&all_signals);
  // A new session (so the worker leads its own process group), default signal dispositions
  // (the server ignores SIGPIPE; a child must not inherit that) and an empty signal mask.
  posix_spawnattr_setflags(setup.attr(),
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setsigdefault(setup.attr(), &all_signals);
  posix_spawnattr_setsigmask(setup.attr(), &empty_mask);
  posix_spawn_file_actions_addopen(setup.actions(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(setup.actions(), pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(setup.actions(), pipe_fds[1], 2);
  posix_spawn_file_actions_addclosefrom_np(setup.actions(), 3);
  if (!spec.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(setup.actions(), spec.cwd.c_str());
  }
  std::vector<char*> argv = CStrings(spec.argv);
  std::vector<char*> envp = CStrings(spec.env);
  pid_t pid = -1;
  int rc =
      posix_spawn(&pid, spec.path.c_str(), setup.actions(), setup.attr(), argv.data(), envp.data());
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    std::string what = spec.path + ": " + std::strerror(rc);
    if (rc == ENOENT || rc == ENOTDIR) return NotFound(what);
    if (rc == EACCES || rc == ENOEXEC || rc == EPERM || rc == EISDIR) {
      return FailedPrecondition(what);
    }
    return Unavailable(what);
  }
  int flags = ::fcntl(pipe_fds[0], F_GETFL);
  ::fcntl(pipe_fds[0], F_SETFL, flags | O_NONBLOCK);
  ChildProcess child;
  child.pid = pid;
  child.output_fd = pipe_fds[0];
  child.pidfd = PidfdOpen(pid);
  if (child.pidfd >= 0) ::fcntl(child.pidfd, F_SETFD, FD_CLOEXEC);
  return child;
}

void KillProcessGroup(pid_t pgid) {
  if (pgid > 1) ::kill(-pgid, SIGKILL);
}

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    const char* name = nullptr;
    switch (sig) {
      case SIGKILL:
        name = "killed";
        break;
      case SIGSEGV:
        name = "segmentation fault";
        break;
      case SIGABRT:
        name = "aborted";
        break;
      case SIGTERM:
        name = "terminated";
        break;
      case SIGBUS:
        name = "bus error";
        break;
      case SIGFPE:
        name = "floating point exception";
        break;
      case SIGILL:
        name = "illegal instruction";
        break;
      case SIGINT:
        name = "interrupt";
        break;
      case SIGPIPE:
        name = "broken pipe";
        break;
      default:
        break;
    }
    std::string out = name ? std::string("signal: ") + name : "signal " + std::to_string(sig);
    if (WCOREDUMP(wait_status)) out += " (core dumped)";
    return out;
  }
  return "exited";
}

int64_t ResidentKib(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/statm", static_cast<int>(pid));
  char buf[256];
  if (ReadSmallFile(path, buf, sizeof(buf)) <= 0) return -1;
  long long size = 0;
  long long resident = 0;
  if (std::sscanf(buf, "%lld %lld", &size, &resident) != 2) return -1;
  return resident * kPageKib;
}

void SessionResidentKib(std::unordered_map<pid_t, int64_t>* sessions) {
  for (auto& [sid, kib] : *sessions) kib = 0;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return;
  char path[320];
  char buf[1024];
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::snprintf(path, sizeof(path), "/proc/%s/stat", entry->d_name);
    ssize_t n = ReadSmallFile(path, buf, sizeof(buf));
    if (n <= 0) continue;
    // "pid (comm) state ppid pgrp session ... rss(24th)": comm may hold spaces and ')'.
    const char* close_paren = std::strrchr(buf, ')');
    if (close_paren == nullptr) continue;
    const char* p = close_paren + 2;  // the state field (3rd)
    int field = 3;
    long long session = -1;
    long long rss_pages = -1;
    while (*p != '\0' && field <= 24) {
      if (field == 6) session = std::strtoll(p, nullptr, 10);
      if (field == 24) rss_pages = std::strtoll(p, nullptr, 10);
      const char* space = std::strchr(p, ' ');
      if (space == nullptr) break;
      p = space + 1;
      ++field;
    }
    if (session <= 0 || rss_pages < 0) continue;
    auto it = sessions->find(static_cast<pid_t>(session));
    if (it != sessions->end()) it->second += rss_pages * kPageKib;
  }
  ::closedir(dir);
}

std::string FindOnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path_env = std::getenv("PATH");
  std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return "";
}

Result<std::string> RunAndCapture(const std::vector<std::string>& argv, int timeout_ms) {
  if (argv.empty()) return InvalidArgument("RunAndCapture: no command");
  std::string path = FindOnPath(argv[0]);
  if (path.empty()) return Unavailable(argv[0] + " is not on PATH");
  ProcessSpec spec;
  spec.path = path;
  spec.argv = argv;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) spec.env.emplace_back(*e);
  ASSIGN_OR_RETURN(ChildProcess child, SpawnProcess(spec));
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool eof = false;
  while (!eof) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    pollfd pfd{child.output_fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char buf[4096];
    ssize_t n = ::read(child.output_fd, buf, sizeof(buf));
    if (n > 0) {
      if (out.size() < 64 * 1024) out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      eof = true;
    }
  }
  if (!eof) KillProcessGroup(child.pid);
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::close(child.output_fd);
  if (child.pidfd >= 0) ::close(child.pidfd);
  if (!eof) return Unavailable(argv[0] + " did not finish in time");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Unavailable(argv[0] + " failed: " + DescribeExit(status));
  }
  return out;
}

}  // namespace stepfn::lambda
