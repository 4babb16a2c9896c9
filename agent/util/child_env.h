// The environment promote gives the programs it starts (docker credential helpers, scanners):
// built from an allow-list, never a copy of its own, because promote's environment holds
// secrets (registry passwords, the key passphrase, the agent token) that a helper asked about
// one registry has no business seeing. README.md (credentials) and docs/scanning.md state the
// rule for operators.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/environment_variables.h"

namespace promote {

enum class ChildKind {
  // docker-credential-<name>: generic variables, HOME/USER/TMPDIR/XDG_*, what the common
  // helpers need to reach their store (DBUS_SESSION_BUS_ADDRESS, GNUPGHOME, PASSWORD_STORE_*),
  // and the cloud helpers' own prefixes (AWS_*, GOOGLE_*, CLOUDSDK_*, AZURE_*).
  kCredentialHelper,
  // A scanner: generic variables only. HOME, TMPDIR and DOCKER_CONFIG are set by the hook,
  // TRIVY_*/GRYPE_* only through the scanner's `env:` values or `pass-env:` names, so a stray
  // TRIVY_PASSWORD or GRYPE_CONFIG in the agent's environment cannot change a scan.
  kScanner,
};

// Generic variables every child may see: PATH, LANG, LANGUAGE, LC_*, TZ, SSL_CERT_FILE,
// SSL_CERT_DIR, and HTTP_PROXY, HTTPS_PROXY, NO_PROXY, ALL_PROXY in either case.
bool IsGenericChildVariable(std::string_view name);

// Whether `name` is never given to any child: PROMOTE_*, COSIGN_* (promote's own secrets:
// PROMOTE_KEY_PASSWORD, PROMOTE_AGENT_TOKEN, PROMOTE_SRC_PASSWORD, COSIGN_PASSWORD, …), and
// every name passed to WithholdFromChildren. This wins over the allow-list and over `pass`.
bool IsWithheldFromChildren(std::string_view name);

// Records that the variable `name` holds a secret (an env:NAME reference of agent.yaml or a
// trusted promote.yaml): no child ever receives it. Process-wide because the environment is;
// thread-safe. At most a few thousand names are kept (configs are bounded; more are ignored,
// and are off the allow-list anyway unless they carry a cloud prefix).
void WithholdFromChildren(std::string_view name);

// The environment for a child of `kind`, taken from `parent` ("NAME=value" entries, as
// `environ` holds them): the kind's allow-list plus the names in `pass` (an operator's explicit
// pass-through), minus everything withheld.
std::map<std::string, std::string> ChildEnvironmentFrom(ChildKind kind,
                                                        const std::vector<std::string>& parent,
                                                        const std::vector<std::string>& pass = {});

// The same, from `parent`: the environment of the process starting the child, as its caller
// was given it (util/environment_variables.h).
std::map<std::string, std::string> ChildEnvironment(ChildKind kind, const EnvironmentVariables& parent,
                                                    const std::vector<std::string>& pass = {});

}  // namespace promote
