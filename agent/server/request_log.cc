#include "server/request_log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace promote::server {
namespace {

int Rank(const std::string& level) {
  if (level == "trace" || level == "debug") return 0;
  if (level == "info") return 1;
  if (level == "warn") return 2;
  if (level == "error") return 3;
  return 4;  // off
}

std::string Now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
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
    nlohmann::json j = {{"time", Now()}, {"level", level}, {"event", event}};
    if (fields.is_object()) {
      for (const auto& [k, v] : fields.items()) j[k] = v;
    }
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = Now() + " " + level + " " + event;
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
