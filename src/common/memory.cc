#include "common/memory.h"

#include <malloc.h>

namespace stepfn {

void TuneAllocator() {
  // Blocks up to 256 MiB come from the heap (reused) rather than fresh mmaps; the heap top is
  // trimmed only past 512 MiB of free space.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

}  // namespace stepfn
