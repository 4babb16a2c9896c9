// Turning what a request carries into the means to serve it, under the operator's settings:
// the registry pool (shared, or one with the request's own credentials), the signing key, the
// scanners and the promote.yaml. This is where "a request cannot use a secret it was not
// allowed" is enforced.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "policy/attached_files.h"
#include "policy/promote_config.h"
#include "service/operation.h"

namespace promote::service {

// The pool to serve a request with. `config` (may be null) is the request's promote.yaml, whose
// credential references count only when request secrets are accepted. Credentials a request
// carries are kPermissionDenied unless accepted.
Result<std::shared_ptr<registry::RegistryPool>> PoolFor(const ServiceSettings& settings,
                                                        const v1::RegistryAccess& access,
                                                        const policy::PromoteConfig* config);

// Whether `host` is spoken to over plain HTTP by pools PoolFor builds (for scanners, which must
// be told).
bool IsPlainHttp(const ServiceSettings& settings, const v1::RegistryAccess& access, const std::string& host);

// The promote.yaml a request carries; kInvalidArgument when absent or invalid.
Result<policy::PromoteConfig> ConfigFrom(const ServiceSettings& settings, const v1::File& file, const std::string& what);

// The signing key for a promote.yaml. In-process: the operator's (settings.signing) when set,
// else promote.yaml's `signing:`, resolved here. On the agent: the agent's own key; a promote.yaml
// `signing:` is refused (kInvalidArgument, naming it) unless request secrets are accepted and the
// agent has no key, in which case the key `carried` by the request (the client read it) is used.
Result<promotion::SigningKey> SigningKeyFor(const ServiceSettings& settings, const policy::PromoteConfig& config,
                                            const v1::SigningKey& carried);

// A private key a request carries, parsed. Without a passphrase it must be unencrypted PKCS#8.
Result<std::shared_ptr<sigstore::PrivateKey>> PrivateKeyFrom(const v1::SigningKey& carried);

// The scanners to run for a request's scanner map: the request's own (CLI), or the operator's
// entries of the same names (agent); a name the operator did not configure is kPermissionDenied.
Result<std::map<std::string, scan::HookConfig>> ScannersFor(const ServiceSettings& settings,
                                                            const std::map<std::string, scan::HookConfig>& requested);

// Concurrent blob transfers for a request: `jobs` (0: 8) bounded by the operator's maximum.
int JobsFor(const ServiceSettings& settings, int jobs);

// The files a request carries for its promote.yaml or policy (policy/attached_files.h).
policy::AttachedFiles FilesFrom(const google::protobuf::RepeatedPtrField<v1::File>& files);

// The CI run a request says it comes from.
promotion::CiContext CiContextFrom(const v1::CiContext& ci);

}  // namespace promote::service
