#include "tests/support/hostile_registry.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"

namespace promote::testing {

HostileRegistry::HostileRegistry(const nlohmann::json& config) : dir_(std::make_unique<TempDir>()) {
  std::string config_path = dir_->Write("config.json", config.dump());
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"python3", std::string(PROMOTE_TEST_SUPPORT_DIR) + "/hostile_registry.py",
                               config_path},
      dir_->path() + "/hostile.log");
  bool ready = WaitUntil(
      [&] {
        for (const auto& line : Requests()) {
          if (line.contains("side_port")) {
            port_ = line["port"];
            side_port_ = line["side_port"];
            return true;
          }
        }
        return !process_->Running();
      },
      std::chrono::seconds(15));
  if (!ready || port_ == 0) {
    throw std::runtime_error("hostile_registry.py did not start (" + process_->DescribeExit() + "); log:\n" +
                             log());
  }
}

HostileRegistry::~HostileRegistry() = default;

std::string HostileRegistry::log() const {
  std::ifstream in(dir_->path() + "/hostile.log", std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<nlohmann::json> HostileRegistry::Requests() const {
  std::vector<nlohmann::json> out;
  std::istringstream lines(log());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

std::vector<nlohmann::json> HostileRegistry::Requests(const std::string& listener) const {
  std::vector<nlohmann::json> out;
  for (auto& r : Requests()) {
    if (r.value("listener", "") == listener) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace promote::testing
