#include "registry/docker_auth_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "oci/reference.h"
#include "util/base64.h"

namespace promote::registry {

std::string DockerConfigKey(std::string_view registry_host) {
  if (oci::IsDockerHub(registry_host)) return std::string(oci::kDockerHubConfigKey);
  return std::string(registry_host);
}

Status WriteDockerAuthFile(const std::string& dir, std::string_view registry_host, std::string_view username,
                           const Secret& password) {
  if (registry_host.empty())
    return InvalidArgument("credentials given without a registry host to use them for");
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return Internal("cannot create " + dir + ": " + std::strerror(errno));
  }
  const std::string path = dir + "/config.json";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot create " + path + ": " + std::strerror(errno));

  std::string userpass;
  userpass.reserve(username.size() + 1 + password.reveal().size());
  userpass.append(username).append(":").append(password.reveal());
  std::string auth = Base64Encode(userpass);
  WipeString(userpass);
  nlohmann::json doc{{"auths", {{DockerConfigKey(registry_host), {{"auth", auth}}}}}};
  WipeString(auth);
  std::string text = doc.dump(2);
  // The json object's copy of the encoded credential cannot be wiped in place; drop it at once.
  doc = nullptr;
  text.push_back('\n');

  Status status;
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = Internal("cannot write " + path + ": " + std::strerror(errno));
      break;
    }
    written += static_cast<size_t>(n);
  }
  WipeString(text);
  if (::close(fd) != 0 && status.ok())
    status = Internal("cannot write " + path + ": " + std::strerror(errno));
  return status;
}

}  // namespace promote::registry
