#include "server/request_log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <mutex>

#include "promotion/promotion_record.h"
#include "util/log_context.h"

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

spdlog::level::level_enum SpdlogLevel(int rank) {
  switch (rank) {
    case 0: return spdlog::level::debug;
    case 1: return spdlog::level::info;
    case 2: return spdlog::level::warn;
    case 3: return spdlog::level::err;
    default: return spdlog::level::off;
  }
}

// Holds a copy of the RequestLog (two settings), so the sink outlives no one it points to.
class RequestLogSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RequestLogSink(RequestLog log) : log_(std::move(log)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    nlohmann::json fields = {{"message", std::string(msg.payload.data(), msg.payload.size())}};
    if (!CurrentRequestId().empty()) fields["request_id"] = CurrentRequestId();
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: log_.Debug("log", fields); break;
      case spdlog::level::info: log_.Info("log", fields); break;
      case spdlog::level::warn: log_.Warn("log", fields); break;
      default: log_.Error("log", fields); break;
    }
  }
  void flush_() override {}

 private:
  RequestLog log_;
};

}  // namespace

RequestLog::RequestLog(bool json, const std::string& level) : json_(json), min_rank_(Rank(level)) {}

void RequestLog::Info(const std::string& event, const nlohmann::json& fields) const { Write("info", 1, event, fields); }
void RequestLog::Warn(const std::string& event, const nlohmann::json& fields) const { Write("warn", 2, event, fields); }
void RequestLog::Error(const std::string& event, const nlohmann::json& fields) const {
  Write("error", 3, event, fields);
}

void RequestLog::Debug(const std::string& event, const nlohmann::json& fields) const { Write("debug", 0, event, fields); }

void RequestLog::Audit(const nlohmann::json& fields) const {
  // Rank 3 passes every level below off, yet the line says info: it reports, it does not alarm.
  if (min_rank_ > 3) return;
  Write("info", 4, "audit", fields);
}

void RequestLog::CaptureLibraryLog() const {
  auto logger = std::make_shared<spdlog::logger>("promote", std::make_shared<RequestLogSink>(*this));
  logger->set_level(SpdlogLevel(min_rank_));
  spdlog::set_default_logger(std::move(logger));
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
