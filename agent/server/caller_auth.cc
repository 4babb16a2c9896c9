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

// "NAME: TOKEN" → NAME and where TOKEN starts; anything else is a token without a name (token
// files written before names existed).
std::pair<std::string, size_t> SplitName(const std::string& line) {
  auto colon = line.find(": ");
  if (colon == std::string::npos || colon == 0 || colon > 64) return {"", 0};
  std::string name = line.substr(0, colon);
  if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-") !=
      std::string::npos) {
    return {"", 0};
  }
  size_t start = line.find_first_not_of(" \t", colon + 1);
  return {name, start == std::string::npos ? line.size() : start};
}

}  // namespace

Result<CallerAuth> CallerAuth::Create(const std::string& token_file, bool mtls, const UnixPeers* unix_peers) {
  CallerAuth auth;
  auth.mtls_ = mtls;
  auth.unix_peers_ = unix_peers;
  if (!token_file.empty()) {
    std::ifstream in(token_file, std::ios::binary);
    if (!in) return InvalidArgument("auth.token-file " + token_file + ": cannot be read");
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      const std::string where = "auth.token-file " + token_file + ":" + std::to_string(number);
      auto [name, start] = SplitName(line);
      if (name.empty()) name = "line-" + std::to_string(number);
      if (line.size() - start < 16) {
        WipeString(line);
        return InvalidArgument(where + ": tokens must be at least 16 characters");
      }
      for (const auto& [other, token] : auth.tokens_) {
        if (other == name) {
          WipeString(line);
          return InvalidArgument(where + ": the name '" + name + "' is used twice");
        }
      }
      auth.tokens_.emplace_back(name, Secret(line.substr(start)));
      WipeString(line);
    }
    if (auth.tokens_.empty()) return InvalidArgument("auth.token-file " + token_file + ": holds no token");
  }
  return auth;
}

Result<std::string> CallerAuth::Identify(const grpc::ServerContext& ctx) const {
  if (unix_peers_ != nullptr) {
    if (auto unix_caller = unix_peers_->Identify(ctx.peer())) return *unix_caller;
  }
  if (IsUnixPeer(ctx)) return std::string("unix-socket");
  if (mtls_ && HasVerifiedCertificate(ctx)) {
    auto names = ctx.auth_context()->GetPeerIdentity();
    return "mtls:" + (names.empty() ? std::string("?") : std::string(names.front().data(), names.front().size()));
  }
  std::string presented = BearerToken(ctx);
  if (!presented.empty()) {
    Secret token(std::move(presented));
    // Every token is compared, so the time taken does not say which one nearly matched.
    const std::string* matched = nullptr;
    for (const auto& [name, t] : tokens_) {
      std::string_view want = t.reveal();
      if (want.size() == token.reveal().size() &&
          CRYPTO_memcmp(want.data(), token.reveal().data(), want.size()) == 0) {
        matched = &name;
      }
    }
    if (matched != nullptr) return "token:" + *matched;
    return Status(Code::kUnauthenticated, "the bearer token is not valid for this agent");
  }
  return Status(Code::kUnauthenticated, tokens_.empty() ? "a client certificate is required"
                                                        : "a bearer token (PROMOTE_AGENT_TOKEN) or client certificate "
                                                          "is required");
}

}  // namespace promote::server
