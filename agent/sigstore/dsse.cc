#include "sigstore/dsse.h"

#include "sigstore/ecdsa.h"
#include "sigstore/go_json.h"
#include "sigstore/size_limits.h"
#include "util/base64.h"
#include "util/read_file.h"
#include "util/strict_json.h"

namespace promote::sigstore {
namespace {

using json = nlohmann::json;

constexpr std::string_view kEnvelopeWhat = "DSSE envelope";

std::optional<std::string> DecodeStdThenUrl(const std::string& text) {
  if (auto bytes = Base64Decode(text)) return bytes;
  return Base64UrlDecode(text);
}

Result<std::string> Base64Field(const json& object, const char* name, std::string_view where) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) {
    return InvalidArgument(std::string(kEnvelopeWhat) + ": " + std::string(where) + name +
                           " is missing or not a string");
  }
  auto bytes = DecodeStdThenUrl(it->get_ref<const std::string&>());
  if (!bytes) {
    return InvalidArgument(std::string(kEnvelopeWhat) + ": " + std::string(where) + name + " is not valid base64");
  }
  return std::move(*bytes);
}

}  // namespace

std::string PreAuthEncoding(std::string_view payload_type, std::string_view payload) {
  std::string out = "DSSEv1 ";
  out += std::to_string(payload_type.size());
  out += ' ';
  out += payload_type;
  out += ' ';
  out += std::to_string(payload.size());
  out += ' ';
  out += payload;
  return out;
}

std::string EncodeDsseEnvelope(const DsseEnvelope& envelope) {
  std::string out = "{\"payloadType\":";
  AppendGoJsonString(out, envelope.payload_type);
  out += ",\"payload\":";
  AppendGoJsonString(out, Base64Encode(envelope.payload));
  out += ",\"signatures\":[";
  bool first = true;
  for (const DsseSignature& sig : envelope.signatures) {
    if (!first) out += ',';
    first = false;
    out += "{\"keyid\":";
    AppendGoJsonString(out, sig.keyid);
    out += ",\"sig\":";
    AppendGoJsonString(out, Base64Encode(sig.signature));
    out += '}';
  }
  out += "]}";
  return out;
}

Result<DsseEnvelope> ParseDsseEnvelope(std::string_view json_text) {
  PROMOTE_RETURN_IF_ERROR(CheckInputSize(json_text, kMaxEnvelopeBytes, kEnvelopeWhat));
  PROMOTE_ASSIGN_OR_RETURN(json doc, ParseStrictJson(json_text, kEnvelopeWhat));
  if (!doc.is_object()) return InvalidArgument(std::string(kEnvelopeWhat) + ": must be a JSON object");

  DsseEnvelope envelope;
  auto type = doc.find("payloadType");
  if (type == doc.end() || !type->is_string()) {
    return InvalidArgument(std::string(kEnvelopeWhat) + ": payloadType is missing or not a string");
  }
  envelope.payload_type = type->get<std::string>();
  PROMOTE_ASSIGN_OR_RETURN(envelope.payload, Base64Field(doc, "payload", ""));

  auto sigs = doc.find("signatures");
  if (sigs == doc.end() || !sigs->is_array() || sigs->empty()) {
    return InvalidArgument(std::string(kEnvelopeWhat) + ": signatures must be a non-empty array");
  }
  for (const json& entry : *sigs) {
    if (!entry.is_object()) return InvalidArgument(std::string(kEnvelopeWhat) + ": each signature must be an object");
    DsseSignature sig;
    if (auto keyid = entry.find("keyid"); keyid != entry.end()) {
      if (!keyid->is_string())
        return InvalidArgument(std::string(kEnvelopeWhat) + ": signatures[].keyid must be a string");
      sig.keyid = keyid->get<std::string>();
    }
    PROMOTE_ASSIGN_OR_RETURN(sig.signature, Base64Field(entry, "sig", "signatures[]."));
    envelope.signatures.push_back(std::move(sig));
  }
  return envelope;
}

Result<DsseEnvelope> SignDsse(std::string_view payload_type, std::string_view payload,
                              const PrivateKey& key) {
  PROMOTE_ASSIGN_OR_RETURN(std::string signature,
                           SignEcdsaSha256(key, PreAuthEncoding(payload_type, payload)));
  DsseEnvelope envelope;
  envelope.payload_type = std::string(payload_type);
  envelope.payload = std::string(payload);
  envelope.signatures.push_back(DsseSignature{"", std::move(signature)});
  return envelope;
}

Status VerifyDsse(const DsseEnvelope& envelope, const PublicKey& key) {
  const std::string pae = PreAuthEncoding(envelope.payload_type, envelope.payload);
  for (const DsseSignature& sig : envelope.signatures) {
    if (VerifyEcdsaSha256(key, pae, sig.signature).ok()) return OkStatus();
  }
  return Status(Code::kGateRefused, std::string(kEnvelopeWhat) + ": no signature verifies with the given public key");
}

}  // namespace promote::sigstore
