#include "services/lambda/zip_library.h"

#include <dlfcn.h>

#include <string>

namespace stepfn::lambda {
namespace {

// The soname Debian's libzip4 installs (libzip's ABI version 4, that of the zip.h we compile
// against).
constexpr const char* kSoname = "libzip.so.4";

template <typename F>
bool Find(void* handle, const char* name, F* out, std::string* missing) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) {
    if (!missing->empty()) *missing += ", ";
    *missing += name;
    return false;
  }
  *out = reinterpret_cast<F>(symbol);
  return true;
}

Result<const ZipApi*> Load() {
  void* handle = ::dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return Unavailable(std::string("cannot load ") + kSoname +
                       " to unpack deployment packages (install Debian's libzip4): " +
                       (why != nullptr ? why : "unknown reason"));
  }
  static ZipApi api;
  std::string missing;
#define STEPFN_ZIP_FIND(member, name) Find(handle, #name, &api.member, &missing);
  STEPFN_LIBZIP_FUNCTIONS(STEPFN_ZIP_FIND)
#undef STEPFN_ZIP_FIND
  if (!missing.empty()) {
    // The handle stays open: a library once loaded may have run its constructors.
    return Unavailable(std::string(kSoname) + " lacks " + missing);
  }
  return &api;
}

}  // namespace

Result<const ZipApi*> ZipLibrary() {
  static const Result<const ZipApi*> loaded = Load();
  return loaded;
}

}  // namespace stepfn::lambda
