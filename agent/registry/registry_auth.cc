#include "registry/registry_auth.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "registry/origin.h"
#include "registry/registry_error.h"
#include "registry/retry.h"
#include "registry/url.h"
#include "util/base64.h"
#include "util/cancel.h"
#include "util/json_nesting.h"

namespace promote::registry {

std::string RepositoryScope(const std::string& repository, const std::string& actions) {
  return "repository:" + repository + ":" + actions;
}

RegistryAuth::RegistryAuth(std::string registry, HttpClient* http, std::optional<Credentials> credentials,
                           RequestObserver* observer)
    : registry_(std::move(registry)),
      http_(http),
      credentials_(std::move(credentials)),
      observer_(observer) {}

Status RegistryAuth::Configure(const std::string& www_authenticate, const std::string& registry_url) {
  std::lock_guard lock(mu_);
  if (www_authenticate.empty()) {
    scheme_ = Scheme::kNone;
    return OkStatus();
  }
  PROMOTE_ASSIGN_OR_RETURN(auto challenges, ParseWwwAuthenticate(www_authenticate));
  for (const auto& c : challenges) {
    if (c.scheme == "bearer") {
      std::string realm = c.Param("realm");
      auto realm_origin = ParseOrigin(realm);
      if (!realm_origin.ok()) {
        return RegistryError("registry " + registry_ + ": bearer realm '" + UrlForMessages(realm) +
                             "' is not an http(s) URL");
      }
      PROMOTE_ASSIGN_OR_RETURN(Origin registry_origin, ParseOrigin(registry_url));
      if (!RealmAllowed(registry_origin, *realm_origin)) {
        return RegistryError("registry " + registry_ + ": its token service " + UrlForMessages(realm) +
                             " is plain HTTP on another origin; refused: credentials go to a token service on "
                             "another origin only over HTTPS (plain HTTP only from a loopback registry to a loopback "
                             "token service); the registry's operator must serve the realm over HTTPS");
      }
      scheme_ = Scheme::kBearer;
      realm_ = realm;
      service_ = c.Param("service");
      return OkStatus();
    }
  }
  for (const auto& c : challenges) {
    if (c.scheme == "basic") {
      scheme_ = Scheme::kBasic;
      return OkStatus();
    }
  }
  return RegistryError("registry " + registry_ + ": unsupported authentication scheme '" + challenges[0].scheme + "'");
}

std::string RegistryAuth::ScopeKey(const Scopes& scopes) {
  Scopes sorted = scopes;
  std::sort(sorted.begin(), sorted.end());
  std::string key;
  for (const auto& s : sorted) key += s + " ";
  return key;
}

Result<Secret> RegistryAuth::Authorization(const Scopes& scopes, const CancelToken* cancel) {
  Scheme scheme;
  {
    std::lock_guard lock(mu_);
    scheme = scheme_;
  }
  if (scheme == Scheme::kNone) return Secret();
  if (scheme == Scheme::kBasic) {
    if (!credentials_ || credentials_->username.empty()) {
      return Status(Code::kUnauthenticated, "registry " + registry_ +
                                                " requires a login and no credentials were found for it "
                                                "(docker config, credential helper or explicit credentials)");
    }
    std::string pair = credentials_->username + ":" + std::string(credentials_->password.reveal());
    Secret header("Basic " + Base64Encode(pair));
    WipeString(pair);
    return header;
  }
  if (credentials_ && !credentials_->registry_token.empty()) {
    return Secret("Bearer " + std::string(credentials_->registry_token.reveal()));
  }
  std::string key = ScopeKey(scopes);
  {
    std::lock_guard lock(mu_);
    auto it = tokens_.find(key);
    bool cached = it != tokens_.end() && it->second.expires > std::chrono::steady_clock::now();
    if (observer_ != nullptr) observer_->OnTokenLookup(registry_, cached);
    if (cached) {
      return Secret("Bearer " + std::string(it->second.token.reveal()));
    }
  }
  PROMOTE_ASSIGN_OR_RETURN(CachedToken fresh, FetchToken(scopes, cancel));
  Secret header("Bearer " + std::string(fresh.token.reveal()));
  std::lock_guard lock(mu_);
  // Expired tokens are dropped as new ones arrive: an agent meets ever new repositories (scopes),
  // and the cache must not grow with all it ever saw.
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    it = it->second.expires <= std::chrono::steady_clock::now() ? tokens_.erase(it) : std::next(it);
  }
  tokens_[key] = std::move(fresh);
  ++tokens_fetched_;
  return header;
}

void RegistryAuth::Invalidate(const Scopes& scopes) {
  std::lock_guard lock(mu_);
  tokens_.erase(ScopeKey(scopes));
}

int RegistryAuth::tokens_fetched() const {
  std::lock_guard lock(mu_);
  return tokens_fetched_;
}

Result<RegistryAuth::CachedToken> RegistryAuth::FetchToken(const Scopes& scopes, const CancelToken* cancel) {
  std::string realm, service;
  {
    std::lock_guard lock(mu_);
    realm = realm_;
    service = service_;
  }
  HttpRequest req;
  std::string form;
  std::string query;
  if (!service.empty()) query += "service=" + UrlEncode(service);
  for (const auto& s : scopes) query += (query.empty() ? "" : "&") + std::string("scope=") + UrlEncode(s);

  if (credentials_ && !credentials_->identity_token.empty()) {
    // OAuth2 refresh-token grant, as docker does with an identity token.
    req.method = "POST";
    req.url = realm;
    form = "grant_type=refresh_token&client_id=promote&refresh_token=" +
           UrlEncode(std::string(credentials_->identity_token.reveal())) + (query.empty() ? "" : "&" + query);
    req.body = form;
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  } else {
    req.url = realm + (realm.find('?') == std::string::npos ? "?" : "&") + query;
    if (credentials_ && !credentials_->username.empty()) {
      std::string pair = credentials_->username + ":" + std::string(credentials_->password.reveal());
      req.headers.push_back("Authorization: Basic " + Base64Encode(pair));
      WipeString(pair);
    }
  }
  req.max_body_bytes = 1024 * 1024;
  // A token service hiccup is as transient as a registry's: connection errors, 408, 429, 5xx and
  // a 200 whose body arrived garbled are retried with backoff (honouring Retry-After), like every
  // other registry request. Refusals (401/403) and other answers are final.
  RetryPolicy retry;
  Result<CachedToken> out = Status(Code::kInternal, "token service for registry " + registry_ + ": not asked");
  for (int attempt = 1;; ++attempt) {
    std::optional<std::chrono::milliseconds> retry_after;
    bool transient = false;
    Result<HttpResponse> resp = http_->Do(req, cancel);
    if (observer_ != nullptr) observer_->OnRequest({registry_, resp.ok() ? resp->status : 0, attempt > 1});
    if (!resp.ok()) {
      out = resp.status().WithContext("token service for " + registry_);
      transient = resp.status().code() == Code::kUnavailable;
    } else if (resp->status == 200) {
      out = ReadTokenResponse(resp->body);
      transient = !out.ok();
    } else if (resp->status == 401 || resp->status == 403) {
      std::string who = credentials_ && !credentials_->username.empty() ? "user '" + credentials_->username + "'"
                                                                          : "anonymous access";
      out = Status(Code::kUnauthenticated, "token service for registry " + registry_ + " refused " + who +
                                               " (HTTP " + std::to_string(resp->status) + "); check the credentials");
    } else {
      out = RegistryErrorFromResponse(*resp, "token service for registry " + registry_);
      transient = resp->status == 408 || resp->status == 429 || resp->status >= 500;
      retry_after = ParseRetryAfter(resp->Header("retry-after"));
    }
    if (resp.ok()) WipeString(resp->body);
    if (out.ok() || !transient || attempt >= retry.max_attempts) break;
    SleepUnlessCancelled(retry_after ? std::min(*retry_after, retry.max_retry_after) : retry.Backoff(attempt), cancel);
    if (cancel != nullptr && cancel->cancelled()) {
      out = Status(Code::kCancelled, "cancelled");
      break;
    }
  }
  WipeString(form);
  for (auto& h : req.headers) WipeString(h);
  return out;
}

Result<RegistryAuth::CachedToken> RegistryAuth::ReadTokenResponse(const std::string& body) const {
  // The token service is the registry's to choose: its answer is bounded (1 MiB, FetchToken) and
  // its nesting checked before parsing, and every member is read type-checked.
  if (JsonNestingExceeds(body)) {
    return RegistryError("token service for registry " + registry_ + " answered with JSON nested too deeply");
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return RegistryError("token service for registry " + registry_ + " answered with non-JSON");
  std::string token;
  if (j.contains("token") && j["token"].is_string()) token = j["token"].get<std::string>();
  if (token.empty() && j.contains("access_token") && j["access_token"].is_string()) {
    token = j["access_token"].get<std::string>();
  }
  if (token.empty()) return RegistryError("token service for registry " + registry_ + " returned no token");
  for (char c : token) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return RegistryError("token service for registry " + registry_ + " returned a token with invalid characters");
    }
  }
  long long expires_in = 60;  // the protocol's default when the field is absent
  if (j.contains("expires_in") && j["expires_in"].is_number_integer()) expires_in = j["expires_in"].get<long long>();
  if (expires_in < 1) expires_in = 60;
  // Renew a little early so a token never expires between our check and the registry's.
  auto margin = std::min<long long>(10, expires_in / 5);
  return CachedToken{Secret(std::move(token)), std::chrono::steady_clock::now() + std::chrono::seconds(expires_in - margin)};
}

std::string RegistryAuth::Account() const {
  if (!credentials_ || credentials_->empty()) return "anonymously";
  if (!credentials_->registry_token.empty()) return "with a registry token";
  if (!credentials_->identity_token.empty()) return "with an identity token";
  return "as user '" + credentials_->username + "'";
}

}  // namespace promote::registry
