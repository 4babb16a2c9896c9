// The promote.yaml model: the application's environments (each a registry and repository),
// tag rules, Git-flow branch rules, gates per environment, scanners and the signing key.
// Secrets are references ("env:NAME", "file:/path"), never literals. Loading is strict:
// unknown keys, bad values, cycles and unknown environment names are errors with file:line.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oci/platform.h"
#include "policy/change_gates.h"
#include "scan/gate.h"
#include "scan/scanner_hook.h"
#include "util/status.h"

namespace promote::policy {

// Where a secret comes from: "env:NAME" or "file:/path". Resolved only when used.
struct SecretRef {
  std::string ref;
  bool empty() const { return ref.empty(); }
};

struct RegistryCredentialsRef {
  std::string username;  // not secret; may also be "env:NAME"
  SecretRef password;
  bool empty() const { return username.empty() && password.empty(); }
};

struct ScanGateConfig {
  std::vector<std::string> scanners;     // names from the top-level `scanners` map
  scan::GatePolicy policy;
  std::string trivyignore;               // path of a .trivyignore (plain or YAML) to apply
  std::vector<std::string> platforms;    // subset of platforms to scan; empty = all
  bool warn_on_scanner_error = false;    // on-error: warn
};

struct SignatureGateConfig {
  std::string public_key;                // path of a cosign public key, or env:NAME holding the path
  std::string identity_policy = "match-repository";
  // A Sigstore trusted_root.json (path, or env:NAME holding it): bundles' transparency-log entries
  // must then verify against it. Empty: bundles verify key-only (the gate's detail says so).
  std::string trusted_root;
};

// gates.provenance: a SLSA provenance attestation (v0.2 or v1) on the source digest, signed with
// `public_key`, naming the promoted commit as its source and, when `builder_id` is set, built by a
// builder whose id matches that glob. `build_level` is the SLSA Build level the holder of the key
// (and builder) is trusted to meet; the verification summary states it when the gate passed.
struct ProvenanceGateConfig {
  std::string public_key;  // path of a cosign public key, env:NAME or file:/path, like the signature gate
  std::string builder_id;  // glob ('*' any characters, '?' one); empty: any builder
  int build_level = 1;     // 1-3
};

struct Environment {
  std::string name;
  std::string registry;                  // "stage.registry:5000"
  std::string repository;                // "shop/payment-svc" or "stage/payment-svc"
  std::optional<std::string> from;       // the environment promotions come from (default: previous)
  std::vector<std::string> mutable_tags; // tags that move with each promotion ("latest", "stage")
  bool stage_order = true;               // the digest must carry a valid record of the `from` env
  std::optional<ScanGateConfig> scan;
  std::optional<SignatureGateConfig> verify;  // signatures required on the source
  std::optional<ProvenanceGateConfig> provenance;  // build provenance required on the source
  bool sign = false;                     // sign the image at the target with the signing key
  // The image must say which commit it was built from (org.opencontainers.image.revision).
  bool require_revision = false;
  // Only these platforms of a multi-platform image are promoted here: the environment gets a new
  // index listing them (its own digest, which its tags and record name). Empty: the whole image.
  std::vector<oci::Platform> platforms;
  // Change control (policy/change_gates.h): when, after how long in the previous environment,
  // and with whose approval a promotion into this environment may happen.
  std::optional<WindowGateConfig> window;
  std::optional<std::chrono::seconds> soak;
  std::optional<ApprovalGateConfig> approval;
  RegistryCredentialsRef credentials;    // empty: docker config / credential helpers
  int line = 0;

  std::string Name() const { return registry + "/" + repository; }
};

struct BranchRule {
  std::string pattern;                   // "develop", "release/*", "hotfix/**"
  std::vector<std::string> to;           // environments this branch may promote into
  int line = 0;
};

struct SigningConfig {
  SecretRef key;                         // env:NAME holding the key path, or file:/path
  SecretRef password;                    // env:NAME or file:/path
  // How signatures and records are written: "cosign" (.sig/.att tags) or "bundle" (Sigstore
  // bundle referrers). Empty: not said here (cosign, or what the agent's agent.yaml says).
  std::string format;
  bool empty() const { return key.empty(); }
};

// One image of a release set (promote.yaml `images:`): images built from one commit that are
// promoted together or not at all. Each names, per environment, where it lives there.
struct ImageLocation {
  std::string registry;    // the environment's, unless the entry names another
  std::string repository;
};
struct SetImage {
  std::string name;                                // unique in the set, [a-z0-9-]
  std::map<std::string, ImageLocation> locations;  // environment name -> where the image is
  int line = 0;
};

struct PromoteConfig {
  std::string origin;                    // file name, for messages
  std::string sha256;                    // hex SHA-256 of the file's bytes (the policy a promotion applied)
  std::string image;
  std::string immutable_tag = "sha-{sha7}";
  bool version_tag_from_branch = true;   // release/v1.2.0 -> tag v1.2.0
  std::vector<Environment> environments; // in promotion order
  std::vector<BranchRule> branches;
  std::map<std::string, scan::HookConfig> scanners;
  SigningConfig signing;
  // A release set: every image here, in this order, is promoted together. Empty: one image,
  // at each environment's registry and repository.
  std::vector<SetImage> images;

  // promote.yaml as one image of its release set sees it: every environment at that image's
  // registry and repository, and no `images:` (a config for one image).
  PromoteConfig ForImage(const SetImage& image) const;
  const Environment* FindEnvironment(const std::string& name) const;
  // The environment promotions into `env` come from; nullptr for the first one.
  const Environment* SourceOf(const Environment& env) const;
};

// Parses promote.yaml text. `origin` names the file in errors ("promote.yaml:12: …").
Result<PromoteConfig> ParsePromoteConfig(const std::string& yaml_text, const std::string& origin);
Result<PromoteConfig> LoadPromoteConfig(const std::string& path);

// A standalone scan policy (`promote scan --policy FILE`): the top-level `scanners:` map and
// one `scan:` gate, both in promote.yaml syntax, plus an optional `version: 1`. Strict like
// promote.yaml: unknown keys and bad values are errors with file:line.
struct ScanPolicy {
  std::string origin;
  std::map<std::string, scan::HookConfig> scanners;
  ScanGateConfig gate;
};
Result<ScanPolicy> ParseScanPolicy(const std::string& yaml_text, const std::string& origin);
Result<ScanPolicy> LoadScanPolicy(const std::string& path);

// The default Git-flow rules for the environments a config has.
std::vector<BranchRule> DefaultBranchRules(const std::vector<Environment>& environments);

}  // namespace promote::policy
