// The request the current thread works for, so a line the copy engine logs (a blob retried) can
// say which call it belongs to. The agent sets it for the thread that runs a call; TransferPool
// carries it into the workers that run the call's transfers. Empty outside the agent.
#pragma once

#include <string>

namespace promote {

const std::string& CurrentRequestId();

// Sets the current thread's request id for its lifetime, then restores the previous one.
class ScopedRequestId {
 public:
  explicit ScopedRequestId(std::string request_id);
  ~ScopedRequestId();
  ScopedRequestId(const ScopedRequestId&) = delete;
  ScopedRequestId& operator=(const ScopedRequestId&) = delete;

 private:
  std::string previous_;
};

}  // namespace promote
