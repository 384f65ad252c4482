// ir/small_vector.h — a vector that keeps its first N elements inside itself.
//
// Why: every node holds a shape, its operands and its attributes. As std::vectors they
// were three heap blocks a node, allocated and freed each time a pass copies the graph
// (every pass does: passes are pure functions, passes/pass.h), and at 10^5 nodes malloc
// and free were a third of the -O2 pipeline's time. Operands are at most 3, shapes and
// attributes almost always rank <= 4, so they fit inline; a longer one spills to the heap
// and behaves the same. Only trivially copyable elements (ids, dims), so copying the
// inline part is a memcpy.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <type_traits>
#include <vector>

namespace gradc::ir {

template <class T, uint32_t N>
class SmallVector {
  static_assert(std::is_trivially_copyable_v<T> && N > 0);

 public:
  using value_type = T;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using reference = T&;
  using const_reference = const T&;
  using pointer = T*;
  using const_pointer = const T*;
  using iterator = T*;
  using const_iterator = const T*;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;

  SmallVector() : inline_{} {}
  SmallVector(std::initializer_list<T> init) : SmallVector() { assign(init.begin(), init.end()); }
  template <std::input_iterator It>
  SmallVector(It first, It last) : SmallVector() {
    assign(first, last);
  }
  explicit SmallVector(size_t n, const T& v = T()) : SmallVector() { resize(n, v); }
  SmallVector(const std::vector<T>& v) : SmallVector() { assign(v.begin(), v.end()); }  // NOLINT: implicit on purpose
  SmallVector(const SmallVector& o) : SmallVector() { assign(o.begin(), o.end()); }
  SmallVector(SmallVector&& o) noexcept : SmallVector() { take(o); }
  ~SmallVector() { release(); }

  SmallVector& operator=(const SmallVector& o) {
    if (this != &o) assign(o.begin(), o.end());
    return *this;
  }
  SmallVector& operator=(SmallVector&& o) noexcept {
    if (this != &o) {
      release();
      take(o);
    }
    return *this;
  }
  SmallVector& operator=(std::initializer_list<T> init) {
    assign(init.begin(), init.end());
    return *this;
  }

  // Call sites that want a std::vector (shape rules' axes, public APIs) still get one.
  // Not inlined: GCC 12's -Wfree-nonheap-object misreads the inlined copy out of the
  // union as a delete of the inline buffer.
  [[gnu::noinline]] operator std::vector<T>() const {  // NOLINT: implicit on purpose
    return std::vector<T>(begin(), end());
  }

  T* data() { return on_heap() ? heap_ : inline_; }
  const T* data() const { return on_heap() ? heap_ : inline_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }

  iterator begin() { return data(); }
  iterator end() { return data() + size_; }
  const_iterator begin() const { return data(); }
  const_iterator end() const { return data() + size_; }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }
  reverse_iterator rbegin() { return reverse_iterator(end()); }
  reverse_iterator rend() { return reverse_iterator(begin()); }
  const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }

  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T& front() { return data()[0]; }
  const T& front() const { return data()[0]; }
  T& back() { return data()[size_ - 1]; }
  const T& back() const { return data()[size_ - 1]; }

  void reserve(size_t n) {
    if (n <= capacity_) return;
    T* fresh = new T[n];
    if (size_) std::memcpy(fresh, data(), size_ * sizeof(T));
    if (on_heap()) delete[] heap_;
    heap_ = fresh;
    capacity_ = static_cast<uint32_t>(n);
  }
  void clear() { size_ = 0; }
  void push_back(const T& v) {
    if (size_ == capacity_) reserve(size_t{capacity_} * 2);
    data()[size_++] = v;
  }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    push_back(T(std::forward<Args>(args)...));
    return back();
  }
  void pop_back() { --size_; }
  void resize(size_t n, const T& v = T()) {
    reserve(n);
    for (size_t i = size_; i < n; ++i) data()[i] = v;
    size_ = static_cast<uint32_t>(n);
  }
  template <std::input_iterator It>
  void assign(It first, It last) {
    clear();
    if constexpr (std::contiguous_iterator<It> && std::is_same_v<std::iter_value_t<It>, T>) {
      const auto n = static_cast<size_t>(last - first);
      reserve(n);
      if (n) std::memcpy(data(), std::to_address(first), n * sizeof(T));
      size_ = static_cast<uint32_t>(n);
    } else {
      for (; first != last; ++first) push_back(static_cast<T>(*first));
    }
  }
  void assign(size_t n, const T& v) {
    clear();
    resize(n, v);
  }
  iterator insert(const_iterator pos, const T& v) { return insert(pos, &v, &v + 1); }
  iterator insert(const_iterator pos, std::initializer_list<T> init) { return insert(pos, init.begin(), init.end()); }
  iterator insert(const_iterator pos, size_t n, const T& v) {
    const std::vector<T> copies(n, v);
    return insert(pos, copies.begin(), copies.end());
  }
  template <std::input_iterator It>
  iterator insert(const_iterator pos, It first, It last) {
    const auto at = static_cast<size_t>(pos - begin());
    const std::vector<T> added(first, last);  // may alias *this: copied before growing
    reserve(size_ + added.size());
    T* d = data();
    std::memmove(d + at + added.size(), d + at, (size_ - at) * sizeof(T));
    if (!added.empty()) std::memcpy(d + at, added.data(), added.size() * sizeof(T));
    size_ += static_cast<uint32_t>(added.size());
    return d + at;
  }
  iterator erase(const_iterator pos) { return erase(pos, pos + 1); }
  iterator erase(const_iterator first, const_iterator last) {
    T* d = data();
    const auto at = static_cast<size_t>(first - d), n = static_cast<size_t>(last - first);
    std::memmove(d + at, d + at + n, (size_ - at - n) * sizeof(T));
    size_ -= static_cast<uint32_t>(n);
    return d + at;
  }

  friend bool operator==(const SmallVector& a, const SmallVector& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }
  friend auto operator<=>(const SmallVector& a, const SmallVector& b) {
    return std::lexicographical_compare_three_way(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  bool on_heap() const { return capacity_ > N; }
  void release() {
    if (on_heap()) delete[] heap_;
    capacity_ = N;
    size_ = 0;
  }
  // Moves o's elements here (this is empty and inline); o is left empty.
  void take(SmallVector& o) {
    if (o.on_heap()) {
      heap_ = o.heap_;
      capacity_ = o.capacity_;
      o.capacity_ = N;
    } else {
      std::memcpy(inline_, o.inline_, sizeof(inline_));
    }
    size_ = o.size_;
    o.size_ = 0;
  }

  uint32_t size_ = 0;
  uint32_t capacity_ = N;  // > N: the elements live in heap_
  union {
    T inline_[N];
    T* heap_;
  };
};

}  // namespace gradc::ir
