#include "util/read_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace promote {

Result<std::string> ReadSmallFile(const std::string& path, const std::string& what, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(what + " " + path + ": cannot be read (" + std::strerror(errno) + ")");
  // Key files may hold a plain private key: reserve enough that a key is never reallocated
  // (leaving copies behind), and wipe the read buffer.
  std::string content;
  content.reserve(8192);
  char buf[4096];
  while (in) {
    in.read(buf, sizeof buf);
    content.append(buf, static_cast<size_t>(in.gcount()));
    if (content.size() > max_bytes) {
      WipeMemory(buf, sizeof buf);
      WipeString(content);
      return InvalidArgument(what + " " + path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  WipeMemory(buf, sizeof buf);
  if (in.bad()) {
    WipeString(content);
    return InvalidArgument(what + " " + path + ": read error");
  }
  return content;
}

Status CheckInputSize(std::string_view input, size_t max_bytes, std::string_view what) {
  if (input.size() <= max_bytes) return OkStatus();
  return InvalidArgument(std::string(what) + ": is " + std::to_string(input.size()) +
                         " bytes, more than the limit of " + std::to_string(max_bytes) +
                         " bytes; check that it is the right file");
}

Result<Secret> ReadSecretLine(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(what + " " + path + ": cannot be read");
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  Secret secret(std::move(line));
  return secret;
}

}  // namespace promote
