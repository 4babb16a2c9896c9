#include "sigstore/in_toto.h"

#include "oci/digest.h"
#include "sigstore/go_json.h"
#include "sigstore/size_limits.h"
#include "util/read_file.h"
#include "util/strict_json.h"

namespace promote::sigstore {
namespace {

using json = nlohmann::json;

constexpr std::string_view kStatementWhat = "in-toto statement";

Status Bad(std::string_view why) { return InvalidArgument(std::string(kStatementWhat) + ": " + std::string(why)); }

Result<InTotoSubject> ParseSubject(const json& entry) {
  if (!entry.is_object()) return Bad("each subject must be an object");
  InTotoSubject subject;
  auto name = entry.find("name");
  if (name == entry.end() || !name->is_string()) return Bad("subject.name is missing or not a string");
  subject.name = name->get<std::string>();
  auto digest = entry.find("digest");
  if (digest == entry.end() || !digest->is_object()) return Bad("subject.digest is missing or not an object");
  for (const auto& [algorithm, hex] : digest->items()) {
    if (!hex.is_string()) return Bad("subject.digest." + algorithm + " must be a string");
    subject.digest[algorithm] = hex.get<std::string>();
  }
  return subject;
}

}  // namespace

Result<std::string> BuildInTotoStatement(std::string_view predicate_type, std::string_view subject_name,
                                         std::string_view subject_digest, const json& predicate,
                                         std::string_view statement_type) {
  if (predicate_type.empty()) return Bad("predicate type is empty");
  if (statement_type != kInTotoStatementV01 && statement_type != kInTotoStatementV1) {
    return Bad("unknown statement type '" + std::string(statement_type) + "'");
  }
  if (!oci::Digest::Parse(subject_digest).ok()) {
    return Bad("subject digest '" + std::string(subject_digest) + "' is not sha256:<64 lowercase hex>");
  }
  std::string out = "{\"_type\":";
  AppendGoJsonString(out, statement_type);
  out += ",\"predicateType\":";
  AppendGoJsonString(out, predicate_type);
  out += ",\"subject\":[{\"name\":";
  AppendGoJsonString(out, subject_name);
  out += ",\"digest\":{\"sha256\":";
  AppendGoJsonString(out, subject_digest.substr(std::string_view("sha256:").size()));
  out += "}}],\"predicate\":";
  out += GoJsonEncode(predicate);
  out += '}';
  return out;
}

Result<InTotoStatement> ParseInTotoStatement(std::string_view json_text) {
  PROMOTE_RETURN_IF_ERROR(CheckInputSize(json_text, kMaxEnvelopeBytes, kStatementWhat));
  PROMOTE_ASSIGN_OR_RETURN(json doc, ParseStrictJson(json_text, kStatementWhat));
  if (!doc.is_object()) return Bad("must be a JSON object");

  InTotoStatement statement;
  auto type = doc.find("_type");
  if (type == doc.end() || !type->is_string()) return Bad("_type is missing or not a string");
  statement.type = type->get<std::string>();
  if (statement.type != kInTotoStatementV01 && statement.type != kInTotoStatementV1) {
    return Bad("unsupported _type '" + statement.type + "'; expected " + std::string(kInTotoStatementV01) +
               " or " + std::string(kInTotoStatementV1));
  }
  auto predicate_type = doc.find("predicateType");
  if (predicate_type == doc.end() || !predicate_type->is_string()) {
    return Bad("predicateType is missing or not a string");
  }
  statement.predicate_type = predicate_type->get<std::string>();

  auto subjects = doc.find("subject");
  if (subjects == doc.end() || !subjects->is_array() || subjects->empty()) {
    return Bad("subject must be a non-empty array");
  }
  for (const json& entry : *subjects) {
    PROMOTE_ASSIGN_OR_RETURN(InTotoSubject subject, ParseSubject(entry));
    statement.subjects.push_back(std::move(subject));
  }
  if (auto predicate = doc.find("predicate"); predicate != doc.end()) statement.predicate = *predicate;
  return statement;
}

Status CheckSubjectDigest(const InTotoStatement& statement, std::string_view digest) {
  if (!oci::Digest::Parse(digest).ok()) {
    return InvalidArgument("expected subject digest '" + std::string(digest) +
                           "' is not sha256:<64 lowercase hex>");
  }
  const std::string_view hex = digest.substr(std::string_view("sha256:").size());
  for (const InTotoSubject& subject : statement.subjects) {
    auto it = subject.digest.find("sha256");
    if (it != subject.digest.end() && it->second == hex) return OkStatus();
  }
  return Status(Code::kGateRefused, std::string(kStatementWhat) + ": no subject has digest " + std::string(digest));
}

}  // namespace promote::sigstore
