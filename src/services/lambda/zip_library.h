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

// The libzip functions package.cc uses, with libzip's own signatures.
struct ZipApi {
  decltype(&::zip_error_init) error_init;
  decltype(&::zip_error_fini) error_fini;
  decltype(&::zip_source_buffer_create) source_buffer_create;
  decltype(&::zip_source_free) source_free;
  decltype(&::zip_open_from_source) open_from_source;
  decltype(&::zip_discard) discard;
  decltype(&::zip_get_num_entries) get_num_entries;
  decltype(&::zip_stat_index) stat_index;
  decltype(&::zip_get_name) get_name;
  decltype(&::zip_file_get_external_attributes) file_get_external_attributes;
  decltype(&::zip_fopen_index) fopen_index;
  decltype(&::zip_fread) fread;
  decltype(&::zip_fclose) fclose;
};

// The loaded table, or Unavailable naming the library and dlopen's reason when libzip
// (Debian package libzip4) cannot be loaded. The first call loads; later calls return the
// same answer.
Result<const ZipApi*> ZipLibrary();

}  // namespace stepfn::lambda
