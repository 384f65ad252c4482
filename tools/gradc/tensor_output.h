// tools/gradc/tensor_output.h — results as gradc prints and saves them: scalars as the
// scalar commands always have, tensors NumPy-style (text), as nested lists (JSON) or as
// .npy files of the compute type (--save-dir).
#pragma once

#include <string>

#include "ir/types.h"
#include "runtime/tensor.h"

namespace gradc::cli {

// "f = 40.17" for a scalar; "f = f32[2,3]\n[[...]]" for a tensor. The name is padded to `width`.
std::string text_result(const std::string& name, const runtime::Tensor& v, ir::DType t, size_t width = 0);

// A bare number for a scalar (json_number), nested lists for a tensor; each number reads back
// exactly in the compute type.
std::string json_result(const runtime::Tensor& v, ir::DType t);

// Creates DIR (and its parents) if missing; `option` words the error ("--save-dir").
void make_output_dir(const std::string& dir, const std::string& option);

// DIR/FILE as .npy of the compute type ('<f4' or '<f8'), written atomically.
void save_result(const std::string& dir, const std::string& file, const runtime::Tensor& v, ir::DType t);

}  // namespace gradc::cli
