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
  Find(handle, "zip_error_init", &api.error_init, &missing);
  Find(handle, "zip_error_fini", &api.error_fini, &missing);
  Find(handle, "zip_source_buffer_create", &api.source_buffer_create, &missing);
  Find(handle, "zip_source_free", &api.source_free, &missing);
  Find(handle, "zip_open_from_source", &api.open_from_source, &missing);
  Find(handle, "zip_discard", &api.discard, &missing);
  Find(handle, "zip_get_num_entries", &api.get_num_entries, &missing);
  Find(handle, "zip_stat_index", &api.stat_index, &missing);
  Find(handle, "zip_get_name", &api.get_name, &missing);
  Find(handle, "zip_file_get_external_attributes", &api.file_get_external_attributes, &missing);
  Find(handle, "zip_fopen_index", &api.fopen_index, &missing);
  Find(handle, "zip_fread", &api.fread, &missing);
  Find(handle, "zip_fclose", &api.fclose, &missing);
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
