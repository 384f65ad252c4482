// ir/text_parser.cpp — the grammar of the textual IR, one function per construct.
//
//   ir      := 'func' '@' name dims? '(' input,* ')' '{' line* 'return' output,* '}'
//   dims    := '<' name,* '>'                                  symbolic dims, in symbol order
//   input   := 'param'? %name ':' type (':' 'int')? ('=' init)? notes?
//   line    := %label '=' op number? %operand,* attr? ':' type notes?
//   attr    := '{' key '=' '[' dim,* ']' '}'
//   notes   := '#' part,*   part := name | role | 'adjoint of' %v,* | 'in' group
//
// Why a flat loop per construct: the text may be any size and any garbage, so
// nothing recurses and every check happens before Graph::add, whose asserts would
// abort. Adjoint links may point forward, so they are resolved at the end.
#include "ir/text_parser.h"

#include <fmt/format.h>

#include <optional>
#include <unordered_map>

#include "ir/text_reader.h"
#include "ir/text_syntax.h"
#include "ir/verifier.h"

namespace gradc::ir {

namespace {

using text::Label;

// Symbols ?k past this are surely a typo, and would overflow nothing but memory.
constexpr int64_t kMaxSymbol = 1 << 20;

struct Notes {
  std::optional<std::string> name;
  std::optional<Role> role;
  std::vector<std::pair<std::string, size_t>> adjoint_of;  // keys, and where each is written
  std::optional<std::string> group;
};

// "node 5 (add): cannot broadcast ..." → "cannot broadcast ...": the ids are not the text's labels.
std::string without_node_prefix(const std::string& msg) {
  const size_t colon = msg.find("): ");
  return msg.rfind("node ", 0) == 0 && colon != std::string::npos ? msg.substr(colon + 3) : msg;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view name) : r_(text, name) {}

  Graph parse() {
    header();
    while (!body_line()) {
    }
    r_.end_of_line();
    r_.skip_blank();
    r_.expect('}', "to close the function");
    r_.skip_blank();
    if (!r_.at_end()) r_.fail("unexpected text after the function's '}'");
    resolve_adjoints();
    return std::move(g_);
  }

 private:
  void header() {
    r_.skip_blank();
    r_.expect_word("func", "to start the IR (func @f(%x: f64[]) { ... })");
    r_.expect('@', "before the function's name");
    r_.name("the function's name");
    if (r_.accept('<')) dim_declarations();
    r_.expect('(', "to open the function's inputs");
    for (;;) {
      r_.skip_blank();
      if (r_.accept(')')) break;
      const NodeId id = input_declaration();
      const bool comma = r_.accept(',');
      apply_input_notes(id, notes());
      if (!comma) {
        r_.skip_blank();
        r_.expect(')', "or ',' after an input");
        break;
      }
    }
    r_.expect('{', "to open the function's body");
    r_.end_of_line();
  }

  void dim_declarations() {
    if (r_.accept('>')) return;
    do {
      r_.skip_space();
      const size_t at = r_.pos();
      std::string dim = r_.name("a dim's name");
      if (symbol_of(dim)) r_.fail_at(at, fmt::format("dim {} is declared twice", text::name_text(dim)));
      g_.dim_names.names.push_back(std::move(dim));
    } while (r_.accept(','));
    r_.expect('>', "to close the dim names");
  }

  std::optional<int> symbol_of(const std::string& dim) const {
    const auto& names = g_.dim_names.names;
    for (size_t k = 0; k < names.size(); ++k)
      if (names[k] == dim) return static_cast<int>(k);
    return std::nullopt;
  }

  NodeId input_declaration() {
    Node n;
    n.op = Op::Input;
    n.role = r_.accept_word("param") ? Role::Param : Role::Input;
    r_.skip_space();
    const size_t at = r_.pos();
    const Label label = r_.label("an input");
    if (label.numbered)
      r_.fail_at(at, fmt::format("an input needs a name: {} would be the label of a node", label.shown()));
    if (values_.count(label.key())) r_.fail_at(at, fmt::format("input {} is declared twice", label.shown()));
    n.name = label.text;
    r_.expect(':', "before the input's type");
    type(n);
    if (r_.accept(':')) {
      r_.expect_word("int", "after ':' (integer labels read %y: f32[B] : int)");
      n.integer = true;
    }
    if (r_.accept('=')) n.init = initialiser();
    return values_[label.key()] = g_.add(std::move(n));
  }

  std::string initialiser() {
    r_.skip_space();
    if (r_.peek() == '"') return r_.name("an initialiser");
    std::string call = r_.word("an initialiser such as he() or zeros()");
    r_.expect('(', "after the initialiser's name");
    return call + "(" + r_.rest_of_call() + ")";
  }

  // f32[B,784]
  void type(Node& n) {
    r_.skip_space();
    const size_t at = r_.pos();
    const std::string dtype = r_.word("a type such as f64[] or f32[B,784]");
    if (dtype == "f32") n.dtype = DType::F32;
    else if (dtype == "f64") n.dtype = DType::F64;
    else r_.fail_at(at, fmt::format("unknown element type '{}' (f32 or f64)", dtype));
    r_.expect('[', "after the element type (a scalar is f64[])");
    n.shape.dims = dim_list();
  }

  // After '[': "B,784]". Sizes, declared dim names, or ?k for an unnamed symbol.
  std::vector<int64_t> dim_list() {
    std::vector<int64_t> dims;
    if (r_.accept(']')) return dims;
    do dims.push_back(dim());
    while (r_.accept(','));
    r_.expect(']', "to close the dims");
    return dims;
  }

  int64_t dim() {
    r_.skip_space();
    const size_t at = r_.pos();
    if (r_.accept('?')) {
      const int64_t k = r_.integer("a symbol number after '?'");
      if (k < 0 || k >= kMaxSymbol) r_.fail_at(at, fmt::format("symbol ?{} out of range", k));
      return symbol_dim(static_cast<int>(k));
    }
    if (r_.peek() >= '0' && r_.peek() <= '9') return r_.integer("a dim");
    if (!r_.next_is_name()) r_.fail("expected a dim: a size, a declared name, or ?k");
    const std::string name = r_.name("a dim");
    if (auto k = symbol_of(name)) return symbol_dim(*k);
    r_.fail_at(at, fmt::format("unknown dim {}: declare it after the function's name, as in func @f<{}>",
                               text::name_text(name), text::name_text(name)));
  }

  // One line of the body; true after the return line.
  bool body_line() {
    r_.skip_blank();
    if (r_.at_end()) r_.fail("unexpected end of the IR: expected 'return' and '}'");
    if (r_.accept_word("return")) {
      outputs();
      return true;
    }
    if (r_.peek() != '%') r_.fail("expected a node (%N = op ...) or 'return'");
    node_line();
    return false;
  }

  void node_line() {
    const size_t at = r_.pos();
    const Label label = r_.label("a node");
    if (values_.count(label.key())) r_.fail_at(at, fmt::format("{} is defined twice", label.shown()));
    r_.expect('=', "after the node's label");
    r_.skip_space();
    const size_t op_at = r_.pos();
    Node n;
    n.op = op(r_.word("an op"), op_at);
    n.role = text::default_role(n.op);
    if (n.op == Op::Const) n.value = r_.number("the constant's value");
    const std::vector<size_t> operand_at = operands(n, label);
    if (r_.accept('{')) attribute(n);
    r_.expect(':', "before the node's type");
    type(n);
    check_operand_types(n, operand_at);
    const Notes node_notes = notes();
    apply_node_notes(n, node_notes);
    r_.end_of_line();
    values_[label.key()] = add_verified(std::move(n), node_notes.group.value_or(""), op_at);
  }

  Op op(const std::string& mnemonic, size_t at) const {
    const std::optional<Op> op = op_from_mnemonic(mnemonic);
    if (!op) r_.fail_at(at, fmt::format("unknown op '{}'", mnemonic));
    if (*op == Op::Input) r_.fail_at(at, "inputs are declared in the function's header, not as nodes");
    return *op;
  }

  // "%0, %x": fills n.inputs; returns where each operand is written.
  std::vector<size_t> operands(Node& n, const Label& self) {
    std::vector<size_t> at;
    r_.skip_space();
    if (r_.peek() == '%') {
      do {
        r_.skip_space();
        at.push_back(r_.pos());
        const Label ref = r_.label("an operand");
        if (ref.key() == self.key()) r_.fail_at(at.back(), fmt::format("{} is used in its own definition", ref.shown()));
        n.inputs.push_back(resolve(ref, at.back()));
      } while (r_.accept(','));
    }
    if (static_cast<int>(n.inputs.size()) != arity(n.op))
      r_.fail(fmt::format("'{}' takes {} operand(s), got {}", mnemonic(n.op), arity(n.op), n.inputs.size()));
    return at;
  }

  NodeId resolve(const Label& ref, size_t at) const {
    if (auto it = values_.find(ref.key()); it != values_.end()) return it->second;
    if (r_.defined_later(ref.key()))
      r_.fail_at(at, fmt::format("{} is used before its definition (operands come first)", ref.shown()));
    r_.fail_at(at, fmt::format("unknown value {}", ref.shown()));
  }

  // After '{': "axes=[1]}" (the key is the op's: ir/text_syntax.h attr_key).
  void attribute(Node& n) {
    r_.skip_space();
    const size_t at = r_.pos();
    const std::string key = r_.word("an attribute name");
    if (key != text::attr_key(n.op))
      r_.fail_at(at, fmt::format("'{}' has the attribute '{}', not '{}'", mnemonic(n.op), text::attr_key(n.op), key));
    r_.expect('=', "after the attribute's name");
    r_.expect('[', "to open the attribute's list");
    if (n.op == Op::Const) {
      n.attr = dim_list();  // a count's dims may be symbols
    } else if (!r_.accept(']')) {
      do n.attr.push_back(r_.integer("an integer"));
      while (r_.accept(','));
      r_.expect(']', "to close the attribute's list");
    }
    r_.expect('}', "to close the attributes");
  }

  void check_operand_types(const Node& n, const std::vector<size_t>& at) const {
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const Node& in = g_[n.inputs[i]];
      if (in.dtype != n.dtype)
        r_.fail_at(at[i], fmt::format("operand is {}, but the node is {}", dtype_name(in.dtype), dtype_name(n.dtype)));
    }
  }

  NodeId add_verified(Node n, std::string group, size_t at) {
    const NodeId id = g_.add(std::move(n), std::move(group));  // arity and operand order are checked already
    if (auto errs = verify_node(g_, id); !errs.empty()) r_.fail_at(at, without_node_prefix(errs.front()));
    return id;
  }

  Notes notes() {
    Notes out;
    if (!r_.accept('#')) return out;
    do note_part(out);
    while (r_.accept(','));
    return out;
  }

  void note_part(Notes& out) {
    r_.skip_space();
    const size_t at = r_.pos();
    if (r_.peek() != '"') {
      if (r_.accept_word("adjoint")) return adjoint_list(out);
      if (r_.accept_word("in")) {
        if (out.group) r_.fail_at(at, "a second group in the notes");
        out.group = r_.name("the group's name after 'in'");
        return;
      }
      for (Role role : {Role::Input, Role::Param, Role::Const, Role::Forward, Role::Backward})
        if (r_.accept_word(text::role_word(role))) {
          if (out.role) r_.fail_at(at, "a second role in the notes");
          out.role = role;
          return;
        }
    }
    if (!r_.next_is_name()) r_.fail("expected a name, a role, 'adjoint of %N' or 'in GROUP' in the notes");
    if (out.name) r_.fail_at(at, "a second name in the notes (quote a name that is a keyword)");
    out.name = r_.name("a name");
  }

  // After 'adjoint': "of %0, %x"; a ',' not followed by '%' ends the list.
  void adjoint_list(Notes& out) {
    r_.expect_word("of", "after 'adjoint'");
    for (;;) {
      r_.skip_space();
      const size_t at = r_.pos();
      out.adjoint_of.emplace_back(r_.label("a value after 'adjoint of'").key(), at);
      const size_t before_comma = r_.pos();
      if (r_.accept(',') && (r_.skip_space(), r_.peek() == '%')) continue;
      r_.seek(before_comma);
      return;
    }
  }

  void apply_node_notes(Node& n, const Notes& notes) {
    if (notes.name) n.name = *notes.name;
    if (notes.role) n.role = *notes.role;
    for (const auto& [key, at] : notes.adjoint_of) pending_adjoints_.push_back({g_.size(), key, at});
  }

  void apply_input_notes(NodeId id, const Notes& notes) {
    if (notes.name || notes.role)
      r_.fail("an input's notes may only say 'adjoint of' and 'in' (its name and role are declared)");
    if (notes.group) g_.set_group(id, *notes.group);
    for (const auto& [key, at] : notes.adjoint_of) pending_adjoints_.push_back({id, key, at});
  }

  void outputs() {
    r_.skip_space();
    if (r_.at_end() || r_.peek() == '\n') return;  // a graph without outputs
    do {
      std::string name = r_.name("an output's name");
      r_.expect('=', "after the output's name");
      r_.skip_space();
      const size_t at = r_.pos();
      g_.outputs.push_back({std::move(name), resolve(r_.label("an output's value"), at)});
    } while (r_.accept(','));
  }

  struct PendingAdjoint {
    NodeId holder;
    std::string key;
    size_t at;
  };

  void resolve_adjoints() {
    for (const PendingAdjoint& p : pending_adjoints_) {
      const auto it = values_.find(p.key);
      if (it == values_.end()) r_.fail_at(p.at, fmt::format("unknown value %{} after 'adjoint of'", p.key));
      if (g_.adjoint(it->second) != kNoNode) r_.fail_at(p.at, fmt::format("%{} has a second adjoint", p.key));
      g_.set_adjoint(it->second, p.holder);
    }
  }

  text::Reader r_;
  Graph g_;
  std::unordered_map<std::string, NodeId> values_;  // by Label::key()
  std::vector<PendingAdjoint> pending_adjoints_;
};

}  // namespace

Graph parse_ir(std::string_view text, std::string_view name) { return Parser(text, name).parse(); }

}  // namespace gradc::ir
