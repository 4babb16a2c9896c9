#include "server/request_log.h"

#include <cstdio>
#include <mutex>

#include "promotion/promotion_record.h"

namespace promote::server {
namespace {

int Rank(const std::string& level) {
  if (level == "trace" || level == "debug") return 0;
  if (level == "info") return 1;
  if (level == "warn") return 2;
  if (level == "error") return 3;
  return 4;  // off
}

std::mutex& LogMutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

RequestLog::RequestLog(bool json, const std::string& level) : json_(json), min_rank_(Rank(level)) {}

void RequestLog::Info(const std::string& event, const nlohmann::json& fields) const { Write("info", 1, event, fields); }
void RequestLog::Warn(const std::string& event, const nlohmann::json& fields) const { Write("warn", 2, event, fields); }
void RequestLog::Error(const std::string& event, const nlohmann::json& fields) const {
  Write("error", 3, event, fields);
}

void RequestLog::Write(const char* level, int rank, const std::string& event, const nlohmann::json& fields) const {
  if (rank < min_rank_) return;
  std::string line;
  if (json_) {
    nlohmann::json j = {{"time", promotion::NowRfc3339()}, {"level", level}, {"event", event}};
    if (fields.is_object()) {
      for (const auto& [k, v] : fields.items()) j[k] = v;
    }
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = promotion::NowRfc3339() + " " + level + " " + event;
    if (fields.is_object()) {
      for (const auto& [k, v] : fields.items()) {
        line += " " + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false,
                                                                                  nlohmann::json::error_handler_t::replace));
      }
    }
  }
  std::lock_guard lock(LogMutex());
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace promote::server
