// ir/op.cpp — the op table, expanded from ir/ops.def.
#include "ir/op.h"

#include <array>

namespace gradc::ir {

namespace {
constexpr std::array<OpInfo, kOpCount> kOpTable = {{
#define OP(name, mnemonic, arity, kind) {mnemonic, arity, OpKind::kind},
#include "ir/ops.def"
#undef OP
}};
}  // namespace

const OpInfo& op_info(Op op) { return kOpTable[static_cast<size_t>(op)]; }

std::optional<Op> op_from_mnemonic(std::string_view m) {
  for (size_t i = 0; i < kOpTable.size(); ++i)
    if (kOpTable[i].mnemonic == m) return static_cast<Op>(i);
  return std::nullopt;
}

bool is_piecewise_constant(Op op) {
  return op == Op::Step || op == Op::Sign || op == Op::Ge;
}

}  // namespace gradc::ir
