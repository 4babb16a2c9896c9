// RegistryAuth: how to authenticate to one registry. It pings /v2/ once to learn the scheme
// (none, Basic, or the Bearer token flow), fetches tokens for exactly the scopes a request
// needs ("repository:shop/app:pull", "repository:shop/app:pull,push"), caches them per scope
// set until shortly before they expire, and forgets them when the registry says 401.
// Thread-safe: one instance per registry host, shared by all requests.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "registry/credentials.h"
#include "registry/http_client.h"
#include "registry/request_observer.h"
#include "registry/www_authenticate.h"
#include "util/secret.h"
#include "util/status.h"

namespace promote::registry {

using Scopes = std::vector<std::string>;

// "repository:<repo>:<actions>": the scope strings of the Docker token protocol.
std::string RepositoryScope(const std::string& repository, const std::string& actions);

class RegistryAuth {
 public:
  // `credentials` are the resolved credentials for this registry (nullopt = anonymous).
  // `observer` (may be null; must outlive this) is told of token lookups and token requests.
  RegistryAuth(std::string registry, HttpClient* http, std::optional<Credentials> credentials,
               RequestObserver* observer = nullptr);

  // Learns the auth scheme from a 401 challenge header value (or "" for no auth) of the registry
  // at `registry_url` ("https://host:port"). A Bearer realm that may not receive the credentials
  // (RealmAllowed in origin.h: plain HTTP to another origin off loopback) is kRegistryError
  // naming the realm, and nothing is configured.
  Status Configure(const std::string& www_authenticate, const std::string& registry_url);

  // The Authorization header value for a request needing `scopes` ("" when anonymous).
  // For Bearer this may fetch a token. Errors: kUnauthenticated when the token service
  // rejects the credentials, kUnavailable when it cannot be reached.
  Result<Secret> Authorization(const Scopes& scopes, const CancelToken* cancel);

  // Drops the cached token for these scopes (after a 401), so the next call fetches anew.
  void Invalidate(const Scopes& scopes);

  // Number of tokens fetched so far (for tests and the JSON result).
  int tokens_fetched() const;

  // Who the requests speak as, for messages about refused access: "as user 'ci-bot'",
  // "with an identity token", "with a registry token" or "anonymously". Never a secret.
  std::string Account() const;

 private:
  struct CachedToken {
    Secret token;
    std::chrono::steady_clock::time_point expires;
  };
  Result<CachedToken> FetchToken(const Scopes& scopes, const CancelToken* cancel);
  // The token a token service's 200 answer carries (the body is the caller's to wipe).
  Result<CachedToken> ReadTokenResponse(const std::string& body) const;
  static std::string ScopeKey(const Scopes& scopes);

  const std::string registry_;
  HttpClient* const http_;
  const std::optional<Credentials> credentials_;
  RequestObserver* const observer_;

  mutable std::mutex mu_;
  enum class Scheme { kNone, kBasic, kBearer } scheme_ = Scheme::kNone;
  std::string realm_;
  std::string service_;
  std::map<std::string, CachedToken> tokens_;
  int tokens_fetched_ = 0;
};

}  // namespace promote::registry
