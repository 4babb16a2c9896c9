// Who may call the agent, and who each caller is. Calls over the unix socket are trusted: its file
// permissions decide who can connect, and the kernel says who did (uid, gid). Calls over TCP must present a client certificate the
// configured client CA signed (checked by TLS) or a bearer token from the token file
// ("authorization: Bearer T"). Tokens are compared in constant time and never logged; each has a
// name for the audit log.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "server/unix_listener.h"
#include "util/secret.h"
#include "util/status.h"

namespace promote::server {

class CallerAuth {
 public:
  // `token_file`: one token per line, optionally named ("ci-payments: TOKEN"; a name is letters,
  // digits and ._@- followed by ": "); an unnamed token is called "line-N" after its line. Blank
  // lines and #comments are ignored. Empty: no tokens. `mtls`: TCP listeners verify client
  // certificates. `unix_peers`: the credentials of unix socket callers (may be null: then they
  // are "unix-socket").
  static Result<CallerAuth> Create(const std::string& token_file, bool mtls, const UnixPeers* unix_peers);

  // The caller's identity for the audit log — "unix:uid=N,gid=M", "mtls:<subject>",
  // "token:<name>" —
  // or kUnauthenticated saying what was missing (never echoing what was sent).
  Result<std::string> Identify(const grpc::ServerContext& ctx) const;

 private:
  std::vector<std::pair<std::string, Secret>> tokens_;  // name, token
  bool mtls_ = false;
  const UnixPeers* unix_peers_ = nullptr;
};

}  // namespace promote::server
