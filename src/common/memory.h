// Process-wide allocator settings, applied once at start-up by each binary's main().
#pragma once

namespace stepfn {

// Keeps freed memory in the process instead of returning it to the kernel after every large
// free: an engine allocates and frees large history buffers over and over, and glibc's default
// (mmap for big blocks, trimming the heap top) turns each reuse into page faults. Idempotent.
void TuneAllocator();

}  // namespace stepfn
