// Who may call the agent. Calls over the unix socket are trusted: its file permissions decide
// who can connect. Calls over TCP must present a client certificate the configured client CA
// signed (checked by TLS) or a bearer token from the token file ("authorization: Bearer T").
// Tokens are compared in constant time and never logged.
#pragma once

#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "util/secret.h"
#include "util/status.h"

namespace promote::server {

class CallerAuth {
 public:
  // `token_file`: one token per line (blank lines and #comments ignored); empty: no tokens.
  // `mtls`: TCP listeners verify client certificates.
  static Result<CallerAuth> Create(const std::string& token_file, bool mtls);

  // OK, or kUnauthenticated saying what was missing (never echoing what was sent).
  Status Check(const grpc::ServerContext& ctx) const;

  // How the caller authenticated, for the log: "unix-socket", "mtls:<subject>", "token".
  std::string Describe(const grpc::ServerContext& ctx) const;

 private:
  std::vector<Secret> tokens_;
  bool mtls_ = false;
};

}  // namespace promote::server
