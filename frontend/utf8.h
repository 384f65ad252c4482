// frontend/utf8.h — just enough UTF-8 to diagnose and display non-ASCII text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gradc::frontend {

// Moves a cut forward to the start of a UTF-8 character, so that text cut there for
// display never splits one.
inline size_t char_boundary(std::string_view s, size_t i) {
  while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  return i;
}

// The byte length of the well-formed UTF-8 character at the start of s: 1 for
// ASCII, 2-4 for a valid multi-byte sequence, 0 for an invalid one (a stray
// continuation byte, a truncated or overlong sequence, a surrogate).
inline size_t utf8_sequence_length(std::string_view s) {
  if (s.empty()) return 0;
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return 1;
  size_t n = b0 >= 0xF0 && b0 <= 0xF4 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 && b0 < 0xE0 ? 2 : 0;
  if (n == 0 || s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 0;
  const auto b1 = static_cast<unsigned char>(s[1]);
  if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
  if (b0 == 0xED && b1 >= 0xA0) return 0;  // surrogate
  if (b0 == 0xF0 && b1 < 0x90) return 0;  // overlong
  if (b0 == 0xF4 && b1 >= 0x90) return 0;  // beyond U+10FFFF
  return n;
}

// The code point of a sequence that utf8_sequence_length accepted.
inline uint32_t utf8_decode(std::string_view s, size_t n) {
  static constexpr unsigned char kLeadMask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  uint32_t cp = static_cast<unsigned char>(s[0]) & kLeadMask[n];
  for (size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  return cp;
}

}  // namespace gradc::frontend
