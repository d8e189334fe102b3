// libzip, loaded on first use.
//
// Only the server unpacks deployment packages, yet every `stepfn` command would pay for libzip
// if the binary linked it: libzip pulls in libcrypto, whose ~4,000 relocations are resolved at
// start-up (BIND_NOW), about half of what `stepfn validate` spent before its own work
// (BENCHMARKS.md, "Process start"). So package.cc reaches libzip through this table, filled by
// dlopen the first time a package is unpacked.
//
// Thread safety: ZipLibrary() may be called from any thread; the table never changes once
// loaded.
#pragma once

#include <zip.h>

#include "common/status.h"

namespace stepfn::lambda {

// The libzip functions package.cc uses, as X(member, libzip's name): one list for the table's
// members and for the lookups that fill them.
#define STEPFN_LIBZIP_FUNCTIONS(X)                                  \
  X(error_init, zip_error_init)                                     \
  X(error_fini, zip_error_fini)                                     \
  X(source_buffer_create, zip_source_buffer_create)                 \
  X(source_free, zip_source_free)                                   \
  X(open_from_source, zip_open_from_source)                         \
  X(discard, zip_discard)                                           \
  X(get_num_entries, zip_get_num_entries)                           \
  X(stat_index, zip_stat_index)                                     \
  X(get_name, zip_get_name)                                         \
  X(file_get_external_attributes, zip_file_get_external_attributes) \
  X(fopen_index, zip_fopen_index)                                   \
  X(fread, zip_fread)                                               \
  X(fclose, zip_fclose)

// Those functions, with libzip's own signatures.
struct ZipApi {
#define STEPFN_ZIP_MEMBER(member, name) decltype(&::name) member;
  STEPFN_LIBZIP_FUNCTIONS(STEPFN_ZIP_MEMBER)
#undef STEPFN_ZIP_MEMBER
};

// The loaded table, or Unavailable naming the library and dlopen's reason when libzip
// (Debian package libzip4) cannot be loaded. The first call loads; later calls return the
// same answer.
Result<const ZipApi*> ZipLibrary();

}  // namespace stepfn::lambda
