// The agent's unix sockets, accepted by the agent itself rather than by gRPC, so the kernel's word
// on who connected (SO_PEERCRED: uid and gid) is known for every call and can be logged as the
// caller. Each accepted connection is handed to the gRPC server, which names its peer "fd:N";
// UnixPeers maps that name back to the credentials.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "util/status.h"

namespace promote::server {

// Credentials of the connections the UnixListeners accepted, by descriptor. Thread-safe. An entry
// is replaced when its descriptor number is reused by a new connection; until then the old
// connection's calls (which keep the descriptor open) still see their own.
class UnixPeers {
 public:
  void Set(int fd, uid_t uid, gid_t gid);
  // "unix:uid=1000,gid=1000" for a gRPC peer "fd:N" a UnixListener accepted; nullopt otherwise.
  std::optional<std::string> Identify(const std::string& grpc_peer) const;

 private:
  struct Credentials {
    uid_t uid;
    gid_t gid;
  };
  mutable std::mutex mu_;
  std::map<int, Credentials> by_fd_;
};

class UnixListener {
 public:
  // Binds and listens on `path` with permissions `mode` (and group `group` unless -1). A socket
  // left there by an agent that did not shut down cleanly is replaced; anything else is an error.
  // `name` is the address as agent.yaml wrote it, for messages.
  static Result<std::unique_ptr<UnixListener>> Bind(const std::string& path, int mode, int group,
                                                    const std::string& name);
  // Serves a listening unix socket the agent inherited (systemd socket activation): `fd` must be
  // a listening AF_UNIX stream socket. Its file belongs to whoever made it (the .socket unit),
  // so the destructor closes the descriptor and leaves the file.
  static Result<std::unique_ptr<UnixListener>> Adopt(int fd, const std::string& name);
  // The path a listening AF_UNIX stream socket is bound to; an error for any other descriptor.
  static Result<std::string> BoundPath(int fd);
  ~UnixListener();  // stops accepting, closes the socket and removes the file it bound
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;

  // Accepts on a thread of its own, recording each peer in `peers` and handing the connection to
  // `server` (started, outliving this listener's Stop()).
  void Start(grpc::Server* server, UnixPeers* peers);
  // Stops accepting; connections already handed over stay with the server. Idempotent.
  void Stop();

 private:
  UnixListener() = default;
  void AcceptLoop(grpc::Server* server, UnixPeers* peers);

  Status MakeWakePipe(const std::string& name);

  std::string path_;  // removed by the destructor; empty for an adopted socket
  int listen_fd_ = -1;
  int wake_read_ = -1, wake_write_ = -1;  // a byte here ends the accept loop
  std::thread thread_;
};

}  // namespace promote::server
