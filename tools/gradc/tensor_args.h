// tools/gradc/tensor_args.h — the data a command runs on: --at values (numbers, tensor
// literals, .npy files), --dim bindings, unifying declared shapes with the values' shapes,
// and checking class labels. Every mistake is a UsageError (exit 2) that names the input,
// its declared shape (with its dims named) and what was given.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/tensor.h"

namespace gradc::cli {

// --at x=1,y=3 / --at 'x=[1,2;3,4]' / --at W=w.npy (repeatable; commas inside brackets do
// not split): one value per graph input, in g.inputs() order, exactly as given (shapes are
// checked by bind_input_dims). Integer label inputs must hold integers.
// With `to_draw`, a param that has an initialiser and no --at value is not an error: its
// value is left empty and (*to_draw)[i] set, for draw_params once the dims are bound.
std::vector<runtime::Tensor> parse_inputs(const std::vector<std::string>& at, const ir::Graph& g,
                                          std::vector<bool>* to_draw = nullptr);

// Fills each input marked in `to_draw` from its initialiser (runtime/init.h), with `seed`.
void draw_params(const ir::Graph& bound, const std::vector<bool>& to_draw, uint64_t seed,
                 std::vector<runtime::Tensor>& values);

// One --at value for input `name`: a .npy file (a value ending in .npy, or naming an existing
// file), a tensor literal ("[1,2;3,4]", "[[1,2],[3,4]]"), or a number (nan, inf allowed).
runtime::Tensor parse_input_value(const std::string& name, const std::string& text, bool integer);

// --dim B=64 (repeatable, commas allowed): each name must be a symbolic dim of the graph.
std::map<std::string, int64_t> parse_dims(const std::vector<std::string>& dims, const ir::Graph& g);

// Unifies each input's declared shape with its value's shape: ranks and concrete dims must
// agree, a symbolic dim takes its value from the first input that has it (or from `given`,
// the --dim values) and every later use must agree. Returns every symbol's value.
// Inputs marked in `skip` (params still to draw) take no part.
std::map<std::string, int64_t> bind_input_dims(const ir::Graph& g,
                                               const std::vector<runtime::Tensor>& values,
                                               std::map<std::string, int64_t> given = {},
                                               const std::vector<bool>& skip = {});

// ir::bind_dims, with an unbound dim reported as a usage error.
ir::Graph bind_dims_or_report(const ir::Graph& g, const std::map<std::string, int64_t>& dims);

// Labels fed to one_hot (and so cross_entropy) must lie in [0, classes) for the class count
// of every OneHot node that reads them. `g` must have its dims bound.
void check_labels(const ir::Graph& g, const std::vector<runtime::Tensor>& values);

// True when every input of the graph is a scalar: the scalar pipeline (f64 by default, JIT).
bool has_only_scalar_inputs(const ir::Graph& g);
// True when every node is a scalar.
bool is_scalar_graph(const ir::Graph& g);

// "y[1,2]" for element `flat` of a tensor of this shape ("y" for a scalar).
std::string element_name(const std::string& name, const std::vector<int64_t>& shape, size_t flat);

// What a command needs to run a program on data: the graph as compiled (dims symbolic),
// the same with dims bound, and the inputs in g.inputs() order.
struct BoundProgram {
  ir::Graph parsed;
  ir::Graph bound;
  std::vector<runtime::Tensor> inputs;
  ir::DType dtype = ir::DType::F64;  // graph_dtype(parsed)
};

// parse_inputs + parse_dims + bind_input_dims + bind_dims + draw_params (params without a
// value start from their initialiser, drawn with `seed`) + check_labels.
BoundProgram bind_program(ir::Graph parsed, const std::vector<std::string>& at,
                          const std::vector<std::string>& dims, uint64_t seed = 0);

}  // namespace gradc::cli
