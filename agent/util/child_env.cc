#include "util/child_env.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>

namespace promote {
namespace {

constexpr size_t kMaxWithheldNames = 4096;

struct WithheldNames {
  std::mutex mu;
  std::set<std::string, std::less<>> names;
};

WithheldNames& Withheld() {
  static WithheldNames* names = new WithheldNames;  // never destroyed: children may start at exit
  return *names;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool IsCredentialHelperVariable(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "HOME", "USER", "LOGNAME", "TMPDIR", "DBUS_SESSION_BUS_ADDRESS", "GNUPGHOME", "GPG_TTY"};
  static constexpr std::string_view kPrefixes[] = {"XDG_",    "PASSWORD_STORE_", "AWS_",
                                                   "GOOGLE_", "CLOUDSDK_",       "AZURE_"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames) ||
         std::any_of(std::begin(kPrefixes), std::end(kPrefixes),
                     [&](std::string_view p) { return StartsWith(name, p); });
}

bool Allowed(ChildKind kind, std::string_view name) {
  if (IsGenericChildVariable(name)) return true;
  switch (kind) {
    case ChildKind::kCredentialHelper:
      return IsCredentialHelperVariable(name);
    case ChildKind::kScanner:
      return false;
  }
  return false;
}

}  // namespace

bool IsGenericChildVariable(std::string_view name) {
  static constexpr std::string_view kNames[] = {"PATH",          "LANG",         "LANGUAGE",   "TZ",
                                                "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY",
                                                "NO_PROXY",      "ALL_PROXY"};
  if (StartsWith(name, "LC_")) return true;
  const std::string upper = Upper(name);
  // Proxies are read in either case (curl reads http_proxy only in lower case).
  const bool proxy = upper.size() > 6 && upper.compare(upper.size() - 6, 6, "_PROXY") == 0;
  const std::string_view checked = proxy ? std::string_view(upper) : name;
  return std::find(std::begin(kNames), std::end(kNames), checked) != std::end(kNames);
}

bool IsWithheldFromChildren(std::string_view name) {
  if (StartsWith(name, "PROMOTE_") || StartsWith(name, "COSIGN_")) return true;
  WithheldNames& w = Withheld();
  std::lock_guard lock(w.mu);
  return w.names.find(name) != w.names.end();
}

void WithholdFromChildren(std::string_view name) {
  if (name.empty()) return;
  WithheldNames& w = Withheld();
  std::lock_guard lock(w.mu);
  if (w.names.size() < kMaxWithheldNames) w.names.emplace(name);
}

std::map<std::string, std::string> ChildEnvironmentFrom(ChildKind kind,
                                                        const std::vector<std::string>& parent,
                                                        const std::vector<std::string>& pass) {
  std::map<std::string, std::string> env;
  for (const std::string& entry : parent) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    const std::string name = entry.substr(0, eq);
    const bool wanted = Allowed(kind, name) || std::find(pass.begin(), pass.end(), name) != pass.end();
    if (!wanted || IsWithheldFromChildren(name)) continue;
    env.emplace(name, entry.substr(eq + 1));  // the first wins, as getenv reads it
  }
  return env;
}

std::map<std::string, std::string> ChildEnvironment(ChildKind kind, const EnvironmentVariables& parent,
                                                    const std::vector<std::string>& pass) {
  return ChildEnvironmentFrom(kind, parent.Entries(), pass);
}

}  // namespace promote
