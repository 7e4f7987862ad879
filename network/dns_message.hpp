#pragma once
// The little of the DNS wire format (RFC 1035) the embedded server needs: read the question of
// a query, build an answer (A, AAAA, PTR), an empty answer or an error, and check that an
// upstream's reply belongs to a query. Everything else is forwarded byte for byte.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "network/ip.hpp"

namespace berth::network::dns {

inline constexpr uint16_t kTypeA = 1, kTypePTR = 12, kTypeAAAA = 28, kTypeANY = 255, kClassIN = 1;
inline constexpr uint8_t kNoError = 0, kFormErr = 1, kServFail = 2, kNxDomain = 3, kNotImp = 4, kRefused = 5;

struct Query {
  uint16_t id = 0;
  uint16_t flags = 0;
  std::string name;      // as asked, without the trailing dot ("" = root)
  uint16_t qtype = 0, qclass = 0;
  size_t question_end = 0;  // offset just past the question
  bool is_query() const { return !(flags & 0x8000); }
  uint8_t opcode() const { return (flags >> 11) & 0xf; }
};

// Parses the header and the first question; nullopt for anything malformed or truncated.
std::optional<Query> parse_query(const uint8_t* data, size_t len);
inline std::optional<Query> parse_query(const std::vector<uint8_t>& m) { return parse_query(m.data(), m.size()); }

// An authoritative-style answer to `query` (whose raw bytes are `raw`): the question echoed, one
// record per address (A or AAAA by family), TTL `ttl`.
std::vector<uint8_t> make_address_answer(const std::vector<uint8_t>& raw, const Query& q,
                                         const std::vector<IpAddress>& addrs, uint32_t ttl);
std::vector<uint8_t> make_ptr_answer(const std::vector<uint8_t>& raw, const Query& q, const std::string& target,
                                     uint32_t ttl);
// No answer records, the given rcode (NOERROR = "no data of that type", NXDOMAIN, SERVFAIL...).
std::vector<uint8_t> make_empty_answer(const std::vector<uint8_t>& raw, const Query& q, uint8_t rcode);
// For input too broken to parse a question from: header-only reply, if there is an id to echo.
std::optional<std::vector<uint8_t>> make_format_error(const uint8_t* data, size_t len);

// A query for tests and tools: one question, RD set.
std::vector<uint8_t> make_query(uint16_t id, const std::string& name, uint16_t qtype);

struct Record {
  std::string name;
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;
  std::optional<IpAddress> address() const;  // for A/AAAA
};
struct Response {
  uint16_t id = 0, flags = 0;
  uint8_t rcode() const { return flags & 0xf; }
  std::vector<Record> answers;
};
// Parses a reply (names may be compressed); nullopt when malformed.
std::optional<Response> parse_response(const uint8_t* data, size_t len);

// "4.3.2.1.in-addr.arpa" -> 1.2.3.4 (and ip6.arpa nibbles); nullopt for other names.
std::optional<IpAddress> parse_reverse_name(const std::string& name);
// Encodes "a.b.c" as DNS labels; throws UserError for a label over 63 bytes or a name over 255.
std::vector<uint8_t> encode_name(const std::string& name);

}  // namespace berth::network::dns
