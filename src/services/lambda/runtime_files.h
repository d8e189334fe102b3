// The runtime clients stepfn runs managed runtimes with (runtimes/python/runtime.py for
// python3.*, runtimes/node/runtime.js for nodejs*), built into the binary from the repository's
// runtimes/ folder (embed_files.cmake) and written to the environments' work_dir at start-up,
// so that the `stepfn` binary needs no files beside it.
#pragma once

#include <string_view>
#include <vector>

namespace stepfn::lambda {

struct EmbeddedFile {
  std::string_view path;  // relative to runtimes/, e.g. "python/runtime.py"
  std::string_view data;
};

// Every file embedded at build time (empty when the repository had no runtimes/ folder).
const std::vector<EmbeddedFile>& RuntimeFiles();

}  // namespace stepfn::lambda
