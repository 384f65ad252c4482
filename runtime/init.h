// runtime/init.h — parameter values drawn from their initialisers, seeded.
//
// `param W[784, 256] = he()` says how W starts; training draws it, and `gradc eval`/`grad`
// draw it when no --at value is given. Draws are reproducible: the same seed gives the
// same values on any machine (the generator and the normal transform are gradc's own,
// not the standard library's, whose distributions differ between implementations), and
// each param has its own stream keyed by its name, so adding a param leaves the others'
// values unchanged.
//
// Fan-in and fan-out (what he() and xavier() scale by) come from how the param is used:
// in x @ W (W on the right of a matmul, possibly through a transpose that swaps its last
// two axes) fan-in is the dim the product contracts, W's second-to-last (784 for
// W[784, 256]), fan-out its last; in W @ x, fan-in is W's last dim, fan-out the one
// before. A param that no matmul uses (a bias) gets fan-in = fan-out = its element count.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "ir/graph.h"
#include "runtime/tensor.h"

namespace gradc::runtime {

struct Fans {
  int64_t in = 1, out = 1;
};

// The fans of input `param` in g (dims bound).
Fans param_fans(const ir::Graph& g, ir::NodeId param);

// The value of a param of this concrete shape drawn from `init` as written in the program
// ("he()", "normal(0, 0.01)", "uniform(-1, 1)", "constant(0.5)", "zeros()", "ones()",
// "xavier()", "xavier_normal()", "he_uniform()"). Throws std::invalid_argument for anything else.
Tensor draw_initial(const std::string& init, const std::vector<int64_t>& shape, Fans fans, uint64_t seed,
                    const std::string& stream);

}  // namespace gradc::runtime
