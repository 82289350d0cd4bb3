// SPDX-License-Identifier: Apache-2.0
//
// The load generator's parts against frames scapy built (gen_loadgen_vectors.py): the template
// and each engine's writer (lg_gen.c for live frames, lg_write_frame natively for AF_XDP) must
// produce scapy's request byte for byte; lg_recv.c must count
// scapy's answers as good or bad for the right reason, or pass what is not an answer. Both BPF
// programs run through BPF_PROG_TEST_RUN (needs root; without it the tests fail, they do not skip).

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "lg_frame.h"
#include "loadgen_bpf.h"
#include "templates.h"

namespace lg = anycastd::loadgen;

namespace {

std::vector<std::uint8_t> unhex(const std::string& h) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

std::vector<std::vector<std::string>> rows(const std::string& kind) {
  std::ifstream in(LG_TEST_VECTORS);
  EXPECT_TRUE(in) << "cannot read " << LG_TEST_VECTORS;
  std::vector<std::vector<std::string>> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::istringstream s(line);
    for (std::string x; std::getline(s, x, '\t');) f.push_back(x);
    if (f[0] == kind) out.push_back(f);
  }
  EXPECT_FALSE(out.empty()) << "no " << kind << " rows";
  return out;
}

struct Outcome {
  std::uint32_t retval;
  std::vector<std::uint8_t> out;
};

Outcome test_run(int fd, const std::vector<std::uint8_t>& frame, std::uint32_t repeat = 1) {
  Outcome r;
  r.out.resize(frame.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = r.out.data(),
              .data_size_in = static_cast<std::uint32_t>(frame.size()),
              .data_size_out = static_cast<std::uint32_t>(r.out.size()), .repeat = static_cast<int>(repeat));
  EXPECT_EQ(bpf_prog_test_run_opts(fd, &opts), 0) << std::strerror(errno);
  r.retval = opts.retval;
  r.out.resize(opts.data_size_out);
  return r;
}

// Frame i as the AF_XDP engine writes it: natively, over a UMEM chunk that holds the template
// (copied in once) with whatever the last frame left in its head (here a pattern, so every byte
// the writer leaves unwritten shows).
std::vector<std::uint8_t> native_frame(const lg::Template& t, std::uint32_t i, std::uint8_t junk = 0xa5) {
  std::vector<std::uint8_t> f = t.frame;
  std::fill(f.begin(), f.begin() + t.config.head_len, junk);
  EXPECT_EQ(lg_write_frame(&t.config, &t.vips[lg_vip_index(&t.config, i)], i, f.data(), f.data() + f.size()), 0);
  return f;
}

// Checksums summed here from the RFC 1071 definition, apart from templates.cpp and lg_gen.c.
std::uint16_t rfc1071(const std::vector<std::uint8_t>& bytes) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 2)
    sum += static_cast<std::uint32_t>(bytes[i] << 8 | (i + 1 < bytes.size() ? bytes[i + 1] : 0));
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

// True when the IPv4 header (if any) and the UDP checksum of an untagged frame add up.
bool checksums_ok(const std::vector<std::uint8_t>& f) {
  const bool v4 = f[12] == 0x08;
  const std::size_t ip = 14, udp = v4 ? 34 : 54;
  const std::size_t udp_len = static_cast<std::size_t>(f[udp + 4] << 8 | f[udp + 5]);
  std::vector<std::uint8_t> pseudo;
  if (v4) {
    if (rfc1071({f.begin() + ip, f.begin() + ip + 20}) != 0xffff) return false;
    pseudo.assign(f.begin() + ip + 12, f.begin() + ip + 20);
  } else {
    pseudo.assign(f.begin() + ip + 8, f.begin() + ip + 40);
  }
  pseudo.insert(pseudo.end(), {0, 17, static_cast<std::uint8_t>(udp_len >> 8), static_cast<std::uint8_t>(udp_len)});
  pseudo.insert(pseudo.end(), f.begin() + static_cast<long>(udp), f.begin() + static_cast<long>(udp + udp_len));
  if (pseudo.size() % 2) pseudo.push_back(0);
  return rfc1071(pseudo) == 0xffff && (f[udp + 6] | f[udp + 7]) != 0;
}

lg::FrameSpec spec_of(const std::vector<std::string>& r, std::size_t size) {
  lg::FrameSpec s;
  s.family = std::stoi(r[2]);
  if (r[3] != "-") {
    std::istringstream tags(r[3]);
    for (std::string t; std::getline(tags, t, ',');)
      s.tags.push_back({static_cast<std::uint16_t>(std::stoul(t.substr(0, t.find(':')), nullptr, 16)),
                        static_cast<std::uint16_t>(std::stoul(t.substr(t.find(':') + 1)))});
  }
  s.src = r[4];
  s.sport = static_cast<std::uint16_t>(std::stoul(r[5]));
  s.vips = {r[6]};
  s.dport = static_cast<std::uint16_t>(std::stoul(r[7]));
  s.frame_len = size;
  return s;
}

}  // namespace

TEST(LoadgenTemplate, RequestsMatchScapyByteForByte) {
  lg::Generator gen;
  for (const auto& r : rows("request")) {
    SCOPED_TRACE(r[1]);
    const auto want = unhex(r[8]);
    const lg::FrameSpec s = spec_of(r, want.size());
    const lg::Template t =
        lg::build_template(s, lg::service("echo").payload(want.size() - lg::header_len(s.family, s.tags.size())));
    ASSERT_EQ(t.frame.size(), want.size());
    gen.configure(t);
    gen.set_sequence(0);
    const Outcome out = test_run(gen.prog_fd(), t.frame);
    EXPECT_EQ(out.retval, static_cast<std::uint32_t>(XDP_TX));
    EXPECT_EQ(out.out, want);
    EXPECT_EQ(native_frame(t, 0), want);
  }
}

TEST(LoadgenTemplate, NtpRequestsMatchScapyByteForByte) {
  lg::Generator gen;
  const lg::Service& ntp = lg::service("ntp");
  EXPECT_EQ(ntp.port, 123);
  ASSERT_FALSE(rows("ntprequest").empty());
  for (const auto& r : rows("ntprequest")) {
    SCOPED_TRACE(r[1]);
    const auto want = unhex(r[8]);
    const lg::FrameSpec s = spec_of(r, want.size());
    ASSERT_EQ(want.size(), lg::header_len(s.family, s.tags.size()) + ntp.fixed_payload);
    const lg::Template t = lg::build_template(s, ntp.payload(ntp.fixed_payload));
    gen.configure(t);
    gen.set_sequence(0);
    const Outcome out = test_run(gen.prog_fd(), t.frame);
    EXPECT_EQ(out.retval, static_cast<std::uint32_t>(XDP_TX));
    EXPECT_EQ(out.out, want);
    EXPECT_EQ(native_frame(t, 0), want);
  }
  EXPECT_THROW(ntp.payload(47), std::invalid_argument);
}

TEST(LoadgenReceiver, AcceptsOnlyNtpServerRepliesToItsRequest) {
  lg::Receiver recv;
  ASSERT_FALSE(rows("ntpanswer").empty());
  for (const auto& r : rows("ntpanswer")) {
    SCOPED_TRACE(r[1]);
    recv.configure(lg::recv_config(lg::service("ntp"), 123, 10000, 1000, static_cast<std::uint32_t>(std::stoul(r[3]))));
    const lg_recv_counts before = recv.counts();
    const Outcome out = test_run(recv.prog_fd(), unhex(r[4]));
    const lg_recv_counts after = recv.counts();
    EXPECT_EQ(out.retval, static_cast<std::uint32_t>(XDP_DROP));
    const std::string& expect = r[2];
    EXPECT_EQ(after.good[0] - before.good[0], expect == "good" ? 1u : 0u);
    EXPECT_EQ(after.bad_reason[LG_BAD_CONTENT] - before.bad_reason[LG_BAD_CONTENT], expect == "bad_content" ? 1u : 0u);
    EXPECT_EQ(after.bad_reason[LG_BAD_LENGTH] - before.bad_reason[LG_BAD_LENGTH], expect == "bad_length" ? 1u : 0u);
  }
}

TEST(LoadgenTemplate, FramesSpreadOverSourcesPortsAndEveryVip) {
  lg::FrameSpec s;
  s.src = "203.0.113.250";
  s.src_count = 3;
  s.sport = 20000;
  s.sport_count = 7;
  s.vips = lg::expand_vips(4, "192.0.2.254", 5);  // carries into 192.0.3.x: the whole address moves
  s.frame_len = 101;
  const lg::Template t = lg::build_template(s, lg::echo_payload(101 - lg::header_len(4, 0)));
  lg::Generator gen;
  gen.configure(t);
  std::set<std::uint16_t> sports;
  std::set<std::string> srcs, dsts;
  for (std::uint64_t i = 0; i < 105; ++i) {
    gen.set_sequence(i);
    const Outcome out = test_run(gen.prog_fd(), t.frame);
    ASSERT_EQ(out.retval, static_cast<std::uint32_t>(XDP_TX));
    ASSERT_TRUE(checksums_ok(out.out)) << "frame " << i;
    char a[INET_ADDRSTRLEN];
    srcs.insert(inet_ntop(AF_INET, &out.out[26], a, sizeof a));
    dsts.insert(inet_ntop(AF_INET, &out.out[30], a, sizeof a));
    sports.insert(static_cast<std::uint16_t>(out.out[34] << 8 | out.out[35]));
    EXPECT_EQ(out.out[36] << 8 | out.out[37], 7);
  }
  EXPECT_EQ(srcs, (std::set<std::string>{"203.0.113.250", "203.0.113.251", "203.0.113.252"}));
  EXPECT_EQ(dsts, (std::set<std::string>{"192.0.2.254", "192.0.2.255", "192.0.3.0", "192.0.3.1", "192.0.3.2"}));
  EXPECT_EQ(sports.size(), 7u);
  EXPECT_EQ(*sports.begin(), 20000);
  EXPECT_EQ(*sports.rbegin(), 20006);
}

TEST(LoadgenTemplate, BothEnginesWriteTheSameFrames) {
  lg::FrameSpec s;
  s.family = 6;
  s.tags = {{0x88A8, 7}, {0x8100, 42}};
  s.src = "2001:db8:c::fff0";
  s.src_count = 9;
  s.sport_count = 13;
  s.vips = lg::expand_vips(6, "2001:db8::fffe", 11);
  s.frame_len = 333;
  const lg::Template t = lg::build_template(s, lg::echo_payload(333 - lg::header_len(6, 2)));
  lg::Generator gen;
  gen.configure(t);
  for (std::uint32_t i : {0u, 1u, 12u, 99u, 0x9E3779B1u, 0xffffffffu}) {
    gen.set_sequence(i);
    const Outcome out = test_run(gen.prog_fd(), t.frame);
    ASSERT_EQ(out.retval, static_cast<std::uint32_t>(XDP_TX));
    EXPECT_EQ(native_frame(t, i, 0x00), out.out) << "frame " << i;
    EXPECT_EQ(native_frame(t, i, 0xff), out.out) << "frame " << i;
  }
}

TEST(LoadgenTemplate, FieldsAreWrittenWholeWhateverThePageHeld) {
  // Live frames may come back as the previous run left them: a reply (addresses and ports swapped).
  lg::FrameSpec s;
  s.family = 6;
  s.frame_len = 80;
  s.vips = {"2001:db8::10"};
  s.src = "2001:db8:c::5";
  const lg::Template t = lg::build_template(s, lg::echo_payload(80 - lg::header_len(6, 0)));
  lg::Generator gen;
  gen.configure(t);
  gen.set_sequence(0);
  const Outcome fresh = test_run(gen.prog_fd(), t.frame);
  std::vector<std::uint8_t> reply = fresh.out;
  std::swap_ranges(reply.begin() + 22, reply.begin() + 38, reply.begin() + 38);  // addresses
  std::swap_ranges(reply.begin() + 54, reply.begin() + 56, reply.begin() + 56);  // ports
  gen.set_sequence(0);
  EXPECT_EQ(test_run(gen.prog_fd(), reply).out, fresh.out);
}

TEST(LoadgenTemplate, QuotaStopsSending) {
  lg::FrameSpec s;
  const lg::Template t = lg::build_template(s, lg::echo_payload(64 - lg::header_len(4, 0)));
  lg::Generator gen;
  gen.configure(t);
  gen.set_quota(std::vector<std::uint64_t>(static_cast<std::size_t>(libbpf_num_possible_cpus()), 5));
  const Outcome out = test_run(gen.prog_fd(), t.frame, 20);
  EXPECT_EQ(out.retval, static_cast<std::uint32_t>(XDP_DROP));
  std::uint64_t sent = 0;
  for (std::uint64_t n : gen.sent()) sent += n;
  EXPECT_EQ(sent, 5u);
}

TEST(LoadgenTemplate, BadSpecsAreRefusedWithAReason) {
  lg::FrameSpec s;
  s.frame_len = 64;
  EXPECT_THROW(lg::build_template(s, lg::echo_payload(10)), std::invalid_argument);  // does not fill 64
  s.src = "2001:db8::1";
  EXPECT_THROW(lg::build_template(s, lg::echo_payload(22)), std::invalid_argument);  // wrong family
  s.src = "203.0.113.1";
  s.tags = {{0x8100, 1}, {0x8100, 2}, {0x8100, 3}};
  EXPECT_THROW(lg::build_template(s, lg::echo_payload(10)), std::invalid_argument);  // three tags
  s.tags = {};
  s.src = "203.0.255.250";
  s.src_count = 10;  // past the last 16 bits
  EXPECT_THROW(lg::build_template(s, lg::echo_payload(22)), std::invalid_argument);
  EXPECT_THROW(lg::service("chargen"), std::invalid_argument);
  EXPECT_THROW(lg::parse_mac("02:00:00:00:00"), std::invalid_argument);
  EXPECT_THROW(lg::expand_vips(4, "192.0.2.1", 0), std::invalid_argument);
}

TEST(LoadgenReceiver, CountsGoodAndBadAnswersForTheirReason) {
  const std::map<std::string, int> reasons = {{"bad_header", LG_BAD_HEADER},
                                              {"bad_length", LG_BAD_LENGTH},
                                              {"bad_port", LG_BAD_PORT},
                                              {"bad_checksum", LG_BAD_CHECKSUM}};
  lg::Receiver recv;
  for (const auto& r : rows("answer")) {
    SCOPED_TRACE(r[1]);
    lg_recv_config c{};
    c.service_port[0] = 7;
    c.dport_base = 10000;
    c.dport_count = 1000;
    c.udp_len = static_cast<__u32>(std::stoul(r[3]));
    recv.configure(c);
    const auto frame = unhex(r[4]);
    const lg_recv_counts before = recv.counts();
    const Outcome out = test_run(recv.prog_fd(), frame);
    const lg_recv_counts after = recv.counts();
    const std::string& expect = r[2];
    EXPECT_EQ(out.retval, static_cast<std::uint32_t>(expect == "other" ? XDP_PASS : XDP_DROP));
    EXPECT_EQ(after.good[0] - before.good[0], expect == "good" ? 1u : 0u);
    EXPECT_EQ(after.good_bytes[0] - before.good_bytes[0], expect == "good" ? frame.size() : 0u);
    EXPECT_EQ(after.bad[0] - before.bad[0], reasons.count(expect) ? 1u : 0u);
    for (const auto& [name, index] : reasons)
      EXPECT_EQ(after.bad_reason[index] - before.bad_reason[index], name == expect ? 1u : 0u) << name;
    EXPECT_EQ(after.other - before.other, expect == "other" ? 1u : 0u);
  }
}

TEST(LoadgenReceiver, CountsPerService) {
  // Slot 1 holds port 7; an answer from 7 is counted there, not in slot 0.
  lg::Receiver recv;
  lg_recv_config c{};
  c.service_port[0] = 123;
  c.service_port[1] = 7;
  c.dport_base = 10000;
  c.dport_count = 1000;
  recv.configure(c);
  const auto good = rows("answer").front();
  ASSERT_EQ(good[2], "good");
  test_run(recv.prog_fd(), unhex(good[4]), 3);
  const lg_recv_counts n = recv.counts();
  EXPECT_EQ(n.good[0], 0u);
  EXPECT_EQ(n.good[1], 3u);
}

TEST(LoadgenReceiver, VerifiesWhatTheGeneratorSends) {
  // The generator's own request, turned into its answer by swapping, is good for the receiver.
  lg::FrameSpec s;
  s.family = 6;
  s.tags = {{0x8100, 42}};
  s.frame_len = 777;
  s.src = "2001:db8:c::1";
  s.src_count = 50;
  s.sport_count = 100;
  s.vips = lg::expand_vips(6, "2001:db8::1", 9);
  const lg::Template t = lg::build_template(s, lg::echo_payload(777 - lg::header_len(6, 1)));
  lg::Generator gen;
  gen.configure(t);
  lg::Receiver recv;
  lg_recv_config c{};
  c.service_port[0] = 7;
  c.dport_base = s.sport;
  c.dport_count = s.sport_count;
  c.udp_len = t.udp_len;
  recv.configure(c);
  for (std::uint64_t i = 0; i < 20; ++i) {
    gen.set_sequence(i * 7919);
    std::vector<std::uint8_t> f = test_run(gen.prog_fd(), t.frame).out;
    std::swap_ranges(f.begin(), f.begin() + 6, f.begin() + 6);
    std::swap_ranges(f.begin() + 26, f.begin() + 42, f.begin() + 42);
    std::swap_ranges(f.begin() + 58, f.begin() + 60, f.begin() + 60);
    EXPECT_EQ(test_run(recv.prog_fd(), f).retval, static_cast<std::uint32_t>(XDP_DROP));
  }
  const lg_recv_counts n = recv.counts();
  EXPECT_EQ(n.good[0], 20u);
  EXPECT_EQ(n.bad[0], 0u);
}

// --- DNS ---
TEST(LoadgenDns, QueriesMatchScapyByteForByte) {
  lg::Generator gen;
  for (const auto& r : rows("dns_request")) {
    SCOPED_TRACE(r[1]);
    const auto want = unhex(r[6]);
    lg::FrameSpec s;
    s.family = std::stoi(r[2]);
    s.src = r[3];
    s.sport = static_cast<std::uint16_t>(std::stoul(r[4]));
    s.vips = {r[5]};
    s.dport = lg::service("dns").port;
    s.frame_len = want.size();
    const lg::Template t = lg::build_template(s, lg::service("dns").payload(want.size() - lg::header_len(s.family, 0)));
    gen.configure(t);
    gen.set_sequence(0);
    const Outcome out = test_run(gen.prog_fd(), t.frame);
    EXPECT_EQ(out.retval, static_cast<std::uint32_t>(XDP_TX));
    EXPECT_EQ(out.out, want);
    EXPECT_EQ(native_frame(t, 0), want);
  }
}

TEST(LoadgenDns, PayloadLengthsPaddingCannotReachAreRefused) {
  EXPECT_EQ(lg::dns_payload(lg::kDnsQueryLen).size(), lg::kDnsQueryLen);
  EXPECT_EQ(lg::dns_payload(lg::kDnsQueryLen + 4).size(), lg::kDnsQueryLen + 4);
  EXPECT_EQ(lg::dns_payload(1000).size(), 1000u);
  EXPECT_THROW(lg::dns_payload(lg::kDnsQueryLen - 1), std::invalid_argument);
  EXPECT_THROW(lg::dns_payload(lg::kDnsQueryLen + 3), std::invalid_argument);
  // the answer's length is the server's: its header is checked instead
  const lg_recv_config rc = lg::recv_config(lg::service("dns"), 53, 10000, 1000, 72);
  EXPECT_EQ(rc.udp_len, 0u);
  EXPECT_EQ(rc.check[0], LG_CHECK_DNS);
  EXPECT_EQ(rc.dns_id, lg::kDnsQueryId);
}

TEST(LoadgenDns, ReceiverChecksTheAnswerHeader) {
  lg::Receiver recv;
  lg_recv_config c{};
  c.service_port[0] = 53;
  c.dport_base = 10000;
  c.dport_count = 1000;
  c.check[0] = LG_CHECK_DNS;
  c.dns_id = lg::kDnsQueryId;
  recv.configure(c);
  for (const auto& r : rows("dns_answer")) {
    SCOPED_TRACE(r[1]);
    const lg_recv_counts before = recv.counts();
    const Outcome out = test_run(recv.prog_fd(), unhex(r[3]));
    const lg_recv_counts after = recv.counts();
    EXPECT_EQ(out.retval, static_cast<std::uint32_t>(XDP_DROP));
    EXPECT_EQ(after.good[0] - before.good[0], r[2] == "good" ? 1u : 0u);
    EXPECT_EQ(after.bad_reason[LG_BAD_CONTENT] - before.bad_reason[LG_BAD_CONTENT], r[2] == "bad_content" ? 1u : 0u);
    EXPECT_EQ(after.bad_reason[LG_BAD_CHECKSUM] - before.bad_reason[LG_BAD_CHECKSUM], r[2] == "bad_checksum" ? 1u : 0u);
  }
  // Without the DNS check, the same slot takes any well-formed datagram: the check is DNS's alone.
  c.check[0] = LG_CHECK_NONE;
  recv.configure(c);
  const lg_recv_counts before = recv.counts();
  for (const auto& r : rows("dns_answer"))
    if (r[1] == "bad_nxdomain") test_run(recv.prog_fd(), unhex(r[3]));
  EXPECT_EQ(recv.counts().good[0] - before.good[0], 1u);
}

TEST(LoadgenDns, UnsummedIpv4AnswersAreGoodOnlyWhenAccepted) {
  lg::Receiver recv;
  lg_recv_config c{};
  c.service_port[0] = 53;
  c.dport_base = 10000;
  c.dport_count = 1000;
  c.check[0] = LG_CHECK_DNS;
  c.dns_id = lg::kDnsQueryId;
  c.v4_unsummed_ok = 1;
  recv.configure(c);
  for (const auto& r : rows("dns_answer")) {
    SCOPED_TRACE(r[1]);
    const lg_recv_counts before = recv.counts();
    test_run(recv.prog_fd(), unhex(r[3]));
    const lg_recv_counts after = recv.counts();
    // with the flag, only the IPv4 answer without a checksum changes verdict
    const bool good = r[2] == "good" || r[1] == "unsummed_v4";
    EXPECT_EQ(after.good[0] - before.good[0], good ? 1u : 0u);
    EXPECT_EQ(after.bad[0] - before.bad[0], good ? 0u : 1u);
  }
}
// --- end DNS ---
