#include "server/unix_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include <grpcpp/server_posix.h>

namespace promote::server {

void UnixPeers::Set(int fd, uid_t uid, gid_t gid) {
  std::lock_guard lock(mu_);
  by_fd_[fd] = {uid, gid};
}

std::optional<std::string> UnixPeers::Identify(const std::string& grpc_peer) const {
  if (grpc_peer.rfind("fd:", 0) != 0) return std::nullopt;
  const std::string number = grpc_peer.substr(3);
  if (number.empty() || number.size() > 9 || number.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  std::lock_guard lock(mu_);
  auto it = by_fd_.find(std::stoi(number));
  if (it == by_fd_.end()) return std::nullopt;
  return "unix:uid=" + std::to_string(it->second.uid) + ",gid=" + std::to_string(it->second.gid);
}

Result<std::unique_ptr<UnixListener>> UnixListener::Bind(const std::string& path, int mode, int group,
                                                         const std::string& name) {
  std::unique_ptr<UnixListener> l(new UnixListener());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return InvalidArgument("listen " + name + ": the path is too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    // A socket left by an agent that did not shut down cleanly; anything else is not ours.
    if (!S_ISSOCK(st.st_mode)) return InvalidArgument("listen " + name + ": exists and is not a socket");
    ::unlink(path.c_str());
  }
  l->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (l->listen_fd_ < 0) return Unavailable("listen " + name + ": " + std::strerror(errno));
  // The socket is created with the umask's permissions; narrow it so no moment exists where
  // others could connect, then set exactly `mode`.
  mode_t old_umask = ::umask(static_cast<mode_t>(~mode & 0777));
  int bound = ::bind(l->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int bind_errno = errno;
  ::umask(old_umask);
  if (bound != 0) return Unavailable("listen " + name + ": cannot bind: " + std::strerror(bind_errno));
  l->path_ = path;  // from here on, the destructor removes it
  if (group >= 0 && ::chown(path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(group)) != 0) {
    return InvalidArgument("listen " + name + ": cannot give it to socket-group " + std::to_string(group) +
                           " (the agent must be root or a member)");
  }
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    return Internal("listen " + name + ": cannot set its permissions");
  }
  if (::listen(l->listen_fd_, SOMAXCONN) != 0) return Unavailable("listen " + name + ": " + std::strerror(errno));
  PROMOTE_RETURN_IF_ERROR(l->MakeWakePipe(name));
  return l;
}

Result<std::string> UnixListener::BoundPath(int fd) {
  int domain = 0, type = 0, listening = 0;
  socklen_t len = sizeof domain;
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX) {
    return InvalidArgument("descriptor " + std::to_string(fd) + " is not a unix socket");
  }
  len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
    return InvalidArgument("descriptor " + std::to_string(fd) + " is not a stream socket");
  }
  len = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening == 0) {
    return InvalidArgument("descriptor " + std::to_string(fd) + " is not listening");
  }
  sockaddr_un addr{};
  socklen_t addr_len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0 ||
      addr_len <= offsetof(sockaddr_un, sun_path) || addr.sun_path[0] == '\0') {
    return InvalidArgument("descriptor " + std::to_string(fd) + " is not bound to a path");
  }
  return std::string(addr.sun_path, strnlen(addr.sun_path, addr_len - offsetof(sockaddr_un, sun_path)));
}

Result<std::unique_ptr<UnixListener>> UnixListener::Adopt(int fd, const std::string& name) {
  PROMOTE_RETURN_IF_ERROR(BoundPath(fd).status());
  // accept4 below must not block: the accept loop polls first, and a connection that went away
  // between poll and accept would otherwise stall it.
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    return Internal("listen " + name + ": cannot set the inherited socket's flags");
  }
  std::unique_ptr<UnixListener> l(new UnixListener());
  l->listen_fd_ = fd;
  PROMOTE_RETURN_IF_ERROR(l->MakeWakePipe(name));
  return l;
}

Status UnixListener::MakeWakePipe(const std::string& name) {
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) return Internal("listen " + name + ": cannot make a pipe");
  wake_read_ = wake[0];
  wake_write_ = wake[1];
  return OkStatus();
}

UnixListener::~UnixListener() {
  Stop();
  for (int fd : {listen_fd_, wake_read_, wake_write_}) {
    if (fd >= 0) ::close(fd);
  }
  if (!path_.empty()) ::unlink(path_.c_str());
}

void UnixListener::Start(grpc::Server* server, UnixPeers* peers) {
  thread_ = std::thread([this, server, peers] { AcceptLoop(server, peers); });
}

void UnixListener::Stop() {
  if (!thread_.joinable()) return;
  char byte = 1;
  ssize_t ignored = ::write(wake_write_, &byte, 1);
  (void)ignored;
  thread_.join();
}

void UnixListener::AcceptLoop(grpc::Server* server, UnixPeers* peers) {
  for (;;) {
    pollfd fds[2] = {{wake_read_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) return;
    if (fds[1].revents == 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: the connection waits in the backlog; try again shortly, or stop.
        pollfd wake = {wake_read_, POLLIN, 0};
        if (::poll(&wake, 1, 100) > 0) return;
      }
      continue;  // EAGAIN, ECONNABORTED, EINTR: the next one
    }
    struct ucred cred {};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      ::close(fd);  // a caller the agent cannot name is not served
      continue;
    }
    peers->Set(fd, cred.uid, cred.gid);
    grpc::AddInsecureChannelFromFd(server, fd);
  }
}

}  // namespace promote::server
