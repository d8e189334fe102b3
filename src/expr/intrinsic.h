// Intrinsic functions: States.Format, States.StringToJson, States.JsonToString, States.Array,
// States.ArrayPartition, States.ArrayContains, States.ArrayRange, States.ArrayGetItem,
// States.ArrayLength, States.ArrayUnique, States.Base64Encode, States.Base64Decode,
// States.Hash, States.JsonMerge, States.MathRandom, States.MathAdd, States.StringSplit,
// States.UUID (18 in all).
//
// Compile once ("States.Format('x={}', $.x)" -> a call tree), evaluate many times. Arguments
// are literals (strings in single quotes with \' \{ \} \\ escapes, numbers, true/false/null),
// paths ($..., $$..., $var...), or nested calls.
#pragma once

#include <memory>
#include <string_view>

#include "common/states_error.h"
#include "common/status.h"
#include "expr/scope.h"
#include "json/value.h"

namespace stepfn::expr {

class Intrinsic;
using IntrinsicPtr = std::shared_ptr<const Intrinsic>;

// True when the text looks like an intrinsic call ("States.Name(...)").
bool LooksLikeIntrinsic(std::string_view text);

// Compiles a call. InvalidArgument with AWS's wording where known, saying where it is wrong:
// unknown function, wrong argument count or literal types, bad syntax.
Result<IntrinsicPtr> CompileIntrinsic(std::string_view text);

// Evaluates a call. Failures are ASL errors, as AWS reports them (States.IntrinsicFailure
// or States.Runtime with AWS's cause text).
Fallible<json::Value> EvaluateIntrinsic(const Intrinsic& call, const Scope& scope);

}  // namespace stepfn::expr
