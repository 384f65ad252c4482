// tests/fuzz/program_pipeline.h — a program text through the stages gradc runs it through,
// for the two program fuzz targets. Each stage is the library entry point the CLI uses.
#pragma once

#include <optional>
#include <string_view>

#include "ir/graph.h"

namespace gradc::fuzz {

// Parses and lowers `text` with the CLI's default compute type (f32 when an input is a tensor,
// else f64) and checks the IR verifier accepts the result (an IR the frontend built broken is
// a crash). nullopt when the frontend rejects the program with a CompileError.
std::optional<ir::Graph> lower_program(std::string_view text);

// `gradc grad -O2`'s pipeline: autodiff with respect to every differentiable input, then the
// -O2 passes, each verified by the pass manager (a broken invariant aborts). nullopt when the
// pipeline rejects the graph with a usage error.
std::optional<ir::Graph> differentiate_o2(const ir::Graph& parsed);

}  // namespace gradc::fuzz
