#include "cli/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "json/parse.h"

namespace stepfn::cli {
namespace {

// Closes a file descriptor when it goes out of scope.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

enum class ReadResult { kOk, kTooLarge, kFailed };

// Reads from `fd` to the end into `text`, leaving at least json::kParsePadding zero bytes of
// spare capacity after its end (see HasParsePadding). `expected` is the size fstat gave (0 when
// unknown); the buffer grows when there is more (a pipe, or a file still being written).
ReadResult ReadAll(int fd, size_t expected, size_t max_bytes, std::string* text) {
  size_t size = 0;
  size_t room = expected > 0 ? expected + 1 : 65536;  // +1: the read that sees the end fits
  text->resize(room + json::kParsePadding);
  for (;;) {
    if (size == room) {
      room *= 2;
      text->resize(room + json::kParsePadding);
    }
    ssize_t n = ::read(fd, text->data() + size, room - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ReadResult::kFailed;
    if (n == 0) break;
    size += static_cast<size_t>(n);
    if (size > max_bytes) return ReadResult::kTooLarge;
  }
  // Shrinking keeps the capacity, and the bytes after the end stay as resize wrote them
  // (zeros), so the text can be parsed in place.
  text->resize(size);
  return ReadResult::kOk;
}

std::string TooLarge(const std::string& path, size_t size, size_t max_bytes) {
  return path + ": " + std::to_string(size) + " bytes is larger than the limit of " +
         std::to_string(max_bytes) + " bytes";
}

}  // namespace

bool HasParsePadding(const std::string& text) {
  return text.capacity() - text.size() >= json::kParsePadding;
}

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  std::string text;
  if (path == "-") {
    switch (ReadAll(STDIN_FILENO, 0, max_bytes, &text)) {
      case ReadResult::kOk:
        return text;
      case ReadResult::kTooLarge:
        return OutOfRange("standard input is larger than " + std::to_string(max_bytes) + " bytes");
      case ReadResult::kFailed:
        break;
    }
    return NotFound("standard input cannot be read");
  }
  struct stat st {};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    // Say why as a look at the path does: missing, a directory, too large, or unreadable.
    if (::stat(path.c_str(), &st) != 0) return NotFound(path + ": no such file");
    if (S_ISDIR(st.st_mode)) return InvalidArgument(path + ": is a directory");
    if (static_cast<size_t>(st.st_size) > max_bytes) {
      return OutOfRange(TooLarge(path, static_cast<size_t>(st.st_size), max_bytes));
    }
    return NotFound(path + ": cannot be read");
  }
  FdCloser closer{fd};
  if (::fstat(fd, &st) != 0) return NotFound(path + ": cannot be read");
  if (S_ISDIR(st.st_mode)) return InvalidArgument(path + ": is a directory");
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return OutOfRange(TooLarge(path, static_cast<size_t>(st.st_size), max_bytes));
  }
  size_t expected = S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0;
  switch (ReadAll(fd, expected, max_bytes, &text)) {
    case ReadResult::kOk:
      return text;
    case ReadResult::kTooLarge:
      return OutOfRange(path + ": larger than the limit of " + std::to_string(max_bytes) +
                        " bytes");
    case ReadResult::kFailed:
      break;
  }
  return NotFound(path + ": cannot be read");
}

Result<json::Value> ReadJsonFile(const std::string& path, size_t max_bytes) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path, max_bytes));
  json::ParseOptions options;
  options.padded = HasParsePadding(text);
  auto v = json::Parse(text, options);
  if (!v.ok()) return v.status().WithPrefix(path);
  return v;
}

}  // namespace stepfn::cli
