#include "server/caller_auth.h"

#include <openssl/crypto.h>

#include <fstream>

namespace promote::server {
namespace {

bool IsUnixPeer(const grpc::ServerContext& ctx) { return ctx.peer().rfind("unix:", 0) == 0; }

bool HasVerifiedCertificate(const grpc::ServerContext& ctx) {
  auto auth = ctx.auth_context();
  return auth && auth->IsPeerAuthenticated();
}

std::string BearerToken(const grpc::ServerContext& ctx) {
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) return "";
  std::string value(it->second.data(), it->second.size());
  const std::string prefix = "Bearer ";
  if (value.size() <= prefix.size() || value.compare(0, prefix.size(), prefix) != 0) return "";
  return value.substr(prefix.size());
}

}  // namespace

Result<CallerAuth> CallerAuth::Create(const std::string& token_file, bool mtls) {
  CallerAuth auth;
  auth.mtls_ = mtls;
  if (!token_file.empty()) {
    std::ifstream in(token_file, std::ios::binary);
    if (!in) return InvalidArgument("auth.token_file " + token_file + ": cannot be read");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      if (line.size() < 16) {
        WipeString(line);
        return InvalidArgument("auth.token_file " + token_file + ": tokens must be at least 16 characters");
      }
      auth.tokens_.emplace_back(line);
      WipeString(line);
    }
    if (auth.tokens_.empty()) return InvalidArgument("auth.token_file " + token_file + ": holds no token");
  }
  return auth;
}

Status CallerAuth::Check(const grpc::ServerContext& ctx) const {
  if (IsUnixPeer(ctx)) return OkStatus();
  if (mtls_ && HasVerifiedCertificate(ctx)) return OkStatus();
  std::string presented = BearerToken(ctx);
  if (!presented.empty()) {
    Secret token(std::move(presented));
    for (const auto& t : tokens_) {
      std::string_view want = t.reveal();
      if (want.size() == token.reveal().size() &&
          CRYPTO_memcmp(want.data(), token.reveal().data(), want.size()) == 0) {
        return OkStatus();
      }
    }
    return Status(Code::kUnauthenticated, "the bearer token is not valid for this agent");
  }
  return Status(Code::kUnauthenticated, tokens_.empty() ? "a client certificate is required"
                                                        : "a bearer token (PROMOTE_AGENT_TOKEN) or client certificate "
                                                          "is required");
}

std::string CallerAuth::Describe(const grpc::ServerContext& ctx) const {
  if (IsUnixPeer(ctx)) return "unix-socket";
  if (mtls_ && HasVerifiedCertificate(ctx)) {
    auto auth = ctx.auth_context();
    auto names = auth->GetPeerIdentity();
    return "mtls:" + (names.empty() ? std::string("?") : std::string(names.front().data(), names.front().size()));
  }
  return "token";
}

}  // namespace promote::server
