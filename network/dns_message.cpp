#include "network/dns_message.hpp"

#include <algorithm>
#include <cstring>

#include "base/error.hpp"
#include "network/dns_table.hpp"

namespace berth::network::dns {
namespace {

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}

// Reads a (possibly compressed) name at `pos`; returns the offset after it in the message.
std::optional<size_t> read_name(const uint8_t* data, size_t len, size_t pos, std::string& out) {
  out.clear();
  size_t end = 0;
  int jumps = 0;
  while (true) {
    if (pos >= len) return std::nullopt;
    uint8_t l = data[pos];
    if ((l & 0xc0) == 0xc0) {
      if (pos + 1 >= len || ++jumps > 16) return std::nullopt;
      if (!end) end = pos + 2;
      pos = static_cast<size_t>((l & 0x3f) << 8 | data[pos + 1]);
      continue;
    }
    if (l & 0xc0) return std::nullopt;
    if (l == 0) {
      if (!end) end = pos + 1;
      break;
    }
    if (pos + 1 + l > len || out.size() + l + 1 > 255) return std::nullopt;
    if (!out.empty()) out.push_back('.');
    out.append(reinterpret_cast<const char*>(data + pos + 1), l);
    pos += 1 + l;
  }
  return end;
}

// Header of a reply to `q`: id, QR, opcode, AA (our names), RD echoed, RA, rcode.
std::vector<uint8_t> reply_header(const std::vector<uint8_t>& raw, const Query& q, uint8_t rcode, uint16_t ancount,
                                  bool authoritative) {
  std::vector<uint8_t> out;
  out.reserve(q.question_end + 64);
  put16(out, q.id);
  uint16_t flags = static_cast<uint16_t>(0x8000 | (q.flags & 0x7800) | (q.flags & 0x0100) | 0x0080 | rcode);
  if (authoritative) flags |= 0x0400;
  put16(out, flags);
  put16(out, 1);
  put16(out, ancount);
  put16(out, 0);
  put16(out, 0);
  out.insert(out.end(), raw.begin() + 12, raw.begin() + static_cast<long>(q.question_end));
  return out;
}

void put_record_head(std::vector<uint8_t>& out, uint16_t type, uint32_t ttl) {
  put16(out, 0xc00c);  // pointer to the question's name
  put16(out, type);
  put16(out, kClassIN);
  put32(out, ttl);
}

}  // namespace

std::vector<uint8_t> encode_name(const std::string& name) {
  std::vector<uint8_t> out;
  std::string n = name;
  while (!n.empty() && n.back() == '.') n.pop_back();
  size_t start = 0;
  while (start < n.size()) {
    size_t dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    size_t l = dot - start;
    if (l == 0 || l > 63) throw UserError("invalid DNS name \"" + name + "\"");
    out.push_back(static_cast<uint8_t>(l));
    out.insert(out.end(), n.begin() + static_cast<long>(start), n.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  out.push_back(0);
  if (out.size() > 255) throw UserError("DNS name too long \"" + name + "\"");
  return out;
}

std::optional<Query> parse_query(const uint8_t* data, size_t len) {
  if (len < 12) return std::nullopt;
  Query q;
  q.id = get16(data);
  q.flags = get16(data + 2);
  if (get16(data + 4) < 1) return std::nullopt;
  auto end = read_name(data, len, 12, q.name);
  if (!end || *end + 4 > len) return std::nullopt;
  q.qtype = get16(data + *end);
  q.qclass = get16(data + *end + 2);
  q.question_end = *end + 4;
  return q;
}

std::vector<uint8_t> make_address_answer(const std::vector<uint8_t>& raw, const Query& q,
                                         const std::vector<IpAddress>& addrs, uint32_t ttl) {
  auto out = reply_header(raw, q, kNoError, static_cast<uint16_t>(addrs.size()), true);
  for (const auto& a : addrs) {
    put_record_head(out, a.is_v4() ? kTypeA : kTypeAAAA, ttl);
    put16(out, a.is_v4() ? 4 : 16);
    out.insert(out.end(), a.bytes(), a.bytes() + (a.is_v4() ? 4 : 16));
  }
  return out;
}

std::vector<uint8_t> make_ptr_answer(const std::vector<uint8_t>& raw, const Query& q, const std::string& target,
                                     uint32_t ttl) {
  auto out = reply_header(raw, q, kNoError, 1, true);
  auto name = encode_name(target);
  put_record_head(out, kTypePTR, ttl);
  put16(out, static_cast<uint16_t>(name.size()));
  out.insert(out.end(), name.begin(), name.end());
  return out;
}

std::vector<uint8_t> make_empty_answer(const std::vector<uint8_t>& raw, const Query& q, uint8_t rcode) {
  return reply_header(raw, q, rcode, 0, rcode == kNoError || rcode == kNxDomain);
}

std::optional<std::vector<uint8_t>> make_format_error(const uint8_t* data, size_t len) {
  if (len < 12) return std::nullopt;
  std::vector<uint8_t> out(data, data + 12);
  out[2] = static_cast<uint8_t>(0x80 | (data[2] & 0x79));
  out[3] = static_cast<uint8_t>(0x80 | kFormErr);
  std::fill(out.begin() + 4, out.end(), 0);
  return out;
}

std::vector<uint8_t> make_query(uint16_t id, const std::string& name, uint16_t qtype) {
  std::vector<uint8_t> out;
  put16(out, id);
  put16(out, 0x0100);
  put16(out, 1);
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  auto n = encode_name(name);
  out.insert(out.end(), n.begin(), n.end());
  put16(out, qtype);
  put16(out, kClassIN);
  return out;
}

std::optional<IpAddress> Record::address() const {
  if (type == kTypeA && rdata.size() == 4) return IpAddress::from_bytes(IpAddress::Family::V4, rdata.data());
  if (type == kTypeAAAA && rdata.size() == 16) return IpAddress::from_bytes(IpAddress::Family::V6, rdata.data());
  return std::nullopt;
}

std::optional<Response> parse_response(const uint8_t* data, size_t len) {
  if (len < 12) return std::nullopt;
  Response r;
  r.id = get16(data);
  r.flags = get16(data + 2);
  uint16_t qd = get16(data + 4), an = get16(data + 6);
  size_t pos = 12;
  std::string name;
  for (int i = 0; i < qd; ++i) {
    auto end = read_name(data, len, pos, name);
    if (!end || *end + 4 > len) return std::nullopt;
    pos = *end + 4;
  }
  for (int i = 0; i < an; ++i) {
    Record rec;
    auto end = read_name(data, len, pos, rec.name);
    if (!end || *end + 10 > len) return std::nullopt;
    pos = *end;
    rec.type = get16(data + pos);
    rec.ttl = static_cast<uint32_t>(get16(data + pos + 4)) << 16 | get16(data + pos + 6);
    uint16_t rdlen = get16(data + pos + 8);
    pos += 10;
    if (pos + rdlen > len) return std::nullopt;
    if (rec.type == kTypePTR) {
      std::string target;
      if (!read_name(data, len, pos, target)) return std::nullopt;
      rec.rdata.assign(target.begin(), target.end());
    } else {
      rec.rdata.assign(data + pos, data + pos + rdlen);
    }
    pos += rdlen;
    r.answers.push_back(std::move(rec));
  }
  return r;
}

std::optional<IpAddress> parse_reverse_name(const std::string& asked) {
  std::string name = lower_name(asked);
  auto ends_with = [&](const std::string& suffix) {
    return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".in-addr.arpa")) {
    std::string rest = name.substr(0, name.size() - 13);
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t dot = rest.find('.', start);
      parts.push_back(rest.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (parts.size() != 4) return std::nullopt;
    std::reverse(parts.begin(), parts.end());
    return IpAddress::try_parse(parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3]);
  }
  if (ends_with(".ip6.arpa")) {
    std::string rest = name.substr(0, name.size() - 9);
    if (rest.size() != 63) return std::nullopt;
    uint8_t bytes[16] = {};
    for (int i = 0; i < 32; ++i) {
      char c = rest[static_cast<size_t>(i) * 2];
      if (i < 31 && rest[static_cast<size_t>(i) * 2 + 1] != '.') return std::nullopt;
      int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
      if (v < 0) return std::nullopt;
      int nibble = 31 - i;  // the first label is the lowest nibble
      bytes[nibble / 2] |= static_cast<uint8_t>(nibble % 2 ? v : v << 4);
    }
    return IpAddress::from_bytes(IpAddress::Family::V6, bytes);
  }
  return std::nullopt;
}

}  // namespace berth::network::dns
