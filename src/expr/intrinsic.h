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

// Compiles a call. InvalidArgument saying what is wrong and at which character: bad syntax,
// an unknown function, a string escape other than \' \{ \} \\, an invalid path argument,
// nesting deeper than 10 calls. As on AWS, argument counts and argument types are checked when
// the call runs (AWS accepts `States.Hash()` in a definition and fails the execution), so they
// are not compile errors.
Result<IntrinsicPtr> CompileIntrinsic(std::string_view text);

// Evaluates a call. Failures are ASL errors as AWS reports them, always States.Runtime:
//   wrong argument count or types, values out of range ->
//       "Invalid arguments in States.ArrayPartition"
//   a path argument that selects nothing ->
//       "The JSONPath '$.x' specified for the field 'f.$' could not be found in the input '{}'"
// `field` is the payload-template key holding the call ("f.$"), used in those messages.
// Causes carry no "An error occurred while executing the state 'S' (entered at the event id
// #N). " prefix: the interpreter adds it, as it knows the state and event id.
// Thread safety: a compiled Intrinsic is immutable; evaluate it from any number of threads.
Fallible<json::Value> EvaluateIntrinsic(const Intrinsic& call, const Scope& scope,
                                        std::string_view field = {});

}  // namespace stepfn::expr
