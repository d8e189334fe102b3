// Helpers shared by the Store implementations (not part of the interface): the checks and the
// error messages every implementation must give alike, so that the shared test suite and the
// engine see the same behaviour whatever the backend.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace stepfn::store::internal {

// OK when the events' ids run last_event_id + 1, + 2, ...; InvalidArgument otherwise.
Status CheckEventIds(const std::string& arn, int64_t last_event_id,
                     const std::vector<HistoryEventRecord>& events);

// FailedPrecondition "version conflict: ...".
Status VersionConflict(const std::string& arn, int64_t stored, int64_t expected);
// FailedPrecondition "lease lost: ...".
Status LeaseLost(const std::string& arn);
// FailedPrecondition "lease held: ..." (AcquireLease while another owner holds it).
Status LeaseHeld(const std::string& arn, const std::string& holder, EpochMillis expiry);
Status ExecutionNotFound(const std::string& arn);

// The lease check of CommitTransition: the caller's (owner, token) against the stored one.
inline bool LeaseMatches(const std::string& stored_owner, int64_t stored_token,
                         const std::string& owner, int64_t token) {
  if (owner.empty()) {
    return stored_owner.empty();
  }
  return stored_owner == owner && stored_token == token;
}

}  // namespace stepfn::store::internal
