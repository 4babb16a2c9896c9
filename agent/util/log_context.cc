#include "util/log_context.h"

#include <utility>

namespace promote {
namespace {

thread_local std::string t_request_id;

}  // namespace

const std::string& CurrentRequestId() { return t_request_id; }

ScopedRequestId::ScopedRequestId(std::string request_id) : previous_(std::exchange(t_request_id, std::move(request_id))) {}

ScopedRequestId::~ScopedRequestId() { t_request_id = std::move(previous_); }

}  // namespace promote
