// ir/op.h — the op enum and the facts every stage needs about an op.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace gradc::ir {

enum class OpKind : uint8_t { Leaf, Unary, Binary, Ternary, Tensor };

enum class Op : uint8_t {
#define OP(name, mnemonic, arity, kind) name,
#include "ir/ops.def"
#undef OP
};

inline constexpr int kOpCount = 0
#define OP(name, mnemonic, arity, kind) +1
#include "ir/ops.def"
#undef OP
    ;

struct OpInfo {
  std::string_view mnemonic;
  int arity;
  OpKind kind;
};

const OpInfo& op_info(Op op);
inline std::string_view mnemonic(Op op) { return op_info(op).mnemonic; }
inline int arity(Op op) { return op_info(op).arity; }
// Unary, binary and ternary ops work element by element (with broadcasting).
inline bool is_elementwise(Op op) {
  const OpKind k = op_info(op).kind;
  return k == OpKind::Unary || k == OpKind::Binary || k == OpKind::Ternary;
}

// For exhaustive switches that treat the elementwise ops elsewhere: with
//   #define OP(name, mnemonic, arity, kind) GRADC_ELEMENTWISE_CASE_##kind(name)
//   #include "ir/ops.def"
// a switch gets a case label for every Unary, Binary and Ternary op and none for the
// rest, so -Wswitch still names any leaf or tensor op a new row of ops.def leaves out.
#define GRADC_ELEMENTWISE_CASE_Unary(name) case ::gradc::ir::Op::name:
#define GRADC_ELEMENTWISE_CASE_Binary(name) case ::gradc::ir::Op::name:
#define GRADC_ELEMENTWISE_CASE_Ternary(name) case ::gradc::ir::Op::name:
#define GRADC_ELEMENTWISE_CASE_Leaf(name)
#define GRADC_ELEMENTWISE_CASE_Tensor(name)

// The op named `mnemonic` in the textual IR, if any.
std::optional<Op> op_from_mnemonic(std::string_view mnemonic);

// Ops whose derivative is zero almost everywhere (piecewise constant): the
// reverse sweep sends no gradient through them.
bool is_piecewise_constant(Op op);

}  // namespace gradc::ir
