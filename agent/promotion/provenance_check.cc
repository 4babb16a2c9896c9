#include "promotion/provenance_check.h"

#include <algorithm>
#include <cctype>

#include "policy/server_policy.h"
#include "promotion/image_revision.h"

namespace promote::promotion {
namespace {

using json = nlohmann::json;

// The object at `key` of `j`, or nullptr when `j` is not an object or holds none there.
const json* Member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string StringAt(const json& j, const char* key) {
  const json* m = Member(j, key);
  return m != nullptr && m->is_string() ? m->get<std::string>() : std::string();
}

bool IsCommitText(const std::string& s) {
  if (s.size() < 7 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

// A DigestSet's commit (gitCommit, else sha1), lowercased; nothing when it names none.
void AddCommitOf(const json* descriptor, std::vector<std::string>* commits) {
  if (descriptor == nullptr) return;
  const json* digest = Member(*descriptor, "digest");
  if (digest == nullptr) return;
  for (const char* algorithm : {"gitCommit", "sha1"}) {
    std::string value = StringAt(*digest, algorithm);
    if (!IsCommitText(value)) continue;
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (std::find(commits->begin(), commits->end(), value) == commits->end()) commits->push_back(value);
    return;
  }
}

void AddCommitsOfList(const json* list, std::vector<std::string>* commits) {
  if (list == nullptr || !list->is_array()) return;
  for (const auto& entry : *list) AddCommitOf(&entry, commits);
}

Result<ProvenanceFacts> ReadV1(const json& predicate) {
  ProvenanceFacts facts;
  const json* run = Member(predicate, "runDetails");
  const json* builder = run != nullptr ? Member(*run, "builder") : nullptr;
  facts.builder_id = builder != nullptr ? StringAt(*builder, "id") : "";
  if (facts.builder_id.empty()) {
    return InvalidArgument("SLSA provenance v1: predicate.runDetails.builder.id is missing or not a string");
  }
  const json* definition = Member(predicate, "buildDefinition");
  if (definition != nullptr) {
    AddCommitsOfList(Member(*definition, "resolvedDependencies"), &facts.commits);
    const json* external = Member(*definition, "externalParameters");
    if (external != nullptr) AddCommitOf(Member(*external, "source"), &facts.commits);
  }
  return facts;
}

Result<ProvenanceFacts> ReadV02(const json& predicate) {
  ProvenanceFacts facts;
  const json* builder = Member(predicate, "builder");
  facts.builder_id = builder != nullptr ? StringAt(*builder, "id") : "";
  if (facts.builder_id.empty()) {
    return InvalidArgument("SLSA provenance v0.2: predicate.builder.id is missing or not a string");
  }
  AddCommitsOfList(Member(predicate, "materials"), &facts.commits);
  const json* invocation = Member(predicate, "invocation");
  if (invocation != nullptr) AddCommitOf(Member(*invocation, "configSource"), &facts.commits);
  return facts;
}

std::string JoinItems(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

}  // namespace

bool IsSlsaProvenance(std::string_view predicate_type) {
  return predicate_type == kSlsaProvenanceV02 || predicate_type == kSlsaProvenanceV1;
}

Result<ProvenanceFacts> ReadProvenanceFacts(const sigstore::InTotoStatement& statement) {
  if (!statement.predicate.is_object()) {
    return InvalidArgument("SLSA provenance: the predicate is not a JSON object");
  }
  if (statement.predicate_type == kSlsaProvenanceV1) return ReadV1(statement.predicate);
  if (statement.predicate_type == kSlsaProvenanceV02) return ReadV02(statement.predicate);
  return InvalidArgument("predicate type '" + statement.predicate_type + "' is not SLSA provenance (" +
                         std::string(kSlsaProvenanceV02) + " or " + std::string(kSlsaProvenanceV1) + ")");
}

ProvenanceJudgement JudgeProvenance(const sigstore::InTotoStatement& statement,
                                    const ProvenanceExpectation& expect) {
  ProvenanceJudgement j;
  auto facts = ReadProvenanceFacts(statement);
  if (!facts.ok()) {
    j.check = "predicate";
    j.reason = facts.status().message();
    return j;
  }
  j.facts = std::move(*facts);
  std::string commit = expect.commit;
  std::transform(commit.begin(), commit.end(), commit.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const auto& commits = j.facts.commits;
  if (std::none_of(commits.begin(), commits.end(),
                   [&](const std::string& c) { return SameCommit(c, commit); })) {
    j.check = "commit";
    j.reason = commits.empty()
                   ? "the provenance names no source commit (gitCommit or sha1 digest), so it cannot "
                     "show that commit " +
                         commit + " was built"
                   : "the provenance was built from commit " + JoinItems(commits) + ", not " + commit;
    return j;
  }
  if (!expect.builder_id.empty() && !policy::PolicyGlobMatches(expect.builder_id, j.facts.builder_id)) {
    j.check = "builder-id";
    j.reason =
        "the builder '" + j.facts.builder_id + "' does not match builder-id '" + expect.builder_id + "'";
    return j;
  }
  return j;
}

}  // namespace promote::promotion
