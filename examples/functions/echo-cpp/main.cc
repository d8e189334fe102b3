// echo-cpp: a Lambda function in C++ (runtime provided.al2023) that answers its event as it came.
// Built as `bootstrap` by stepfn's CMake (build/examples/functions/echo-cpp/bootstrap); deploy it
// zipped: `zip function.zip bootstrap`, then CreateFunction with Runtime provided.al2023.
#include "stepfn/lambda_runtime.h"

int main() {
  using stepfn::lambda_runtime::Invocation;
  using stepfn::lambda_runtime::Response;
  // The payload view stays valid until the answer is posted: no copy.
  return stepfn::lambda_runtime::Run(
      [](const Invocation& invocation) { return Response::Borrowed(invocation.payload); });
}
