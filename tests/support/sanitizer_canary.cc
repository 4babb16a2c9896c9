// A program with one deliberate bug per argument, built only in the sanitizer builds
// (PROMOTE_SANITIZE, PROMOTE_TSAN): sanitizer_selftest and scripts/tsan run it to show that the
// sanitizer passes really catch each kind of bug and fail the process that has it.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <thread>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  volatile int index = 8;  // volatile: the compiler must not see the bug coming
  if (std::strcmp(argv[1], "heap-overflow") == 0) {
    char* buffer = static_cast<char*>(std::malloc(8));
    buffer[index] = 1;
    std::free(buffer);
  } else if (std::strcmp(argv[1], "use-after-free") == 0) {
    char* buffer = static_cast<char*>(std::malloc(8));
    std::free(buffer);
    buffer[index - 8] = 1;
  } else if (std::strcmp(argv[1], "signed-overflow") == 0) {
    volatile int big = std::numeric_limits<int>::max();
    int sum = big + index;
    std::printf("%d\n", sum);
  } else if (std::strcmp(argv[1], "data-race") == 0) {
    int counter = 0;  // written by two threads with nothing ordering them
    std::thread other([&] { counter += index; });
    counter += index;
    other.join();
    std::printf("%d\n", counter);
  } else if (std::strcmp(argv[1], "leak") == 0) {
    void* volatile lost = std::malloc(64);
    lost = nullptr;
    (void)lost;
  } else {
    return 2;
  }
  std::puts("the bug went unnoticed");
  return 0;
}
