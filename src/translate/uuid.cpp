#include "dualwrite/translate/uuid.hpp"

#include <openssl/evp.h>

#include <stdexcept>

#include "dualwrite/core/text.hpp"

namespace dualwrite::translate {

namespace {

const UuidBytes& mapping_namespace() {
  static const UuidBytes ns = *parse_uuid(kMappingNamespace);
  return ns;
}

}  // namespace

std::optional<UuidBytes> parse_uuid(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  UuidBytes out{};
  std::size_t byte = 0;
  for (std::size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    const int hi = hex_value(text[i]);
    const int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[byte++] = static_cast<std::uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return out;
}

UuidText format_uuid(const UuidBytes& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  UuidText out{};
  std::size_t pos = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[pos++] = '-';
    out[pos++] = kHex[bytes[i] >> 4];
    out[pos++] = kHex[bytes[i] & 0xF];
  }
  return out;
}

UuidBytes uuid_v5(const UuidBytes& name_space, std::string_view name) {
  // One reusable context per thread: EVP_MD_CTX_new per id would cost more than the hash.
  thread_local EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, name_space.data(), name_space.size()) != 1 ||
      EVP_DigestUpdate(ctx, name.data(), name.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, digest, &len) != 1 || len < 16) {
    throw std::runtime_error("SHA-1 is unavailable in this OpenSSL build");
  }
  UuidBytes out{};
  for (std::size_t i = 0; i < 16; ++i) out[i] = digest[i];
  out[6] = static_cast<std::uint8_t>((out[6] & 0x0F) | 0x50);  // version 5
  out[8] = static_cast<std::uint8_t>((out[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return out;
}

UuidText mapping_uuid(std::string_view name) {
  return format_uuid(uuid_v5(mapping_namespace(), name));
}

}  // namespace dualwrite::translate
