// SPDX-License-Identifier: Apache-2.0
#include "metrics/metrics_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "base/request_server.h"
#include "base/posix_io.h"

namespace anycastd::metrics {

namespace {

using posix_io::UniqueFd;

constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string response(int code, std::string_view reason, std::string_view body, bool with_body,
                     std::string_view content_type = "text/plain; charset=utf-8", std::string_view extra = {}) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n", code, reason,
      content_type, body.size(), extra);
  if (with_body) out += body;
  return out;
}

std::string error(int code, std::string_view reason, std::string_view detail, std::string_view extra = {}) {
  return response(code, reason, fmt::format("{} {}: {}\n", code, reason, detail), true,
                  "text/plain; charset=utf-8", extra);
}

// The end of the request head: the blank line. Bare LF is accepted too (RFC 9112 2.2), for
// hand-typed requests.
std::optional<std::size_t> head_end(std::string_view received) {
  auto crlf = received.find("\r\n\r\n");
  auto lf = received.find("\n\n");
  if (crlf == std::string_view::npos && lf == std::string_view::npos) return std::nullopt;
  if (lf == std::string_view::npos || (crlf != std::string_view::npos && crlf < lf)) return crlf + 4;
  return lf + 2;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char ch : s)
    if (ch <= 0x20 || ch >= 0x7f || std::strchr("\"(),/:;<=>?@[\\]{}", ch)) return false;
  return true;
}

std::vector<std::string_view> split_lines(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    auto nl = head.find('\n');
    auto line = head.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    head.remove_prefix(nl + 1);
  }
  return lines;
}

// The address a listening TCP socket is bound to ("127.0.0.1:9187"), "" for anything else.
std::string listening_address(int fd) {
  int listening = 0;
  socklen_t len = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) return "";
  sockaddr_storage bound{};
  len = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) < 0) return "";
  char host[INET6_ADDRSTRLEN] = {};
  ListenAddress a;
  a.family = bound.ss_family;
  if (bound.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(bound);
    ::inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
    a.port = ntohs(in.sin_port);
  } else if (bound.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(bound);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host);
    a.port = ntohs(in6.sin6_port);
  } else {
    return "";
  }
  a.host = host;
  return a.str();
}

// "0:0::1" -> "::1", as inet_ntop writes it (and listening_address reads it back).
std::string canonical_host(int family, const std::string& host) {
  unsigned char bytes[sizeof(in6_addr)];
  char text[INET6_ADDRSTRLEN] = {};
  if (::inet_pton(family, host.c_str(), bytes) != 1 || !::inet_ntop(family, bytes, text, sizeof text)) return host;
  return text;
}


}  // namespace

UniqueFd MetricsServer::bind_listener() {
  auto fail = [&](std::string_view what) {
    return std::runtime_error(fmt::format("metrics {}: {}: {}", address_.str(), what, std::strerror(errno)));
  };
  UniqueFd listener(::socket(address_.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listener) throw fail("socket");
  int one = 1;
  if (::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) throw fail("SO_REUSEADDR");

  sockaddr_storage addr{};
  socklen_t len = 0;
  if (address_.family == AF_INET) {
    auto& in = reinterpret_cast<sockaddr_in&>(addr);
    in.sin_family = AF_INET;
    in.sin_port = htons(address_.port);
    ::inet_pton(AF_INET, address_.host.c_str(), &in.sin_addr);
    len = sizeof in;
  } else {
    // "[::]" should not take the IPv4 port as well: what is configured is what is listened on.
    if (::setsockopt(listener.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) throw fail("IPV6_V6ONLY");
    auto& in6 = reinterpret_cast<sockaddr_in6&>(addr);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(address_.port);
    ::inet_pton(AF_INET6, address_.host.c_str(), &in6.sin6_addr);
    len = sizeof in6;
  }
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&addr), len) < 0) throw fail("cannot listen");
  if (::listen(listener.get(), 64) < 0) throw fail("listen");
  if (address_.port == 0) {
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &blen) == 0)
      address_.port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(bound).sin_port
                                                        : reinterpret_cast<sockaddr_in6&>(bound).sin6_port);
  }

  return listener;
}

MetricsServer::MetricsServer(std::string_view listen, Render render, MetricsServerOptions options, UniqueFd inherited)
    : address_(parse_listen_address(listen)), render_(std::move(render)), options_(options) {
  UniqueFd listener;
  // Spelled as str() spells it on both sides: "[::1]" and "[0:0::1]" are one address.
  address_.host = canonical_host(address_.family, address_.host);
  const std::string was = inherited ? listening_address(inherited.get()) : "";
  if (inherited && was == address_.str()) {
    // Scrapes that connected during the exec waited in its backlog: none refused.
    listener = std::move(inherited);
    if (::fcntl(listener.get(), F_SETFL, O_NONBLOCK) < 0)
      throw std::runtime_error(fmt::format("metrics {}: fcntl: {}", address_.str(), std::strerror(errno)));
  } else {
    if (inherited)
      spdlog::info("metrics: the restart handed over {}, the configuration says {}: listening there instead",
                   was.empty() ? "a descriptor that is no TCP listener" : was, address_.str());
    inherited.reset();
    listener = bind_listener();
  }

  RequestProtocol protocol;
  protocol.find_end = head_end;
  protocol.eof_ends_request = false;
  protocol.respond = [this](std::string_view request, const Peer&) { return respond(request); };
  protocol.fail = [this](RequestFailure why, const Peer&) {
    switch (why) {
      case RequestFailure::too_large:
        return error(431, "Request Header Fields Too Large",
                     fmt::format("the request head is larger than {} bytes", options_.max_request));
      case RequestFailure::timed_out:
        return error(408, "Request Timeout", fmt::format("no whole request within {} ms", options_.deadline.count()));
      case RequestFailure::incomplete: return error(400, "Bad Request", "the request ended before its blank line");
      case RequestFailure::busy: return error(503, "Service Unavailable", "too many connections", "Retry-After: 1\r\n");
    }
    return error(400, "Bad Request", "bad request");
  };

  ServerLimits limits;
  limits.deadline = options_.deadline;
  limits.max_request = options_.max_request;
  limits.max_connections = options_.max_connections;
  server_ = std::make_unique<RequestServer>(std::move(listener), std::move(protocol), limits,
                                                 "metrics " + address_.str());
  spdlog::info("metrics: serving http://{}/metrics{}", address_.str(), was == address_.str() ? " (handed over by the previous image)" : "");
}

MetricsServer::~MetricsServer() = default;

int MetricsServer::fd() const { return server_->fd(); }

int MetricsServer::listener_fd() const { return server_->listener_fd(); }

void MetricsServer::finish(std::chrono::steady_clock::time_point until) { server_->finish(until); }

void MetricsServer::on_readable() { server_->on_readable(); }

std::string MetricsServer::respond(std::string_view request) {
  // Blank lines before the request line are to be ignored (RFC 9112 2.2).
  while (!request.empty() && (request.front() == '\r' || request.front() == '\n')) request.remove_prefix(1);
  auto lines = split_lines(request);
  if (lines.empty()) return error(400, "Bad Request", "empty request");

  // "GET /metrics HTTP/1.1": three parts separated by single spaces.
  std::string_view line = lines[0];
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return error(400, "Bad Request", "expected a request line such as \"GET /metrics HTTP/1.1\"");
  auto method = line.substr(0, sp1);
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty() || version.substr(0, 5) != "HTTP/")
    return error(400, "Bad Request", "expected a request line such as \"GET /metrics HTTP/1.1\"");
  if (version != "HTTP/1.0" && version != "HTTP/1.1")
    return error(505, "HTTP Version Not Supported", "only HTTP/1.0 and HTTP/1.1 are spoken here");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) break;
    auto colon = lines[i].find(':');
    if (colon == std::string_view::npos || !is_token(lines[i].substr(0, colon)))
      return error(400, "Bad Request", "malformed header line");
  }

  bool head = method == "HEAD";
  if (method != "GET" && !head)
    return error(405, "Method Not Allowed", "only GET and HEAD", "Allow: GET, HEAD\r\n");
  auto path = target.substr(0, target.find('?'));
  if (path != "/metrics") {
    std::string page = error(404, "Not Found", "the metrics are at /metrics");
    if (head) page.erase(page.find("\r\n\r\n") + 4);  // a HEAD reply has the headers only
    return page;
  }

  std::string body;
  try {
    body = render_();
  } catch (const std::exception& e) {
    spdlog::error("metrics {}: rendering failed: {}", address_.str(), e.what());
    return error(500, "Internal Server Error", e.what());
  }
  return response(200, "OK", body, !head, kContentType);
}

}  // namespace anycastd::metrics
