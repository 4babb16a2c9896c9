#include "cli/cancel_watch.h"

#include <cerrno>
#include <csignal>

namespace promote::cli {
namespace {

volatile std::sig_atomic_t g_signalled = 0;

extern "C" void OnSignal(int sig) {
  // The interrupted code may be about to read errno: a handler must leave it as it found it.
  const int saved_errno = errno;
  g_signalled = 1;
  // The next one is not intercepted: a second Ctrl-C ends the process.
  std::signal(sig, SIG_DFL);
  errno = saved_errno;
}

}  // namespace

CancelWatch::CancelWatch(int timeout_s, std::function<void()> cancel)
    : cancel_(std::move(cancel)),
      deadline_(std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s)),
      has_deadline_(timeout_s > 0) {
  g_signalled = 0;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  thread_ = std::thread([this] { Run(); });
}

CancelWatch::~CancelWatch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

const char* CancelWatch::reason() const { return reason_; }

void CancelWatch::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    // A signal handler can do nothing but set a flag; this thread acts on it.
    cv_.wait_for(lock, std::chrono::milliseconds(50));
    if (stop_) break;
    bool timed_out = has_deadline_ && std::chrono::steady_clock::now() >= deadline_;
    if (g_signalled != 0 || timed_out) {
      // Set before cancelling: whoever sees the cancel must see why.
      reason_ = g_signalled != 0 ? "interrupted" : "timed out";
      cancel_();
      return;
    }
  }
}

}  // namespace promote::cli
