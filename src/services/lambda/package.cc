#include "services/lambda/package.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "services/lambda/zip_library.h"

namespace stepfn::lambda {
namespace {

namespace fs = std::filesystem;

Status CouldNotUnzip(std::string_view detail = "") {
  std::string message(kCouldNotUnzip);
  if (!detail.empty()) {
    message += " (";
    message += detail;
    message += ")";
  }
  return InvalidArgument(std::move(message));
}

Status TooLarge(const UnpackLimits& limits) {
  return OutOfRange("Unzipped size must be smaller than " +
                    std::to_string(limits.max_unpacked_bytes) + " bytes");
}

// The components of an entry's name, or an error when it leaves the root. "a/./b//c/" gives
// {a, b, c}.
Result<std::vector<std::string>> SafeComponents(std::string_view name) {
  if (name.empty() || name.front() == '/') {
    return CouldNotUnzip("entry '" + std::string(name) + "' has an absolute path");
  }
  if (name.find('\\') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return CouldNotUnzip("entry '" + std::string(name) + "' has a backslash or NUL in its path");
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    if (part == "..") {
      return CouldNotUnzip("entry '" + std::string(name) + "' leaves the package's root");
    }
    if (!part.empty() && part != ".") parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

std::string Join(const std::string& root, const std::vector<std::string>& parts, size_t count) {
  std::string path = root;
  for (size_t i = 0; i < count; ++i) {
    path += '/';
    path += parts[i];
  }
  return path;
}

Status Errno(std::string_view what, const std::string& path) {
  return Unavailable(std::string(what) + " " + path + ": " + std::strerror(errno));
}

// Creates the first `count` components under root as real directories. An existing component
// that is not a directory (a file, a symbolic link) is an error: nothing is created through a
// link.
Status MakeDirs(const std::string& root, const std::vector<std::string>& parts, size_t count) {
  for (size_t i = 1; i <= count; ++i) {
    std::string path = Join(root, parts, i);
    if (::mkdir(path.c_str(), 0755) == 0) continue;
    if (errno != EEXIST) return Errno("cannot create directory", path);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return Errno("cannot stat", path);
    if (!S_ISDIR(st.st_mode)) {
      return CouldNotUnzip("'" + Join("", parts, i).substr(1) +
                           "' is both a file and a directory in the package");
    }
  }
  return Status::Ok();
}

struct ZipDeleter {
  const ZipApi* zip;
  void operator()(zip_t* archive) const { zip->discard(archive); }
};
struct ZipFileDeleter {
  const ZipApi* zip;
  void operator()(zip_file_t* file) const { zip->fclose(file); }
};

struct Link {
  std::vector<std::string> parts;
  std::string target;
};

}  // namespace

Result<UnpackResult> UnpackZip(std::string_view zip, const std::string& dir,
                               const UnpackLimits& limits) {
  if (zip.empty()) return CouldNotUnzip();
  ASSIGN_OR_RETURN(const ZipApi* lib, ZipLibrary());
  zip_error_t error;
  lib->error_init(&error);
  zip_source_t* source = lib->source_buffer_create(zip.data(), zip.size(), 0, &error);
  if (source == nullptr) {
    lib->error_fini(&error);
    return CouldNotUnzip();
  }
  std::unique_ptr<zip_t, ZipDeleter> archive(lib->open_from_source(source, ZIP_RDONLY, &error),
                                             ZipDeleter{lib});
  lib->error_fini(&error);
  if (archive == nullptr) {
    lib->source_free(source);
    return CouldNotUnzip();
  }
  zip_int64_t count = lib->get_num_entries(archive.get(), 0);
  if (count < 0) return CouldNotUnzip();
  if (static_cast<uint64_t>(count) > limits.max_entries) {
    return CouldNotUnzip("more than " + std::to_string(limits.max_entries) + " entries");
  }

  // First pass: names and declared sizes (a cheap refusal of honest oversized packages).
  uint64_t declared = 0;
  for (zip_int64_t index = 0; index < count; ++index) {
    zip_stat_t st;
    if (lib->stat_index(archive.get(), static_cast<zip_uint64_t>(index), 0, &st) != 0) {
      return CouldNotUnzip();
    }
    if ((st.valid & ZIP_STAT_SIZE) != 0) {
      declared += st.size;
      if (declared > limits.max_unpacked_bytes) return TooLarge(limits);
    }
  }

  UnpackResult result;
  std::vector<Link> links;
  std::vector<char> buffer(64 * 1024);
  for (zip_int64_t index = 0; index < count; ++index) {
    auto uindex = static_cast<zip_uint64_t>(index);
    const char* raw_name = lib->get_name(archive.get(), uindex, ZIP_FL_ENC_GUESS);
    if (raw_name == nullptr) return CouldNotUnzip();
    std::string_view name(raw_name);
    ASSIGN_OR_RETURN(std::vector<std::string> parts, SafeComponents(name));
    zip_uint8_t opsys = 0;
    zip_uint32_t attributes = 0;
    mode_t mode = 0;
    if (lib->file_get_external_attributes(archive.get(), uindex, 0, &opsys, &attributes) == 0 &&
        opsys == ZIP_OPSYS_UNIX) {
      mode = static_cast<mode_t>(attributes >> 16);
    }
    bool is_dir = name.back() == '/' || S_ISDIR(mode);
    ++result.entries;
    if (parts.empty()) continue;  // "./"
    if (is_dir) {
      RETURN_IF_ERROR(MakeDirs(dir, parts, parts.size()));
      continue;
    }
    std::unique_ptr<zip_file_t, ZipFileDeleter> file(lib->fopen_index(archive.get(), uindex, 0),
                                                     ZipFileDeleter{lib});
    if (file == nullptr) return CouldNotUnzip("entry '" + std::string(name) + "' cannot be read");
    if (S_ISLNK(mode)) {
      std::string target;
      zip_int64_t n;
      while ((n = lib->fread(file.get(), buffer.data(), buffer.size())) > 0) {
        target.append(buffer.data(), static_cast<size_t>(n));
        if (target.size() > 4096) return CouldNotUnzip("symbolic link target too long");
      }
      if (n < 0) return CouldNotUnzip();
      if (target.empty() || target.front() == '/' || target.find('\0') != std::string::npos) {
        return CouldNotUnzip("symbolic link '" + std::string(name) +
                             "' points outside the package");
      }
      links.push_back({std::move(parts), std::move(target)});
      continue;
    }
    RETURN_IF_ERROR(MakeDirs(dir, parts, parts.size() - 1));
    std::string path = Join(dir, parts, parts.size());
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == ELOOP || errno == EISDIR) {
        return CouldNotUnzip("'" + std::string(name) + "' is both a file and a directory");
      }
      return Errno("cannot create", path);
    }
    Status written;
    zip_int64_t n;
    while ((n = lib->fread(file.get(), buffer.data(), buffer.size())) > 0) {
      result.unpacked_bytes += static_cast<uint64_t>(n);
      if (result.unpacked_bytes > limits.max_unpacked_bytes) {
        written = TooLarge(limits);
        break;
      }
      const char* data = buffer.data();
      size_t left = static_cast<size_t>(n);
      while (left > 0) {
        ssize_t w = ::write(fd, data, left);
        if (w < 0) {
          if (errno == EINTR) continue;
          written = Errno("cannot write", path);
          break;
        }
        data += w;
        left -= static_cast<size_t>(w);
      }
      if (!written.ok()) break;
    }
    if (written.ok() && n < 0) written = CouldNotUnzip("entry '" + std::string(name) + "'");
    mode_t perms = (mode & 0777) != 0 ? ((mode & 0777) | 0400) : 0644;
    if (written.ok() && ::fchmod(fd, perms) != 0) written = Errno("cannot chmod", path);
    ::close(fd);
    RETURN_IF_ERROR(written);
  }

  // Links last: no file above was written through one. Each must resolve inside the root,
  // following the links made before it (and, checked again below, after it).
  std::error_code ec;
  fs::path root = fs::canonical(dir, ec);
  if (ec) return Unavailable("cannot resolve " + dir + ": " + ec.message());
  auto inside = [&root](const fs::path& path) {
    std::error_code ignored;
    fs::path resolved = fs::weakly_canonical(path, ignored);
    if (ignored) return false;
    auto [root_end, path_it] =
        std::mismatch(root.begin(), root.end(), resolved.begin(), resolved.end());
    return root_end == root.end();
  };
  for (const Link& link : links) {
    RETURN_IF_ERROR(MakeDirs(dir, link.parts, link.parts.size() - 1));
    std::string path = Join(dir, link.parts, link.parts.size());
    fs::path resolved_target = fs::path(path).parent_path() / link.target;
    if (!inside(resolved_target)) {
      return CouldNotUnzip("symbolic link '" + Join("", link.parts, link.parts.size()).substr(1) +
                           "' points outside the package");
    }
    if (::symlink(link.target.c_str(), path.c_str()) != 0) {
      if (errno == EEXIST) {
        return CouldNotUnzip("'" + Join("", link.parts, link.parts.size()).substr(1) +
                             "' appears twice in the package");
      }
      return Errno("cannot create link", path);
    }
  }
  for (const Link& link : links) {
    std::string path = Join(dir, link.parts, link.parts.size());
    if (!inside(path)) {
      return CouldNotUnzip("symbolic link '" + Join("", link.parts, link.parts.size()).substr(1) +
                           "' points outside the package");
    }
  }
  return result;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  out->clear();
  static constexpr signed char kInvalid = -1;
  signed char table[256];
  std::memset(table, kInvalid, sizeof(table));
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  size_t end = text.size();
  int padding = 0;
  while (end > 0 && text[end - 1] == '=' && padding < 2) {
    --end;
    ++padding;
  }
  if (end % 4 == 1) return false;
  out->reserve(end * 3 / 4);
  uint32_t accumulator = 0;
  int bits = 0;
  for (size_t i = 0; i < end; ++i) {
    signed char value = table[static_cast<unsigned char>(text[i])];
    if (value == kInvalid) return false;
    accumulator = (accumulator << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((accumulator >> bits) & 0xff));
    }
  }
  return true;
}

std::string Sha256Base64(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string Sha256HexOf(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof(digest));
  for (unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

}  // namespace stepfn::lambda
