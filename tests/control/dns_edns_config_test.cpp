// SPDX-License-Identifier: Apache-2.0
// [services.dns] nsid, cookie_secret_file and cookie_secret_previous_file (issue 24): what is
// read, the settings built from it, and what each bad value or file is called.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"
#include "config/dns_edns.h"

namespace anycastd {
namespace {

class DnsEdnsConfig : public testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/ac-edns-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string file(const std::string& name, const std::string& text, mode_t mode = 0600) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  static std::string config(const std::string& keys) {
    return "[datapath]\ninterface = \"eth0\"\n[anycast]\naddresses = [\"192.0.2.53\"]\n[services.dns]\n" + keys +
           "\n[[services.dns.zone]]\norigin = \"example.net\"\nfile = \"/etc/anycastd/example.net.zone\"\n";
  }
  static std::string error_of(const std::string& keys) {
    try {
      parse_config(config(keys), "anycastd.toml");
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(parsed)";
  }
  std::string dir_;
};

TEST_F(DnsEdnsConfig, NsidAndSecretsRead) {
  const std::string cur = file("cur", "00112233 44556677\n8899AABBccddeeff\n");
  const std::string prev = file("prev", "ffeeddccbbaa99887766554433221100");
  Config c = parse_config(config("nsid = \"site-a\"\ncookie_secret_file = \"" + cur +
                                 "\"\ncookie_secret_previous_file = \"" + prev + "\""),
                          "anycastd.toml");
  const DnsServiceConfig& d = dns_service(c)->dns;
  EXPECT_EQ(d.edns.nsid, "site-a");
  ASSERT_TRUE(d.edns.cookie_secret);
  EXPECT_EQ(*d.edns.cookie_secret, (CookieSecret{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
                                                 0xbb, 0xcc, 0xdd, 0xee, 0xff}));
  ASSERT_TRUE(d.edns.cookie_secret_previous);
  EXPECT_EQ((*d.edns.cookie_secret_previous)[0], 0xff);

  ac_dns_edns e = dns_edns_settings(d.edns.nsid, d.edns.cookie_secret, d.edns.cookie_secret_previous, 1234);
  EXPECT_EQ(e.now, 1234u);
  EXPECT_EQ(e.nsid_len, 6);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(e.nsid), 6), "site-a");
  // "si" "te" "-a" as big-endian words: 0x7369 + 0x7465 + 0x2d61, folded.
  EXPECT_EQ(e.nsid_sum, 0x7369 + 0x7465 + 0x2d61 - 0xffff);
  EXPECT_EQ(e.secrets, 2);
  EXPECT_EQ(e.secret[0][15], 0xff);
  EXPECT_EQ(e.secret[1][15], 0x00);

  ac_dns_edns off = dns_edns_settings("", std::nullopt, std::nullopt, 1);
  EXPECT_EQ(off.nsid_len, 0);
  EXPECT_EQ(off.secrets, 0);
}

TEST_F(DnsEdnsConfig, NsidTrueIsTheHostName) {
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  Config c = parse_config(config("nsid = true"), "anycastd.toml");
  EXPECT_EQ(dns_service(c)->dns.edns.nsid, host);
  EXPECT_EQ(dns_service(parse_config(config("nsid = false"), "anycastd.toml"))->dns.edns.nsid, "");
  EXPECT_EQ(dns_service(parse_config(config(""), "anycastd.toml"))->dns.edns.nsid, "");
}

TEST_F(DnsEdnsConfig, BadValuesNamed) {
  EXPECT_EQ(error_of("nsid = \"" + std::string(65, 'x') + "\""),
            "anycastd.toml:6: services.dns.nsid: 65 bytes, over the most, 64");
  EXPECT_EQ(error_of("nsid = \"\""),
            "anycastd.toml:6: services.dns.nsid: empty (leave the key out, or false, for no NSID)");
  EXPECT_EQ(error_of("nsid = 3"), "anycastd.toml:6: services.dns.nsid: expected a string, or true for the host name, got an integer");
  EXPECT_EQ(error_of("cookie_secret_file = \"relative\""),
            "anycastd.toml:6: services.dns.cookie_secret_file: \"relative\" is not an absolute path (\"\" turns it off)");

  const std::string missing = dir_ + "/missing";
  EXPECT_EQ(error_of("cookie_secret_file = \"" + missing + "\""),
            "anycastd.toml:6: services.dns.cookie_secret_file: cookie secret file " + missing +
                ": No such file or directory");
  const std::string shrt = file("short", "0011223344556677\n");
  EXPECT_EQ(error_of("cookie_secret_file = \"" + shrt + "\""),
            "anycastd.toml:6: services.dns.cookie_secret_file: cookie secret file " + shrt +
                ": 16 hex digits, expected 32 (16 bytes; e.g. `openssl rand -hex 16`)");
  const std::string lng = file("long", std::string(34, 'a'));
  EXPECT_EQ(error_of("cookie_secret_file = \"" + lng + "\""),
            "anycastd.toml:6: services.dns.cookie_secret_file: cookie secret file " + lng +
                ": 34 hex digits, expected 32 (16 bytes; e.g. `openssl rand -hex 16`)");
  const std::string nothex = file("nothex", "0011223344556677889900112233445g\n");
  EXPECT_EQ(error_of("cookie_secret_file = \"" + nothex + "\""),
            "anycastd.toml:6: services.dns.cookie_secret_file: cookie secret file " + nothex +
                ": byte 32 is not a hex digit (expected 32 hex digits, 16 bytes)");
  EXPECT_EQ(error_of("cookie_secret_file = \"" + dir_ + "\""),
            "anycastd.toml:6: services.dns.cookie_secret_file: cookie secret file " + dir_ + ": not a regular file");
  const std::string good = file("good", std::string(32, '1'));
  EXPECT_EQ(error_of("cookie_secret_previous_file = \"" + good + "\""),
            "anycastd.toml:6: services.dns.cookie_secret_previous_file: needs cookie_secret_file too (the previous "
            "secret is accepted during a rollover, and a server cookie is always issued under the current one)");
  // The previous file is read as strictly as the current one.
  EXPECT_EQ(error_of("cookie_secret_file = \"" + good + "\"\ncookie_secret_previous_file = \"" + shrt + "\""),
            "anycastd.toml:7: services.dns.cookie_secret_previous_file: cookie secret file " + shrt +
                ": 16 hex digits, expected 32 (16 bytes; e.g. `openssl rand -hex 16`)");
}

TEST_F(DnsEdnsConfig, ReadableByOthersIsWarned) {
  std::string warning;
  read_cookie_secret(file("private", std::string(32, 'a')), warning);
  EXPECT_EQ(warning, "");
  const std::string open = file("open", std::string(32, 'a'), 0644);
  CookieSecret s = read_cookie_secret(open, warning);
  EXPECT_EQ(s[0], 0xaa);
  EXPECT_EQ(warning, "cookie secret file " + open +
                         " is readable by its group or others (mode 644); it is a secret: chmod 600");
}

}  // namespace
}  // namespace anycastd
