#include "store/store.h"

#include <charconv>
#include <future>
#include <utility>

#include "store/store_internal.h"

namespace stepfn::store {

namespace {

constexpr std::string_view kStatusNames[] = {"RUNNING",   "SUCCEEDED", "FAILED",
                                             "TIMED_OUT", "ABORTED",   "PENDING_REDRIVE"};

// Runs an asynchronous write and waits for its outcome.
template <typename F>
Status Wait(F&& start) {
  std::promise<Status> promise;
  std::future<Status> future = promise.get_future();
  start([&promise](Status status) { promise.set_value(std::move(status)); });
  return future.get();
}

}  // namespace

std::string_view ExecutionStatusName(ExecutionStatus status) {
  return kStatusNames[static_cast<int>(status)];
}

Result<ExecutionStatus> ParseExecutionStatus(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kStatusNames)); ++i) {
    if (kStatusNames[i] == name) {
      return static_cast<ExecutionStatus>(i);
    }
  }
  return InvalidArgument("unknown execution status '" + std::string(name) + "'");
}

bool IsTerminal(ExecutionStatus status) {
  switch (status) {
    case ExecutionStatus::Succeeded:
    case ExecutionStatus::Failed:
    case ExecutionStatus::TimedOut:
    case ExecutionStatus::Aborted:
      return true;
    case ExecutionStatus::Running:
    case ExecutionStatus::PendingRedrive:
      return false;
  }
  return false;
}

Status Store::CreateExecution(ExecutionRecord execution, Transition initial) {
  return Wait([&](WriteCallback done) {
    CreateExecutionAsync(std::move(execution), std::move(initial), std::move(done));
  });
}

Status Store::CommitTransition(Transition transition) {
  return Wait(
      [&](WriteCallback done) { CommitTransitionAsync(std::move(transition), std::move(done)); });
}

std::string EncodePageToken(int64_t key, std::string_view tail) {
  std::string token = std::to_string(key);
  token += ':';
  token += tail;
  return token;
}

Status DecodePageToken(std::string_view token, int64_t* key, std::string* tail) {
  size_t colon = token.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("invalid page token");
  }
  const char* first = token.data();
  const char* last = token.data() + colon;
  auto [ptr, ec] = std::from_chars(first, last, *key);
  if (ec != std::errc() || ptr != last) {
    return InvalidArgument("invalid page token");
  }
  tail->assign(token.substr(colon + 1));
  return Status::Ok();
}

int ClampLimit(int limit) {
  if (limit < 1) {
    return 1;
  }
  return limit > kMaxPageSize ? kMaxPageSize : limit;
}

namespace internal {

Status CheckEventIds(const std::string& arn, int64_t last_event_id,
                     const std::vector<HistoryEventRecord>& events) {
  int64_t want = last_event_id + 1;
  for (const HistoryEventRecord& event : events) {
    if (event.id != want) {
      return InvalidArgument("history of " + arn + ": event id " + std::to_string(event.id) +
                             " where " + std::to_string(want) +
                             " was expected (ids must continue the history with no gap)");
    }
    ++want;
  }
  return Status::Ok();
}

Status VersionConflict(const std::string& arn, int64_t stored, int64_t expected) {
  return FailedPrecondition("version conflict: execution " + arn + " is at version " +
                            std::to_string(stored) + ", the transition expected " +
                            std::to_string(expected));
}

Status LeaseLost(const std::string& arn) {
  return FailedPrecondition("lease lost: execution " + arn +
                            " is leased by another owner or with a newer fencing token");
}

Status LeaseHeld(const std::string& arn, const std::string& holder, EpochMillis expiry) {
  return FailedPrecondition("lease held: execution " + arn + " is leased by '" + holder +
                            "' until " + FormatIso8601Millis(expiry));
}

Status ExecutionNotFound(const std::string& arn) {
  return NotFound("execution " + arn + " does not exist");
}

}  // namespace internal

}  // namespace stepfn::store
