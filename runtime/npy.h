// runtime/npy.h — reading and writing numpy's .npy files (f32, f64, i64, i32, u8, u64; C order,
// little-endian).
//
// The reader never trusts the file: every malformed input is an NpyError naming the file and
// the problem, never a crash. The writer produces exactly the bytes numpy.save writes for the
// same array, so files we write diff cleanly against files numpy writes. See docs/npy.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace gradc::runtime {

// Every problem with a file or an array: the message is "<file>: <what is wrong>".
class NpyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// I32, U8 and U64 are for checkpoints (counters, masks, generator state); data and --at values
// are floats and int64 labels.
enum class NpyDType { F32, F64, I64, I32, U8, U64 };

size_t npy_itemsize(NpyDType dtype);
std::string npy_descr(NpyDType dtype);  // numpy's name for it: "<f4", "<f8", "<i8", "|u1", ...

// The NpyDType that holds T: float, double, int64_t, int32_t, uint8_t or uint64_t.
template <class T>
constexpr NpyDType npy_dtype_of() {
  if constexpr (std::is_same_v<T, float>) return NpyDType::F32;
  else if constexpr (std::is_same_v<T, double>) return NpyDType::F64;
  else if constexpr (std::is_same_v<T, int32_t>) return NpyDType::I32;
  else if constexpr (std::is_same_v<T, uint8_t>) return NpyDType::U8;
  else if constexpr (std::is_same_v<T, uint64_t>) return NpyDType::U64;
  else {
    static_assert(std::is_same_v<T, int64_t>,
                  "an .npy array holds float, double, int64_t, int32_t, uint8_t or uint64_t");
    return NpyDType::I64;
  }
}

struct NpyArray {
  NpyDType dtype = NpyDType::F64;
  std::vector<int64_t> shape;   // () is a scalar holding one element
  std::vector<std::byte> data;  // C order, little-endian, count() * itemsize bytes

  // The number of elements; throws NpyError if shape is negative or overflows.
  size_t count() const;

  // The elements as T; throws NpyError if T is not the dtype or data has the wrong size.
  template <class T>
  std::span<const T> as() const {
    check_view(npy_dtype_of<T>());
    // vector's storage comes from operator new, which is aligned for any scalar and (C++20
    // implicit object creation) may be viewed as an array of T.
    return {reinterpret_cast<const T*>(data.data()), count()};
  }

 private:
  void check_view(NpyDType wanted) const;
};

// Arrays from values, row-major; throws NpyError if values.size() is not the shape's product.
NpyArray make_npy(std::vector<int64_t> shape, const std::vector<double>& values);   // F64
NpyArray make_npy(std::vector<int64_t> shape, const std::vector<float>& values);    // F32
NpyArray make_npy(std::vector<int64_t> shape, const std::vector<int64_t>& values);  // I64
NpyArray make_npy(std::vector<int64_t> shape, const std::vector<int32_t>& values);  // I32
NpyArray make_npy(std::vector<int64_t> shape, const std::vector<uint8_t>& values);  // U8
NpyArray make_npy(std::vector<int64_t> shape, const std::vector<uint64_t>& values); // U64

// Every element as a double (exact for all but int64/uint64 beyond 2^53).
std::vector<double> npy_to_doubles(const NpyArray& array);

// Reads and checks a whole file; versions 1.0, 2.0 and 3.0 are accepted.
NpyArray read_npy(const std::string& path);

// The same, from bytes in memory; `name_for_errors` starts every error message.
NpyArray parse_npy(std::span<const std::byte> bytes, const std::string& name_for_errors);

// The exact bytes numpy.save writes for this array (version 1.0 unless the header needs 2.0).
std::string encode_npy(const NpyArray& array);

// Writes path.tmp, then renames it onto path, so path is either the old file or the whole new
// one; on failure the temporary file is removed.
void write_npy(const std::string& path, const NpyArray& array);

}  // namespace gradc::runtime
