#include "cli/output.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "service/operation.h"
#include "service/result_envelope.h"
#include "util/one_line.h"

namespace promote::cli {
namespace {

// ", in flight: sha256:0123456789ab sha256:… (+3)": the blobs moving now, short digests, so a
// copy that hangs says on what. Two at most on a line; the rest are counted.
std::string InFlightSuffix(const std::vector<std::string>& digests) {
  if (digests.empty()) return "";
  std::string out = ", in flight:";
  for (size_t i = 0; i < digests.size() && i < 2; ++i) out += " " + digests[i].substr(0, 19);
  if (digests.size() > 2) out += " (+" + std::to_string(digests.size() - 2) + ")";
  return out;
}

// stderr's terminal width; 80 where the terminal does not say.
size_t TerminalColumns() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) return size.ws_col;
  return 80;
}

}  // namespace

void PrintJson(const nlohmann::json& j) {
  // Invalid UTF-8 from a registry must not make the result unprintable.
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

int ReportFailure(OutputFormat format, const std::string& command, const Status& status,
                  nlohmann::json body) {
  if (format == OutputFormat::kJson) PrintJson(service::ResultEnvelope(command, status, std::move(body)));
  std::cerr << "promote: " << OneLine(status.message()) << std::endl;
  return ExitCodeFor(status.code());
}

ProgressPrinter::ProgressPrinter(const copy::CopyProgress* progress, bool enabled,
                                 std::chrono::milliseconds interval)
    : progress_(progress),
      tty_(::isatty(STDERR_FILENO) == 1),
      interval_(tty_ ? std::chrono::milliseconds(200) : interval),
      start_(std::chrono::steady_clock::now()) {
  if (enabled) thread_ = std::thread([this] { Run(); });
}

ProgressPrinter::~ProgressPrinter() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  // A live line on a terminal always ends on its summary, however short the operation was; a log
  // gets one only when it got progress lines at all.
  if (printed_ || tty_) PrintLine(true);
}

void ProgressPrinter::Run() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval_, [&] { return stop_; })) {
    PrintLine(false);
    printed_ = true;
  }
}

void ProgressPrinter::PrintLine(bool final_line) {
  int64_t total = progress_->bytes_total.load();
  int64_t done = progress_->bytes_done.load();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  int pct = total > 0 ? static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)) : 0;
  char line[256];
  std::snprintf(line, sizeof line,
                "progress: images %lld/%lld, blobs %lld/%lld, %s/%s (%d%%), %s streamed, %.1fs",
                static_cast<long long>(progress_->images_done.load()),
                static_cast<long long>(progress_->images_total.load()),
                static_cast<long long>(progress_->blobs_done.load()),
                static_cast<long long>(progress_->blobs_total.load()), service::HumanBytes(done).c_str(),
                service::HumanBytes(total).c_str(), pct,
                service::HumanBytes(progress_->bytes_streamed.load()).c_str(), secs);
  std::string text = line;
  if (!final_line) text += InFlightSuffix(progress_->BlobsInFlight());
  if (tty_) {
    // One line that is rewritten in place: anything wider than the terminal would wrap, and every
    // rewrite would leave a line behind.
    const size_t width = TerminalColumns();
    if (text.size() >= width) text.resize(width - 1);
    std::fprintf(stderr, "\r\033[K%s%s", text.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  std::fflush(stderr);
}

}  // namespace promote::cli
