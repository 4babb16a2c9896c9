// The operator's policy in agent.yaml: per application (promote.yaml's `image:`, or a glob) and
// environment, which branches may promote, where the environment may write, and the gates that
// must run with their floors. A request's promote.yaml may tighten these (a stricter threshold,
// another gate) but never loosen them; promotion/policy_check.h decides. Environments are found
// by the repository a promotion writes to, not by the name a request gives them, so renaming an
// environment in promote.yaml changes nothing.
//
//   policy:
//     - applications: [payment-svc, "shop-*"]
//       environments:
//         - name: stage
//           repositories: ["stage.registry:5000/shop/*"]
//           branches: ["release/*", "hotfix/*"]
//           after: dev                      # stage order on, with dev's record
//           scan: {scanners: [trivy], fail-on: HIGH, unknown-as: HIGH, ignore-unfixed: false,
//                  allow: [CVE-2023-28755]}
//         - name: prod
//           repositories: ["prod.registry:5000/shop/*"]
//           branches: [main, "hotfix/*"]
//           after: stage
//           sign: true
//           signature: {keys: [/etc/promote/release.pub]}
//           provenance: {keys: [/etc/promote/build.pub], builder-id: "https://github.com/…/*", build-level: 3}
//           approval: {required: 2, no-self-approval: true, expires-after: 72h,
//                      approvers: [alice, bob, {identity: dave, key: /etc/promote/dave.pub}]}
//           soak: 24h
//           window: {required: true, break-glass: false}
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "policy/change_gates.h"
#include "scan/finding.h"
#include "scan/scanner_hook.h"
#include "util/status.h"

namespace YAML {
class Node;
}

namespace promote::policy {

class Reader;

struct ScanFloor {
  std::vector<std::string> scanners;  // agent.yaml scanners that must run
  scan::Severity fail_on = scan::Severity::kHigh;     // a request may only lower it
  scan::Severity unknown_as = scan::Severity::kHigh;  // a request may only raise it
  bool ignore_unfixed_allowed = false;
  std::set<std::string> allow;  // ids a request's allow/trivyignore may accept; none otherwise
};

// The provenance gate a rule requires: with one of `keys`, with exactly `builder_id` when set, and
// claiming at most `build_level` (the level the operator vouches for these keys' builders).
struct ProvenanceFloor {
  std::vector<std::string> keys;      // public key files (agent.yaml)
  std::vector<std::string> key_pems;  // their contents, read when the agent starts
  std::string builder_id;             // "" or the pattern promote.yaml must use
  int build_level = 1;
};

// The least an approval gate must ask for, and who may approve. promote.yaml comes from the
// pipeline, so without `approvers` here the pipeline names its own approvers and the agent signs
// for them on its word; with them, promote.yaml may list only these, and the agent signs on
// behalf of an identity-only approver alone: one listed with a key approves with that key.
struct ApprovalFloor {
  int required = 1;                                      // a request may only raise it
  bool no_self_approval = true;                          // a request may not turn it off
  std::optional<std::chrono::seconds> max_expires_after; // a request may only shorten it
  std::vector<Approver> approvers;                       // empty: promote.yaml decides
  std::map<std::string, std::string> approver_key_pems;  // identity -> its key, read when the agent starts
};

struct EnvironmentRule {
  std::string name;
  std::vector<std::string> repositories;  // "host/repository" globs it may write
  std::vector<std::string> branches;      // branch patterns (promote.yaml syntax) allowed in
  std::string after;                      // "" or the rule whose record stage order requires
  bool sign = false;
  std::optional<ScanFloor> scan;
  std::vector<std::string> signature_keys;     // public key files (agent.yaml)
  std::vector<std::string> signature_key_pems; // their contents, read when the agent starts
  std::optional<ProvenanceFloor> provenance;
  std::optional<ApprovalFloor> approval;       // the approval gate must run, at least this strict
  std::optional<std::chrono::seconds> soak;    // the soak gate must run, at least this long
  bool window_required = false;                // the window gate must run
  bool break_glass_allowed = true;             // false: no --break-glass here, whatever promote.yaml says
  int line = 0;

  // Whether this rule's repositories cover "host/repository".
  bool Covers(const std::string& host_repository) const;
};

struct ApplicationRule {
  std::vector<std::string> applications;  // image name globs
  std::vector<EnvironmentRule> environments;
  int line = 0;

  bool Matches(const std::string& image) const;
  const EnvironmentRule* ForRepository(const std::string& host_repository) const;
  const EnvironmentRule* Named(const std::string& name) const;
};

struct ServerPolicy {
  std::string origin;  // agent.yaml's path, for messages
  std::vector<ApplicationRule> applications;

  bool empty() const { return applications.empty(); }
  // The first rule for `image`; nullptr when none.
  const ApplicationRule* ForApplication(const std::string& image) const;
  // A rule (of any application) that covers "host/repository"; nullptr when none.
  const EnvironmentRule* Covering(const std::string& host_repository) const;
  // "agent.yaml:12" for a rule.
  std::string Where(int line) const { return origin + ":" + std::to_string(line); }
};

// Parses agent.yaml's `policy:` list. `scanners` are agent.yaml's, which the rules must name.
Result<ServerPolicy> ParseServerPolicy(const Reader& r, const YAML::Node& node, const std::string& origin,
                                       const std::map<std::string, scan::HookConfig>& scanners);

// Glob as agent.yaml's policy uses it: `*` any characters (including '/'), `?` one.
bool PolicyGlobMatches(const std::string& pattern, const std::string& text);

}  // namespace promote::policy
