#include "sigstore/pem.h"

#include <cctype>

#include "util/base64.h"
#include "util/secret.h"

namespace promote::sigstore {
namespace {

constexpr std::string_view kDashes = "-----";
constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Splits off the next line (without its '\n' and trailing whitespace).
std::string_view NextLine(std::string_view& rest) {
  size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
  return line;
}

bool IsPrintableLabel(std::string_view label) {
  if (label.empty()) return false;
  for (char c : label) {
    if (!std::isprint(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

PemBlock::~PemBlock() { WipeString(bytes); }

Result<PemBlock> DecodePem(std::string_view text, std::string_view source) {
  const std::string where(source);
  std::string_view rest = TrimSpace(text);
  std::string_view first = NextLine(rest);
  if (first.substr(0, kBegin.size()) != kBegin || first.size() < kBegin.size() + kDashes.size() ||
      first.substr(first.size() - kDashes.size()) != kDashes) {
    return InvalidArgument(where + ": not a PEM file (no '-----BEGIN ...-----' line at the start)");
  }
  std::string_view label = first.substr(kBegin.size(), first.size() - kBegin.size() - kDashes.size());
  if (!IsPrintableLabel(label)) {
    return InvalidArgument(where + ": PEM BEGIN line has an empty or unprintable type");
  }
  const std::string end_line = std::string(kEnd) + std::string(label) + std::string(kDashes);

  std::string body;
  bool ended = false;
  while (!rest.empty()) {
    std::string_view line = NextLine(rest);
    if (line == end_line) {
      ended = true;
      break;
    }
    if (line.substr(0, kEnd.size()) == kEnd) {
      return InvalidArgument(where + ": PEM END line '" + std::string(line) +
                             "' does not match BEGIN type '" + std::string(label) + "'");
    }
    if (line.find(':') != std::string_view::npos) {
      return InvalidArgument(where + ": PEM headers are not supported in a key file");
    }
    body.append(TrimSpace(line));
  }
  if (!ended) {
    return InvalidArgument(where + ": PEM block has no '" + end_line + "' line (truncated file?)");
  }
  if (!TrimSpace(rest).empty()) {
    return InvalidArgument(where + ": unexpected data after the PEM block; expected exactly one block");
  }
  auto decoded = Base64Decode(body);
  WipeString(body);
  if (!decoded) {
    return InvalidArgument(where + ": PEM body is not valid base64 (damaged file?)");
  }
  PemBlock block;
  block.label = std::string(label);
  block.bytes = std::move(*decoded);
  return block;
}

std::string EncodePem(std::string_view label, std::string_view bytes) {
  const std::string b64 = Base64Encode(bytes);
  std::string out;
  out.reserve(b64.size() + b64.size() / 64 + 2 * label.size() + 40);
  out.append(kBegin).append(label).append(kDashes).append("\n");
  for (size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64).append("\n");
  }
  out.append(kEnd).append(label).append(kDashes).append("\n");
  return out;
}

}  // namespace promote::sigstore
