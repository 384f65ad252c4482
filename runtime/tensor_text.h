// runtime/tensor_text.h — tensor values as text: the literals users type after --at, the nested
// JSON lists gradc prints, and the aligned NumPy-like display for a terminal.
//
// Pure functions, no I/O, so the tensor CLI (docs/tensor-plan.md, slice 2) and the tests share
// one definition of every text form. What format_tensor_json prints, parse_tensor_literal reads
// back with the same shape and bit-identical values (a shape with a zero dimension keeps only
// the dimensions up to the first zero, as with any nested-list notation).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/tensor.h"

namespace gradc::runtime {

using TensorValue = Tensor;  // the name this header has used

// Every malformed literal or inconsistent TensorValue. A literal's message quotes the text (an
// excerpt when long) and names the 1-based column: "'[1,2;3]' at column 7: rows have ...".
class TensorTextError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads what users type: a number ("2.5", "-1e-3", "nan", "inf", "-inf"; shape []), a row
// "[1, 2, 3]" or "[1 2 3]" (shape [3]), MATLAB rows "[1,2;3,4]" (shape [2,2]), NumPy nesting
// "[[1,2],[3,4]]" of any rank up to 32, and "[]" (shape [0]). The quoted strings "nan", "inf"
// and "-inf" are accepted too, so gradc's JSON output reads back; any NaN ("-nan" too) reads as
// the one quiet NaN, since every NaN prints as "nan". Iterative: input size is
// bounded only by memory. Throws TensorTextError.
TensorValue parse_tensor_literal(std::string_view text);

// Nested JSON lists, "[[1, 2], [3, 4]]"; a scalar is a bare number. Numbers are the shortest
// decimal that round-trips (of the float when f32); non-finite values are the strings "nan",
// "inf", "-inf" (gradc's JSON convention). Throws TensorTextError if data does not fit shape.
std::string format_tensor_json(const TensorValue& value, bool f32);

// For people: a header "f64[2,3]" then the rows, numbers right-aligned in columns; an axis
// longer than 6 shows its first and last 3 entries around "...". A scalar is the bare number.
// Without "..." the body is itself a valid literal. Throws TensorTextError like the above.
std::string format_tensor_text(const TensorValue& value, bool f32);

}  // namespace gradc::runtime
