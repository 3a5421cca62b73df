/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "mc-url-verdict.h"

#define NO_SERVER NULL
#define NO_HOST NULL, NULL, NULL

typedef struct
{
  const char *url;
  const char *server_url;
  McUrlRisk   risk;
  const char *flags;               /* space-separated, in verdict order */
  const char *host;
  const char *host_ascii;
  const char *registrable_domain;
} VerdictCase;

#define BLOCKED(url, flags) \
  { url, NO_SERVER, MC_URL_RISK_BLOCKED, flags, NO_HOST }

static void
assert_verdict (const VerdictCase *c)
{
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (c->url, c->server_url);
  g_autofree char *flags = g_strjoinv (" ", (char **) mc_url_verdict_get_flags (verdict));
  g_autofree char *json = mc_url_verdict_to_json (verdict);
  g_autofree char *escaped_url = g_strescape (c->url, NULL);
  g_autofree char *escaped_json = g_strescape (json, NULL);

  /* Escaped, because some of these are not UTF-8 and TAP wants lines. */
  g_test_message ("%s (server %s) -> %s", escaped_url, c->server_url ? c->server_url : "none", escaped_json);

  g_assert_cmpstr (flags, ==, c->flags);
  g_assert_cmpstr (mc_url_risk_to_string (mc_url_verdict_get_risk (verdict)), ==,
                   mc_url_risk_to_string (c->risk));
  g_assert_cmpstr (mc_url_verdict_get_host (verdict), ==, c->host);
  g_assert_cmpstr (mc_url_verdict_get_host_ascii (verdict), ==, c->host_ascii);
  g_assert_cmpstr (mc_url_verdict_get_registrable_domain (verdict), ==, c->registrable_domain);

  /* The reason exists exactly for blocked verdicts and names a flag. */
  if (c->risk == MC_URL_RISK_BLOCKED)
    {
      const char *first = mc_url_verdict_get_flags (verdict)[0];

      g_assert_nonnull (first);
      g_assert_cmpstr (mc_url_verdict_get_reason (verdict), ==, mc_url_flag_describe (first));
    }
  else
    {
      g_assert_null (mc_url_verdict_get_reason (verdict));
    }

  /* A host range is there exactly when a host is. */
  g_assert_cmpint (mc_url_verdict_get_host_range (verdict, NULL, NULL), ==, c->host != NULL);
}

static void
test_table (gconstpointer data)
{
  for (const VerdictCase *c = data; c->url != NULL; c++)
    assert_verdict (c);
}

static const VerdictCase ok_cases[] = {
  { "https://example.com/", NO_SERVER, MC_URL_RISK_OK, "", "example.com", "example.com", "example.com" },
  { "HTTPS://WWW.Example.CO.UK/Path?Q=1#F", NO_SERVER, MC_URL_RISK_OK, "",
    "www.example.co.uk", "www.example.co.uk", "example.co.uk" },
  { "https://example.com:443/", NO_SERVER, MC_URL_RISK_OK, "", "example.com", "example.com", "example.com" },
  /* An empty port is the default port. */
  { "https://example.com:/", NO_SERVER, MC_URL_RISK_OK, "", "example.com", "example.com", "example.com" },
  /* One trailing dot is the same host. */
  { "https://example.com./", NO_SERVER, MC_URL_RISK_OK, "", "example.com", "example.com", "example.com" },
  { "https://a.github.io/", NO_SERVER, MC_URL_RISK_OK, "", "a.github.io", "a.github.io", "a.github.io" },
  { "https://example.com/p\u00E4th?q=\u4E2D#\u0430", NO_SERVER, MC_URL_RISK_OK, "",
    "example.com", "example.com", "example.com" },
  { "https://example.com/~!$&'()*+,;=:@", NO_SERVER, MC_URL_RISK_OK, "", "example.com", "example.com", "example.com" },
  /* Single-label names that are on no suffix list have no registrable domain. */
  { "https://intranet/", NO_SERVER, MC_URL_RISK_OK, "", "intranet", "intranet", NULL },
  /* Hyphens in third and fourth place are fine outside "xn--". */
  { "https://r3---sn-abc.googlevideo.com/", NO_SERVER, MC_URL_RISK_OK, "",
    "r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com", "googlevideo.com" },
  { "https://123.example.com/", NO_SERVER, MC_URL_RISK_OK, "", "123.example.com", "123.example.com", "example.com" },
  { NULL }
};

static const VerdictCase blocked_cases[] = {
  /* control-character: every range of the rule, at its edges */
  BLOCKED ("https://exa mple.com/", "control-character"),
  BLOCKED ("https://example.com/\x01", "control-character"),
  BLOCKED ("https://example.com/\t", "control-character"),
  BLOCKED ("https://example.com/\n", "control-character"),
  BLOCKED ("https://example.com/\x1f", "control-character"),
  BLOCKED ("https://example.com/\x7f", "control-character"),
  BLOCKED ("https://example.com\\@evil.com/", "control-character"),
  BLOCKED ("https://exa\u200Bmple.com/", "control-character"),
  BLOCKED ("https://example.com/\u200C", "control-character"),
  BLOCKED ("https://example.com/\u200D", "control-character"),
  BLOCKED ("https://example.com/\u200E", "control-character"),
  BLOCKED ("https://example.com/\u200F", "control-character"),
  BLOCKED ("https://example.com/\u202A", "control-character"),
  BLOCKED ("https://example.com/\u202E", "control-character"),
  BLOCKED ("https://example.com/\u2060", "control-character"),
  BLOCKED ("https://example.com/\u2064", "control-character"),
  BLOCKED ("https://example.com/\u2066", "control-character"),
  BLOCKED ("https://example.com/\u2069", "control-character"),
  BLOCKED ("\uFEFFhttps://example.com/", "control-character"),
  /* invalid-utf8: stray byte, overlong '/', surrogate, truncated sequence */
  BLOCKED ("https://example.com/\xff", "invalid-utf8"),
  BLOCKED ("https://example.com/\xc0\xaf", "invalid-utf8"),
  BLOCKED ("https://example.com/\xed\xa0\x80", "invalid-utf8"),
  BLOCKED ("https://example.com/\xe2\x80", "invalid-utf8"),
  /* invalid UTF-8 wins over the control character after it */
  BLOCKED ("https://\xff example.com/", "invalid-utf8"),
  /* not-absolute */
  BLOCKED ("", "not-absolute"),
  BLOCKED ("example.com", "not-absolute"),
  BLOCKED ("//example.com/", "not-absolute"),
  BLOCKED ("/path", "not-absolute"),
  BLOCKED ("https:", "not-absolute"),
  BLOCKED ("https:example.com", "not-absolute"),
  BLOCKED ("https:/example.com", "not-absolute"),
  BLOCKED ("https:///path", "not-absolute"),
  BLOCKED ("https://:443/", "not-absolute"),
  BLOCKED ("https://example.com/%zz", "not-absolute"),
  BLOCKED ("https://example.com/?100%", "not-absolute"),
  BLOCKED ("https://example.com:99999/", "not-absolute"),
  BLOCKED ("https://example.com:80:90/", "not-absolute"),
  BLOCKED ("https://[::1/", "not-absolute"),
  BLOCKED ("https://[v1.future]/", "not-absolute"),
  /* scheme */
  BLOCKED ("ftp://example.com/", "scheme"),
  BLOCKED ("javascript:alert(1)", "scheme"),
  BLOCKED ("file:///etc/passwd", "scheme"),
  BLOCKED ("data:text/html,hello", "scheme"),
  BLOCKED ("wss://example.com/", "scheme"),
  BLOCKED ("httpx://example.com/", "scheme"),
  /* userinfo: the host is still reported, the one a browser would use */
  { "https://user@example.com/", NO_SERVER, MC_URL_RISK_BLOCKED, "userinfo",
    "example.com", "example.com", "example.com" },
  { "https://user:secret@example.com/", NO_SERVER, MC_URL_RISK_BLOCKED, "userinfo",
    "example.com", "example.com", "example.com" },
  { "https://@example.com/", NO_SERVER, MC_URL_RISK_BLOCKED, "userinfo",
    "example.com", "example.com", "example.com" },
  { "https://accounts.google.com@evil.example/", NO_SERVER, MC_URL_RISK_BLOCKED, "userinfo",
    "evil.example", "evil.example", NULL },
  { "https://a@b@evil.com/", NO_SERVER, MC_URL_RISK_BLOCKED, "userinfo",
    "evil.com", "evil.com", "evil.com" },
  /* every blocking rule after parsing is listed */
  { "http://user@example.com/", NO_SERVER, MC_URL_RISK_BLOCKED, "userinfo http-not-loopback",
    "example.com", "example.com", "example.com" },
  { "https://user@a_b.com/", NO_SERVER, MC_URL_RISK_BLOCKED, "userinfo invalid-host", NO_HOST },
  { "http://user@ex%61mple.com/", NO_SERVER, MC_URL_RISK_BLOCKED, "userinfo percent-in-host", NO_HOST },
  /* percent-in-host */
  BLOCKED ("https://ex%61mple.com/", "percent-in-host"),
  BLOCKED ("https://%65xample.com/", "percent-in-host"),
  BLOCKED ("https://example%2ecom/", "percent-in-host"),
  BLOCKED ("https://b\u00FC%63her.de/", "percent-in-host"),
  BLOCKED ("https://[fe80::1%25eth0]/", "percent-in-host"),
  /* http-not-loopback */
  { "http://example.com/", NO_SERVER, MC_URL_RISK_BLOCKED, "http-not-loopback",
    "example.com", "example.com", "example.com" },
  { "HTTP://EXAMPLE.COM/", NO_SERVER, MC_URL_RISK_BLOCKED, "http-not-loopback",
    "example.com", "example.com", "example.com" },
  { "http://8.8.8.8/", NO_SERVER, MC_URL_RISK_BLOCKED, "http-not-loopback", "8.8.8.8", "8.8.8.8", NULL },
  { "http://[2001:db8::1]/", NO_SERVER, MC_URL_RISK_BLOCKED, "http-not-loopback", "2001:db8::1", "2001:db8::1", NULL },
  { "http://localhost.example.com/", NO_SERVER, MC_URL_RISK_BLOCKED, "http-not-loopback",
    "localhost.example.com", "localhost.example.com", "example.com" },
  { "http://localhostx/", NO_SERVER, MC_URL_RISK_BLOCKED, "http-not-loopback", "localhostx", "localhostx", NULL },
  /* numeric spellings of 127.0.0.1 are not loopback names */
  { "http://2130706433/", NO_SERVER, MC_URL_RISK_BLOCKED, "http-not-loopback", "127.0.0.1", "127.0.0.1", NULL },
  { "http://127.1/", NO_SERVER, MC_URL_RISK_BLOCKED, "http-not-loopback", "127.0.0.1", "127.0.0.1", NULL },
  { "http://[::ffff:127.0.0.1]/", NO_SERVER, MC_URL_RISK_BLOCKED, "http-not-loopback",
    "::ffff:127.0.0.1", "::ffff:127.0.0.1", NULL },
  /* the server URL changes nothing about blocking */
  { "http://example.com/", "http://example.com/mcp", MC_URL_RISK_BLOCKED, "http-not-loopback",
    "example.com", "example.com", "example.com" },
  /* invalid-host */
  BLOCKED ("https://a_b.example.com/", "invalid-host"),
  BLOCKED ("https://-a.example.com/", "invalid-host"),
  BLOCKED ("https://a-.example.com/", "invalid-host"),
  BLOCKED ("https://a..example.com/", "invalid-host"),
  BLOCKED ("https://.example.com/", "invalid-host"),
  BLOCKED ("https://example.com../", "invalid-host"),
  BLOCKED ("https://./", "invalid-host"),
  BLOCKED ("https://a[b]/", "invalid-host"),
  BLOCKED ("https://exa!mple.com/", "invalid-host"),
  BLOCKED ("https://xn--zz.com/", "invalid-host"),
  BLOCKED ("https://xn--.com/", "invalid-host"),
  /* punycode that decodes to plain ASCII is not canonical */
  BLOCKED ("https://xn--google-.com/", "invalid-host"),
  /* a full-width solidus that normalises to '/' */
  BLOCKED ("https://evil.com\uFF0Fexample.com/", "invalid-host"),
  /* a one-dot leader that normalises to a dot inside one label */
  BLOCKED ("https://evil\u2024example.com/", "invalid-host"),
  /* invisible, unassigned or private characters: GLib's IDNA refuses them */
  BLOCKED ("https://exa\u2028mple.com/", "invalid-host"),
  BLOCKED ("https://exa\u2029mple.com/", "invalid-host"),
  BLOCKED ("https://exa\u205Fmple.com/", "invalid-host"),
  BLOCKED ("https://exa\u180Emple.com/", "invalid-host"),
  BLOCKED ("https://exa\u061Cmple.com/", "invalid-host"),
  BLOCKED ("https://exa\uE000mple.com/", "invalid-host"),
  BLOCKED ("https://exa\u0378mple.com/", "invalid-host"),
  BLOCKED ("https://exa\u00A0mple.com/", "invalid-host"),
  BLOCKED ("https://exa\u3000mple.com/", "invalid-host"),
  /* a label that normalises to nothing (soft hyphen) */
  BLOCKED ("https://\u00AD.example.com/", "invalid-host"),
  /* ends in a number, but is no IPv4 address */
  BLOCKED ("https://example.123/", "invalid-host"),
  BLOCKED ("https://example.0x1/", "invalid-host"),
  BLOCKED ("https://1.2.3.4.5/", "invalid-host"),
  BLOCKED ("https://256.1.1.1/", "invalid-host"),
  BLOCKED ("https://1.256.1.1/", "invalid-host"),
  BLOCKED ("https://1.2.65536/", "invalid-host"),
  BLOCKED ("https://4294967296/", "invalid-host"),
  BLOCKED ("https://08.1.1.1/", "invalid-host"),
  BLOCKED ("https://0x1g.1.1.1/", "invalid-host"),
  BLOCKED ("https://0xffffffffffffffffffffff/", "invalid-host"),
  { NULL }
};

/* Non-loopback IPs and every notation a browser reads as IPv4. */
static const VerdictCase ip_cases[] = {
  { "https://8.8.8.8/", NO_SERVER, MC_URL_RISK_DANGER, "ip-address", "8.8.8.8", "8.8.8.8", NULL },
  { "https://0.0.0.0/", NO_SERVER, MC_URL_RISK_DANGER, "ip-address", "0.0.0.0", "0.0.0.0", NULL },
  { "https://[2001:DB8::1]:443/", NO_SERVER, MC_URL_RISK_DANGER, "ip-address", "2001:db8::1", "2001:db8::1", NULL },
  { "https://[::ffff:127.0.0.1]/", NO_SERVER, MC_URL_RISK_DANGER, "ip-address",
    "::ffff:127.0.0.1", "::ffff:127.0.0.1", NULL },
  /* numeric-host, loopback or not */
  { "https://2130706433/", NO_SERVER, MC_URL_RISK_DANGER, "numeric-host", "127.0.0.1", "127.0.0.1", NULL },
  { "https://0x7f000001/", NO_SERVER, MC_URL_RISK_DANGER, "numeric-host", "127.0.0.1", "127.0.0.1", NULL },
  { "https://0x7f.1/", NO_SERVER, MC_URL_RISK_DANGER, "numeric-host", "127.0.0.1", "127.0.0.1", NULL },
  { "https://0X7F.0.0.1/", NO_SERVER, MC_URL_RISK_DANGER, "numeric-host", "127.0.0.1", "127.0.0.1", NULL },
  { "https://0177.0.0.1/", NO_SERVER, MC_URL_RISK_DANGER, "numeric-host", "127.0.0.1", "127.0.0.1", NULL },
  { "https://127.1/", NO_SERVER, MC_URL_RISK_DANGER, "numeric-host", "127.0.0.1", "127.0.0.1", NULL },
  { "https://127.0.1/", NO_SERVER, MC_URL_RISK_DANGER, "numeric-host", "127.0.0.1", "127.0.0.1", NULL },
  { "https://127.000.000.001/", NO_SERVER, MC_URL_RISK_DANGER, "numeric-host", "127.0.0.1", "127.0.0.1", NULL },
  { "https://127.0.0.1./", NO_SERVER, MC_URL_RISK_DANGER, "numeric-host", "127.0.0.1", "127.0.0.1", NULL },
  { "https://\uFF11\uFF12\uFF17.0.0.1/", NO_SERVER, MC_URL_RISK_DANGER, "numeric-host", "127.0.0.1", "127.0.0.1", NULL },
  { "https://010.0.0.1/", NO_SERVER, MC_URL_RISK_DANGER, "ip-address numeric-host", "8.0.0.1", "8.0.0.1", NULL },
  { "https://0x08080808/", NO_SERVER, MC_URL_RISK_DANGER, "ip-address numeric-host", "8.8.8.8", "8.8.8.8", NULL },
  { "https://134744072/", NO_SERVER, MC_URL_RISK_DANGER, "ip-address numeric-host", "8.8.8.8", "8.8.8.8", NULL },
  { "https://8.8.2056/", NO_SERVER, MC_URL_RISK_DANGER, "ip-address numeric-host", "8.8.8.8", "8.8.8.8", NULL },
  { "https://0x/", NO_SERVER, MC_URL_RISK_DANGER, "ip-address numeric-host", "0.0.0.0", "0.0.0.0", NULL },
  { "https://4294967295/", NO_SERVER, MC_URL_RISK_DANGER, "ip-address numeric-host",
    "255.255.255.255", "255.255.255.255", NULL },
  { "https://1.2.65535/", NO_SERVER, MC_URL_RISK_DANGER, "ip-address numeric-host", "1.2.255.255", "1.2.255.255", NULL },
  /* dotted-quad loopback is a loopback host, not a numeric one */
  { "https://127.0.0.1/", NO_SERVER, MC_URL_RISK_CAUTION, "loopback", "127.0.0.1", "127.0.0.1", NULL },
  { "https://127.255.0.9/", NO_SERVER, MC_URL_RISK_CAUTION, "loopback", "127.255.0.9", "127.255.0.9", NULL },
  { "http://[::1]/", NO_SERVER, MC_URL_RISK_CAUTION, "loopback", "::1", "::1", NULL },
  { "http://[0:0:0:0:0:0:0:1]/", NO_SERVER, MC_URL_RISK_CAUTION, "loopback", "::1", "::1", NULL },
  { NULL }
};

static const VerdictCase suffix_and_idn_cases[] = {
  /* public-suffix */
  { "https://com/", NO_SERVER, MC_URL_RISK_DANGER, "public-suffix", "com", "com", NULL },
  { "https://co.uk/", NO_SERVER, MC_URL_RISK_DANGER, "public-suffix", "co.uk", "co.uk", NULL },
  { "https://github.io/", NO_SERVER, MC_URL_RISK_DANGER, "public-suffix", "github.io", "github.io", NULL },
  { "https://COM./", NO_SERVER, MC_URL_RISK_DANGER, "public-suffix", "com", "com", NULL },
  { "https://\u0440\u0444/", NO_SERVER, MC_URL_RISK_DANGER, "public-suffix idn", "\u0440\u0444", "xn--p1ai", NULL },
  /* idn, in both forms and with the mapping IDNA does */
  { "https://b\u00FCcher.de/", NO_SERVER, MC_URL_RISK_CAUTION, "idn", "b\u00FCcher.de", "xn--bcher-kva.de", "b\u00FCcher.de" },
  { "https://xn--bcher-kva.de/", NO_SERVER, MC_URL_RISK_CAUTION, "idn", "b\u00FCcher.de", "xn--bcher-kva.de", "b\u00FCcher.de" },
  { "https://XN--BCHER-KVA.DE/", NO_SERVER, MC_URL_RISK_CAUTION, "idn", "b\u00FCcher.de", "xn--bcher-kva.de", "b\u00FCcher.de" },
  { "https://B\u00DCCHER.de/", NO_SERVER, MC_URL_RISK_CAUTION, "idn", "b\u00FCcher.de", "xn--bcher-kva.de", "b\u00FCcher.de" },
  { "https://fa\u00DF.de/", NO_SERVER, MC_URL_RISK_CAUTION, "idn", "fa\u00DF.de", "xn--fa-hia.de", "fa\u00DF.de" },
  { "https://www.\u043F\u0440\u0438\u043C\u0435\u0440.\u0440\u0444/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "www.\u043F\u0440\u0438\u043C\u0435\u0440.\u0440\u0444", "www.xn--e1afmkfd.xn--p1ai",
    "\u043F\u0440\u0438\u043C\u0435\u0440.\u0440\u0444" },
  { "https://\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45.com/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "example.com", "example.com", "example.com" },
  { "https://example\u3002com\uFF0E/", NO_SERVER, MC_URL_RISK_CAUTION, "idn", "example.com", "example.com", "example.com" },
  { "https://example\uFF61com/", NO_SERVER, MC_URL_RISK_CAUTION, "idn", "example.com", "example.com", "example.com" },
  { "https://ex\u00ADample.com/", NO_SERVER, MC_URL_RISK_CAUTION, "idn", "example.com", "example.com", "example.com" },
  /* a full-width "xn--" is checked like a written one */
  { "https://\uFF58\uFF4E\uFF0D\uFF0Dbcher-kva.de/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "b\u00FCcher.de", "xn--bcher-kva.de", "b\u00FCcher.de" },
  { "https://\u2603.net/", NO_SERVER, MC_URL_RISK_CAUTION, "idn", "\u2603.net", "xn--n3h.net", "\u2603.net" },
  { "https://\u0430\u0440\u0440\u04CF\u0435.localhost/", NO_SERVER, MC_URL_RISK_DANGER, "confusable idn loopback",
    "\u0430\u0440\u0440\u04CF\u0435.localhost", "xn--80ak6aa92e.localhost", NULL },
  { NULL }
};

/* Unicode TR39 "highly restrictive", one label at a time. */
static const VerdictCase script_cases[] = {
  /* single scripts */
  { "https://\u65E5\u672C\u8A9E.jp/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "\u65E5\u672C\u8A9E.jp", "xn--wgv71a119e.jp", "\u65E5\u672C\u8A9E.jp" },
  { "https://\uD55C\uAD6D.kr/", NO_SERVER, MC_URL_RISK_CAUTION, "idn", "\uD55C\uAD6D.kr", "xn--3e0b707e.kr", "\uD55C\uAD6D.kr" },
  { "https://\u03B5\u03BB\u03BB\u03AC\u03B4\u03B1.gr/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "\u03B5\u03BB\u03BB\u03AC\u03B4\u03B1.gr", "xn--hxakic4aa.gr", "\u03B5\u03BB\u03BB\u03AC\u03B4\u03B1.gr" },
  /* allowed combinations: Latin + Han + Hiragana + Katakana */
  { "https://a\u6F22\u3072\u30AB.jp/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "a\u6F22\u3072\u30AB.jp", "xn--a-obu5h237v.jp", "a\u6F22\u3072\u30AB.jp" },
  { "https://\u30C6\u30B9\u30C8abc.jp/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "\u30C6\u30B9\u30C8abc.jp", "xn--abc-4k4bocn.jp", "\u30C6\u30B9\u30C8abc.jp" },
  /* Latin + Han + Bopomofo */
  { "https://a\u6F22\u3105.tw/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "a\u6F22\u3105.tw", "xn--a-2juw89u.tw", "a\u6F22\u3105.tw" },
  /* Latin + Han + Hangul */
  { "https://a\u6F22\uD55C.kr/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "a\u6F22\uD55C.kr", "xn--a-pi0cv120a.kr", "a\u6F22\uD55C.kr" },
  /* Common (digits, hyphen) and Inherited (combining acute) are ignored */
  { "https://\u0431\u0430\u043D\u043A-24.\u0440\u0444/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "\u0431\u0430\u043D\u043A-24.\u0440\u0444", "xn---24-5cde9cua.xn--p1ai", "\u0431\u0430\u043D\u043A-24.\u0440\u0444" },
  { "https://\u0431\u0430\u0301\u043D\u043A.\u0440\u0444/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "\u0431\u0430\u0301\u043D\u043A.\u0440\u0444", "xn--lsa91dc2bo.xn--p1ai", "\u0431\u0430\u0301\u043D\u043A.\u0440\u0444" },
  /* different scripts in different labels are not mixed */
  { "https://\u043F\u0440\u0438\u043C\u0435\u0440.example.com/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "\u043F\u0440\u0438\u043C\u0435\u0440.example.com", "xn--e1afmkfd.example.com", "example.com" },
  /* mixed */
  { "https://p\u0430ypal.com/", NO_SERVER, MC_URL_RISK_DANGER, "mixed-script idn",
    "p\u0430ypal.com", "xn--pypal-4ve.com", "p\u0430ypal.com" },
  { "https://xn--pypal-4ve.com/", NO_SERVER, MC_URL_RISK_DANGER, "mixed-script idn",
    "p\u0430ypal.com", "xn--pypal-4ve.com", "p\u0430ypal.com" },
  { "https://www.g\u03BF\u03BFgle.com/", NO_SERVER, MC_URL_RISK_DANGER, "mixed-script idn",
    "www.g\u03BF\u03BFgle.com", "www.xn--ggle-0nda.com", "g\u03BF\u03BFgle.com" },
  { "https://\u3072\uD55C.jp/", NO_SERVER, MC_URL_RISK_DANGER, "mixed-script idn",
    "\u3072\uD55C.jp", "xn--y9j5970c.jp", "\u3072\uD55C.jp" },
  { "https://\u3105\uD55C.kr/", NO_SERVER, MC_URL_RISK_DANGER, "mixed-script idn",
    "\u3105\uD55C.kr", "xn--5ek0260c.kr", "\u3105\uD55C.kr" },
  { "https://\u3105\u30AB.jp/", NO_SERVER, MC_URL_RISK_DANGER, "mixed-script idn",
    "\u3105\u30AB.jp", "xn--lck0j.jp", "\u3105\u30AB.jp" },
  { "https://\u6F22\u0431.com/", NO_SERVER, MC_URL_RISK_DANGER, "mixed-script idn",
    "\u6F22\u0431.com", "xn--90a7685c.com", "\u6F22\u0431.com" },
  { "https://a\u0628.com/", NO_SERVER, MC_URL_RISK_DANGER, "mixed-script idn",
    "a\u0628.com", "xn--a-1mc.com", "a\u0628.com" },
  { NULL }
};

static const VerdictCase server_cases[] = {
  /* port: the server's own host and port are fine, others are not */
  { "https://example.com:8443/", NO_SERVER, MC_URL_RISK_CAUTION, "port", "example.com", "example.com", "example.com" },
  { "https://example.com:8443/cb", "https://example.com:8443/mcp", MC_URL_RISK_OK, "",
    "example.com", "example.com", "example.com" },
  { "https://example.com:8444/cb", "https://example.com:8443/mcp", MC_URL_RISK_CAUTION, "port",
    "example.com", "example.com", "example.com" },
  { "https://login.example.com:8443/", "https://example.com:8443/mcp", MC_URL_RISK_CAUTION, "port",
    "login.example.com", "login.example.com", "example.com" },
  { "https://example.com:80/", "https://example.com/mcp", MC_URL_RISK_CAUTION, "port",
    "example.com", "example.com", "example.com" },
  /* the server's default port is its own port */
  { "https://example.com:80/", "http://example.com/mcp", MC_URL_RISK_OK, "",
    "example.com", "example.com", "example.com" },
  { "https://example.com:0/", NO_SERVER, MC_URL_RISK_CAUTION, "port", "example.com", "example.com", "example.com" },
  /* other-domain compares registrable domains */
  { "https://login.example.com/", "https://mcp.example.com/mcp", MC_URL_RISK_OK, "",
    "login.example.com", "login.example.com", "example.com" },
  { "https://example.org/", "https://example.com/mcp", MC_URL_RISK_CAUTION, "other-domain",
    "example.org", "example.org", "example.org" },
  { "https://a.github.io/", "https://b.github.io/mcp", MC_URL_RISK_CAUTION, "other-domain",
    "a.github.io", "a.github.io", "a.github.io" },
  { "https://b\u00FCcher.de/", "https://xn--bcher-kva.de/mcp", MC_URL_RISK_CAUTION, "idn",
    "b\u00FCcher.de", "xn--bcher-kva.de", "b\u00FCcher.de" },
  { "https://example.com:8443/", "https://example.org:8443/mcp", MC_URL_RISK_CAUTION, "port other-domain",
    "example.com", "example.com", "example.com" },
  /* without a registrable domain, hosts are compared */
  { "https://intranet/", "https://intranet:8443/mcp", MC_URL_RISK_OK, "", "intranet", "intranet", NULL },
  { "https://wiki-corp/", "https://intranet/mcp", MC_URL_RISK_CAUTION, "other-domain", "wiki-corp", "wiki-corp", NULL },
  { "https://8.8.8.8/", "https://8.8.8.8/mcp", MC_URL_RISK_DANGER, "ip-address", "8.8.8.8", "8.8.8.8", NULL },
  { "https://8.8.4.4/", "https://8.8.8.8/mcp", MC_URL_RISK_DANGER, "ip-address other-domain", "8.8.4.4", "8.8.4.4", NULL },
  /* loopback targets */
  { "http://localhost/", NO_SERVER, MC_URL_RISK_CAUTION, "loopback", "localhost", "localhost", NULL },
  { "http://LOCALHOST./cb", NO_SERVER, MC_URL_RISK_CAUTION, "loopback", "localhost", "localhost", NULL },
  { "http://app.localhost/", NO_SERVER, MC_URL_RISK_CAUTION, "loopback", "app.localhost", "app.localhost", NULL },
  { "http://localhost:8080/cb", NO_SERVER, MC_URL_RISK_CAUTION, "port loopback", "localhost", "localhost", NULL },
  { "http://localhost:8080/cb", "https://example.com/mcp", MC_URL_RISK_CAUTION, "port loopback other-domain",
    "localhost", "localhost", NULL },
  /* loopback servers: same host and port is fine, another host is not */
  { "http://localhost:8080/cb", "http://localhost:8080/mcp", MC_URL_RISK_OK, "", "localhost", "localhost", NULL },
  { "http://localhost:9090/cb", "http://localhost:8080/mcp", MC_URL_RISK_CAUTION, "port", "localhost", "localhost", NULL },
  { "http://127.0.0.1:8080/cb", "http://localhost:8080/mcp", MC_URL_RISK_CAUTION, "port other-domain",
    "127.0.0.1", "127.0.0.1", NULL },
  { "http://[::1]:8080/cb", "http://[0::1]:8080/mcp", MC_URL_RISK_OK, "", "::1", "::1", NULL },
  { "http://a.localhost/cb", "http://b.localhost/mcp", MC_URL_RISK_CAUTION, "other-domain",
    "a.localhost", "a.localhost", NULL },
  { "https://example.com/", "http://localhost:8080/mcp", MC_URL_RISK_CAUTION, "other-domain",
    "example.com", "example.com", "example.com" },
  /* a server URL that has no usable host counts as absent */
  { "https://example.com/", "", MC_URL_RISK_OK, "", "example.com", "example.com", "example.com" },
  { "https://example.com/", "not a url", MC_URL_RISK_OK, "", "example.com", "example.com", "example.com" },
  { "https://example.com/", "ftp://example.org/", MC_URL_RISK_OK, "", "example.com", "example.com", "example.com" },
  { "http://localhost/", "https://ex%61mple.org/", MC_URL_RISK_CAUTION, "loopback", "localhost", "localhost", NULL },
  /* a server URL with userinfo still names its host */
  { "https://example.org/", "https://u@example.com/mcp", MC_URL_RISK_CAUTION, "other-domain",
    "example.org", "example.org", "example.org" },
  { NULL }
};

static void
test_five_scripts (void)
{
  /* More scripts than any allowed set has, all in one label. */
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new ("https://a\u0431\u03B2\u0628\u05D0.com/", NULL);
  const char *expected[] = { "mixed-script", "idn", NULL };

  g_assert_cmpint (mc_url_verdict_get_risk (verdict), ==, MC_URL_RISK_DANGER);
  g_assert_cmpstrv (mc_url_verdict_get_flags (verdict), expected);
}

/* Every look-alike letter the rule names, alone in a label and in a word,
 * with the ASCII letter it imitates.
 */
static const struct
{
  gunichar c;
  char     ascii;
} required_lookalikes[] = {
  { 0x0430, 'a' }, { 0x0435, 'e' }, { 0x043E, 'o' }, { 0x0440, 'p' }, { 0x0441, 'c' },
  { 0x0443, 'y' }, { 0x0445, 'x' }, { 0x0456, 'i' }, { 0x0458, 'j' }, { 0x0455, 's' },
  { 0x04BB, 'h' }, { 0x0501, 'd' }, { 0x04CF, 'l' },
  { 0x03BF, 'o' }, { 0x03B1, 'a' }, { 0x03BD, 'v' }, { 0x03C1, 'p' }, { 0x03B9, 'i' },
  /* the ones we added */
  { 0x04AF, 'y' }, { 0x051B, 'q' }, { 0x051D, 'w' },
  { 0x03BA, 'k' }, { 0x03C5, 'u' }, { 0x03F3, 'j' },
};

static void
test_lookalikes (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (required_lookalikes); i++)
    {
      gunichar c = required_lookalikes[i].c;
      char letter[7] = { 0, };
      gunichar other = g_unichar_get_script (c) == G_UNICODE_SCRIPT_CYRILLIC ? 0x0430 : 0x03BF;
      char other_letter[7] = { 0, };
      g_autofree char *alone = NULL;
      g_autofree char *word = NULL;
      g_autofree char *with_latin = NULL;
      g_autofree char *with_latin_host = NULL;
      g_autoptr(McUrlVerdict) v_alone = NULL;
      g_autoptr(McUrlVerdict) v_word = NULL;
      g_autoptr(McUrlVerdict) v_latin = NULL;

      g_unichar_to_utf8 (c, letter);
      g_unichar_to_utf8 (other, other_letter);

      alone = g_strdup_printf ("https://%s.com/", letter);
      word = g_strdup_printf ("https://%s%s-1%s.example.com/", letter, other_letter, letter);
      /* The same letter in a Latin word is mixed, not confusable. */
      with_latin = g_strdup_printf ("https://%c%s%c.com/",
                                    required_lookalikes[i].ascii, letter, required_lookalikes[i].ascii);
      with_latin_host = g_strdup_printf ("%c%s%c.com",
                                         required_lookalikes[i].ascii, letter, required_lookalikes[i].ascii);

      g_test_message ("U+%04X for '%c'", c, required_lookalikes[i].ascii);

      v_alone = mc_url_verdict_new (alone, NULL);
      g_assert_cmpint (mc_url_verdict_get_risk (v_alone), ==, MC_URL_RISK_DANGER);
      g_assert_true (mc_url_verdict_has_flag (v_alone, "confusable"));
      g_assert_true (mc_url_verdict_has_flag (v_alone, "idn"));
      g_assert_false (mc_url_verdict_has_flag (v_alone, "mixed-script"));

      v_word = mc_url_verdict_new (word, NULL);
      g_assert_true (mc_url_verdict_has_flag (v_word, "confusable"));
      g_assert_false (mc_url_verdict_has_flag (v_word, "mixed-script"));

      v_latin = mc_url_verdict_new (with_latin, NULL);
      g_assert_cmpstr (mc_url_verdict_get_host (v_latin), ==, with_latin_host);
      g_assert_true (mc_url_verdict_has_flag (v_latin, "mixed-script"));
      g_assert_false (mc_url_verdict_has_flag (v_latin, "confusable"));
    }
}

static const VerdictCase not_confusable_cases[] = {
  /* one letter that imitates nothing is enough: б, λ */
  { "https://\u0430\u0431.com/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "\u0430\u0431.com", "xn--80ac.com", "\u0430\u0431.com" },
  { "https://\u03B1\u03BB.com/", NO_SERVER, MC_URL_RISK_CAUTION, "idn",
    "\u03B1\u03BB.com", "xn--mxau.com", "\u03B1\u03BB.com" },
  /* upper-case look-alikes are folded to lower case first */
  { "https://\u0410\u0420\u0420\u04C0\u0415.com/", NO_SERVER, MC_URL_RISK_DANGER, "confusable idn",
    "\u0430\u0440\u0440\u04CF\u0435.com", "xn--80ak6aa92e.com", "\u0430\u0440\u0440\u04CF\u0435.com" },
  { "https://xn--80ak6aa92e.com/", NO_SERVER, MC_URL_RISK_DANGER, "confusable idn",
    "\u0430\u0440\u0440\u04CF\u0435.com", "xn--80ak6aa92e.com", "\u0430\u0440\u0440\u04CF\u0435.com" },
  /* confusable and mixed in different labels both count */
  { "https://\u0430\u0440\u0440.p\u0430y.com/", NO_SERVER, MC_URL_RISK_DANGER, "mixed-script confusable idn",
    "\u0430\u0440\u0440.p\u0430y.com", "xn--80a6aa.xn--py-7kc.com", "p\u0430y.com" },
  { NULL }
};

static void
test_character_positions (void)
{
  /* The scan reads eight bytes at a time: a forbidden character must be
   * found in every byte of a word, and at every offset of the tail.
   */
  const char forbidden[] = { ' ', '\x01', '\x1f', '\x7f', '\\' };
  const char *suffixes[] = { "", "\u200B", "\uFEFF" };

  for (gsize f = 0; f < G_N_ELEMENTS (forbidden); f++)
    {
      for (gsize position = 0; position < 24; position++)
        {
          g_autofree char *path = g_strnfill (24, 'a');
          g_autofree char *url = NULL;
          g_autoptr(McUrlVerdict) verdict = NULL;
          g_autofree char *flags = NULL;

          path[position] = forbidden[f];
          url = g_strconcat ("https://example.com/", path, NULL);
          verdict = mc_url_verdict_new (url, NULL);
          flags = g_strjoinv (" ", (char **) mc_url_verdict_get_flags (verdict));
          g_assert_cmpstr (flags, ==, "control-character");
        }
    }

  for (gsize s = 0; s < G_N_ELEMENTS (suffixes); s++)
    {
      for (gsize position = 0; position < 24; position++)
        {
          g_autofree char *before = g_strnfill (position, 'a');
          g_autofree char *url = g_strconcat ("https://example.com/", before, suffixes[s], "bcdefgh", NULL);
          g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (url, NULL);
          const char *expected = *suffixes[s] != '\0' ? "control-character" : "";
          g_autofree char *flags = g_strjoinv (" ", (char **) mc_url_verdict_get_flags (verdict));

          g_assert_cmpstr (flags, ==, expected);
        }
    }

  /* Invalid UTF-8 is reported even after a forbidden character. */
  {
    g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new ("https://exa mple.com/aaaaaaaaaaaaaaaa\xff", NULL);
    g_autofree char *flags = g_strjoinv (" ", (char **) mc_url_verdict_get_flags (verdict));

    g_assert_cmpstr (flags, ==, "invalid-utf8");
  }
}

static void
test_lengths (void)
{
  const char *prefix = "https://example.com/";
  gsize prefix_length = strlen (prefix);
  struct
  {
    gsize       length;
    McUrlRisk   risk;
    const char *flags;
  } cases[] = {
    { 2048, MC_URL_RISK_OK, "" },
    { 2049, MC_URL_RISK_CAUTION, "long-url" },
    { MC_URL_MAX_LENGTH, MC_URL_RISK_CAUTION, "long-url" },
    { MC_URL_MAX_LENGTH + 1, MC_URL_RISK_BLOCKED, "too-long" },
    { 100000, MC_URL_RISK_BLOCKED, "too-long" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) url = g_string_new (prefix);
      g_autoptr(McUrlVerdict) verdict = NULL;
      g_autofree char *flags = NULL;

      for (gsize j = prefix_length; j < cases[i].length; j++)
        g_string_append_c (url, 'a');
      g_assert_cmpuint (url->len, ==, cases[i].length);

      verdict = mc_url_verdict_new (url->str, NULL);
      flags = g_strjoinv (" ", (char **) mc_url_verdict_get_flags (verdict));
      g_assert_cmpstr (flags, ==, cases[i].flags);
      g_assert_cmpint (mc_url_verdict_get_risk (verdict), ==, cases[i].risk);
    }

  /* A too-long URL is not looked at any further, even if it is garbage. */
  {
    g_autofree char *garbage = g_strnfill (MC_URL_MAX_LENGTH + 1, '\xff');
    g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (garbage, NULL);
    g_autofree char *flags = g_strjoinv (" ", (char **) mc_url_verdict_get_flags (verdict));

    g_assert_cmpstr (flags, ==, "too-long");
  }
}

static void
test_host_lengths (void)
{
  g_autofree char *label63 = g_strnfill (63, 'a');
  g_autofree char *label64 = g_strnfill (64, 'a');
  g_autofree char *ok_label = g_strdup_printf ("https://%s.com/", label63);
  g_autofree char *long_label = g_strdup_printf ("https://%s.com/", label64);
  /* 3 × 63 + 3 dots + "com" + "abcdefghijklmnopqrstuvwxyz0123456789abcd"... built to exact sizes */
  g_autoptr(GString) host253 = g_string_new (NULL);
  g_autoptr(GString) host254 = NULL;
  g_autofree char *url253 = NULL;
  g_autofree char *url254 = NULL;
  g_autoptr(McUrlVerdict) v_ok_label = mc_url_verdict_new (ok_label, NULL);
  g_autoptr(McUrlVerdict) v_long_label = mc_url_verdict_new (long_label, NULL);
  g_autoptr(McUrlVerdict) v253 = NULL;
  g_autoptr(McUrlVerdict) v254 = NULL;

  g_assert_cmpint (mc_url_verdict_get_risk (v_ok_label), ==, MC_URL_RISK_OK);
  g_assert_true (mc_url_verdict_has_flag (v_long_label, "invalid-host"));

  while (host253->len + 1 + 63 < 253 - 4)
    g_string_append_printf (host253, "%s.", label63);
  while (host253->len < 253 - 4)
    g_string_append_c (host253, 'b');
  g_string_append (host253, ".com");
  g_assert_cmpuint (host253->len, ==, 253);
  host254 = g_string_new (host253->str);
  g_string_prepend_c (host254, 'c');

  url253 = g_strdup_printf ("https://%s/", host253->str);
  url254 = g_strdup_printf ("https://%s/", host254->str);
  v253 = mc_url_verdict_new (url253, NULL);
  v254 = mc_url_verdict_new (url254, NULL);
  g_assert_cmpint (mc_url_verdict_get_risk (v253), ==, MC_URL_RISK_OK);
  g_assert_cmpstr (mc_url_verdict_get_host (v253), ==, host253->str);
  g_assert_true (mc_url_verdict_has_flag (v254, "invalid-host"));

  /* 128 one-letter labels cannot fit 253 bytes */
  {
    g_autoptr(GString) many = g_string_new ("https://");
    g_autoptr(McUrlVerdict) verdict = NULL;

    for (guint i = 0; i < 200; i++)
      g_string_append (many, "a.");
    g_string_append (many, "com/");
    verdict = mc_url_verdict_new (many->str, NULL);
    g_assert_true (mc_url_verdict_has_flag (verdict, "invalid-host"));
  }
}

static void
test_json (void)
{
  struct
  {
    const char *url;
    const char *server_url;
    const char *json;
  } cases[] = {
    { "https://example.com/", NULL,
      "{\"risk\":\"ok\",\"host\":\"example.com\",\"host_ascii\":\"example.com\","
      "\"registrable_domain\":\"example.com\",\"flags\":[]}" },
    { "http://localhost:8080/", "https://example.com/mcp",
      "{\"risk\":\"caution\",\"host\":\"localhost\",\"host_ascii\":\"localhost\","
      "\"registrable_domain\":null,\"flags\":[\"port\",\"loopback\",\"other-domain\"]}" },
    { "https://xn--80ak6aa92e.com/", NULL,
      "{\"risk\":\"danger\",\"host\":\"\u0430\u0440\u0440\u04CF\u0435.com\",\"host_ascii\":\"xn--80ak6aa92e.com\","
      "\"registrable_domain\":\"\u0430\u0440\u0440\u04CF\u0435.com\",\"flags\":[\"confusable\",\"idn\"]}" },
    { "javascript:alert(1)", NULL,
      "{\"risk\":\"blocked\",\"host\":null,\"host_ascii\":null,"
      "\"registrable_domain\":null,\"flags\":[\"scheme\"]}" },
    { "http://u@example.com/", NULL,
      "{\"risk\":\"blocked\",\"host\":\"example.com\",\"host_ascii\":\"example.com\","
      "\"registrable_domain\":\"example.com\",\"flags\":[\"userinfo\",\"http-not-loopback\"]}" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (cases[i].url, cases[i].server_url);
      g_autofree char *json = mc_url_verdict_to_json (verdict);
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_cmpstr (json, ==, cases[i].json);
      g_assert_null (strchr (json, '\n'));

      /* and it parses back */
      node = json_from_string (json, &error);
      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
    }
}

static void
test_variant (void)
{
  g_autoptr(McUrlVerdict) caution = mc_url_verdict_new ("https://b\u00FCcher.de:8443/", NULL);
  g_autoptr(McUrlVerdict) blocked = mc_url_verdict_new ("ftp://example.com/", NULL);
  g_autoptr(McUrlVerdict) loopback = mc_url_verdict_new ("http://localhost/", NULL);
  g_autoptr(GVariant) v = mc_url_verdict_to_variant (caution);
  g_autoptr(GVariant) v_blocked = mc_url_verdict_to_variant (blocked);
  g_autoptr(GVariant) v_loopback = mc_url_verdict_to_variant (loopback);
  g_autoptr(GVariant) printed = NULL;
  g_autofree const char **flags = NULL;
  const char *s = NULL;

  g_assert_false (g_variant_is_floating (v));
  g_assert_true (g_variant_is_of_type (v, G_VARIANT_TYPE_VARDICT));
  g_assert_cmpuint (g_variant_n_children (v), ==, 5);
  g_assert_true (g_variant_lookup (v, "risk", "&s", &s));
  g_assert_cmpstr (s, ==, "caution");
  g_assert_true (g_variant_lookup (v, "host", "&s", &s));
  g_assert_cmpstr (s, ==, "b\u00FCcher.de");
  g_assert_true (g_variant_lookup (v, "host_ascii", "&s", &s));
  g_assert_cmpstr (s, ==, "xn--bcher-kva.de");
  g_assert_true (g_variant_lookup (v, "registrable_domain", "&s", &s));
  g_assert_cmpstr (s, ==, "b\u00FCcher.de");
  g_assert_true (g_variant_lookup (v, "flags", "^a&s", &flags));
  g_assert_cmpuint (g_strv_length ((char **) flags), ==, 2);
  g_assert_cmpstr (flags[0], ==, "idn");
  g_assert_cmpstr (flags[1], ==, "port");

  /* No host: the host keys are left out, not sent empty. */
  g_assert_false (g_variant_is_floating (v_blocked));
  g_assert_cmpuint (g_variant_n_children (v_blocked), ==, 2);
  g_assert_true (g_variant_lookup (v_blocked, "risk", "&s", &s));
  g_assert_cmpstr (s, ==, "blocked");
  g_assert_false (g_variant_lookup (v_blocked, "host", "&s", &s));
  g_assert_false (g_variant_lookup (v_blocked, "host_ascii", "&s", &s));
  g_assert_false (g_variant_lookup (v_blocked, "registrable_domain", "&s", &s));
  printed = g_variant_lookup_value (v_blocked, "flags", G_VARIANT_TYPE_STRING_ARRAY);
  g_assert_nonnull (printed);
  g_assert_cmpuint (g_variant_n_children (printed), ==, 1);

  /* A host without a registrable domain omits only that key. */
  g_assert_cmpuint (g_variant_n_children (v_loopback), ==, 4);
  g_assert_true (g_variant_lookup (v_loopback, "host", "&s", &s));
  g_assert_cmpstr (s, ==, "localhost");
  g_assert_false (g_variant_lookup (v_loopback, "registrable_domain", "&s", &s));
}

static void
assert_range (const char *url,
              const char *host_text,
              const char *domain_text)
{
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new (url, NULL);
  gsize start = G_MAXSIZE;
  gsize end = G_MAXSIZE;

  {
    g_autofree char *escaped_url = g_strescape (url, NULL);

    g_test_message ("%s", escaped_url);
  }

  if (host_text == NULL)
    {
      g_assert_false (mc_url_verdict_get_host_range (verdict, &start, &end));
      g_assert_null (mc_url_verdict_get_host (verdict));
    }
  else
    {
      g_assert_true (mc_url_verdict_get_host_range (verdict, &start, &end));
      g_assert_cmpuint (start, <, end);
      g_assert_cmpuint (end, <=, strlen (url));
      g_assert_cmpuint (end - start, ==, strlen (host_text));
      g_assert_cmpint (memcmp (url + start, host_text, end - start), ==, 0);
    }

  if (domain_text == NULL)
    {
      g_assert_false (mc_url_verdict_get_registrable_domain_range (verdict, NULL, NULL));
      g_assert_null (mc_url_verdict_get_registrable_domain (verdict));
    }
  else
    {
      gsize domain_start = 0;
      gsize domain_end = 0;

      g_assert_true (mc_url_verdict_get_registrable_domain_range (verdict, &domain_start, &domain_end));
      g_assert_cmpuint (domain_start, >=, start);
      g_assert_cmpuint (domain_end, <=, end);
      g_assert_cmpuint (domain_end - domain_start, ==, strlen (domain_text));
      g_assert_cmpint (memcmp (url + domain_start, domain_text, domain_end - domain_start), ==, 0);
    }
}

static void
test_host_range (void)
{
  assert_range ("https://example.com/", "example.com", "example.com");
  assert_range ("https://www.Example.CO.uk:8443/path", "www.Example.CO.uk", "Example.CO.uk");
  assert_range ("https://example.com", "example.com", "example.com");
  assert_range ("https://example.com?q=a.b", "example.com", "example.com");
  assert_range ("https://example.com#x", "example.com", "example.com");
  assert_range ("https://example.com:/", "example.com", "example.com");
  assert_range ("https://example.com./", "example.com.", "example.com");
  assert_range ("https://user:pw@login.example.com:1/", "login.example.com", "example.com");
  assert_range ("https://a@b@evil.com/", "evil.com", "evil.com");
  assert_range ("https://[::1]:8080/", "::1", NULL);
  assert_range ("https://[2001:DB8::1]/", "2001:DB8::1", NULL);
  assert_range ("https://0x7f.1/", "0x7f.1", NULL);
  assert_range ("https://localhost:8080/", "localhost", NULL);
  assert_range ("https://b\u00FCcher.de/", "b\u00FCcher.de", "b\u00FCcher.de");
  assert_range ("https://shop.xn--bcher-kva.de/", "shop.xn--bcher-kva.de", "xn--bcher-kva.de");
  assert_range ("https://\uFF57\uFF57\uFF57.\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45\u3002com/",
                "\uFF57\uFF57\uFF57.\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45\u3002com",
                "\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45\u3002com");
  assert_range ("https://github.io/", "github.io", NULL);
  assert_range ("http://example.com/", "example.com", "example.com");
  assert_range ("ftp://example.com/", NULL, NULL);
  assert_range ("https://ex%61mple.com/", NULL, NULL);
  assert_range ("https://a_b.com/", NULL, NULL);
  assert_range ("not a url", NULL, NULL);
}

static void
test_flags (void)
{
  const struct
  {
    const char *flag;
    McUrlRisk   risk;
  } flags[] = {
    { "control-character", MC_URL_RISK_BLOCKED },
    { "invalid-utf8", MC_URL_RISK_BLOCKED },
    { "not-absolute", MC_URL_RISK_BLOCKED },
    { "scheme", MC_URL_RISK_BLOCKED },
    { "userinfo", MC_URL_RISK_BLOCKED },
    { "percent-in-host", MC_URL_RISK_BLOCKED },
    { "http-not-loopback", MC_URL_RISK_BLOCKED },
    { "invalid-host", MC_URL_RISK_BLOCKED },
    { "too-long", MC_URL_RISK_BLOCKED },
    { "ip-address", MC_URL_RISK_DANGER },
    { "numeric-host", MC_URL_RISK_DANGER },
    { "mixed-script", MC_URL_RISK_DANGER },
    { "confusable", MC_URL_RISK_DANGER },
    { "public-suffix", MC_URL_RISK_DANGER },
    { "idn", MC_URL_RISK_CAUTION },
    { "port", MC_URL_RISK_CAUTION },
    { "loopback", MC_URL_RISK_CAUTION },
    { "other-domain", MC_URL_RISK_CAUTION },
    { "long-url", MC_URL_RISK_CAUTION },
  };
  g_autoptr(GHashTable) descriptions = g_hash_table_new (g_str_hash, g_str_equal);

  for (gsize i = 0; i < G_N_ELEMENTS (flags); i++)
    {
      const char *description = mc_url_flag_describe (flags[i].flag);

      g_assert_cmpint (mc_url_flag_get_risk (flags[i].flag), ==, flags[i].risk);
      g_assert_nonnull (description);
      g_assert_cmpuint (strlen (description), >, 20);
      g_assert_true (g_str_has_suffix (description, "."));
      /* Each says something of its own. */
      g_assert_false (g_hash_table_contains (descriptions, description));
      g_hash_table_add (descriptions, (gpointer) description);
    }

  g_assert_null (mc_url_flag_describe ("no-such-flag"));
  g_assert_null (mc_url_flag_describe (""));
  g_assert_null (mc_url_flag_describe ("IDN"));
  /* A flag this build does not know is not treated as harmless. */
  g_assert_cmpint (mc_url_flag_get_risk ("policy-from-the-future"), ==, MC_URL_RISK_BLOCKED);

  g_assert_cmpstr (mc_url_flag_describe ("mixed-script"), ==,
                   "The address uses letters from different alphabets that can imitate another site.");
}

static void
test_flag_order (void)
{
  /* Flags are listed in table order, whatever order the rules find them. */
  g_autoptr(McUrlVerdict) verdict = mc_url_verdict_new ("https://\u0430\u0440\u0440.p\u0430y.com:8443/", "https://example.org/");
  const char * const *flags = mc_url_verdict_get_flags (verdict);
  const char *expected[] = { "mixed-script", "confusable", "idn", "port", "other-domain", NULL };

  g_assert_cmpstrv (flags, expected);
  g_assert_true (mc_url_verdict_has_flag (verdict, "port"));
  g_assert_false (mc_url_verdict_has_flag (verdict, "loopback"));
  g_assert_false (mc_url_verdict_has_flag (verdict, "por"));
}

static void
test_risk_strings (void)
{
  const char *names[] = { "ok", "caution", "danger", "blocked" };

  for (McUrlRisk risk = MC_URL_RISK_OK; risk <= MC_URL_RISK_BLOCKED; risk++)
    {
      McUrlRisk parsed = MC_URL_RISK_BLOCKED;

      g_assert_cmpstr (mc_url_risk_to_string (risk), ==, names[risk]);
      g_assert_true (mc_url_risk_from_string (names[risk], &parsed));
      g_assert_cmpint (parsed, ==, risk);
    }

  {
    McUrlRisk untouched = MC_URL_RISK_DANGER;

    g_assert_false (mc_url_risk_from_string ("OK", &untouched));
    g_assert_false (mc_url_risk_from_string ("", &untouched));
    g_assert_false (mc_url_risk_from_string ("blocked ", &untouched));
    g_assert_cmpint (untouched, ==, MC_URL_RISK_DANGER);
  }

  g_assert_cmpint (MC_URL_RISK_OK, <, MC_URL_RISK_CAUTION);
  g_assert_cmpint (MC_URL_RISK_CAUTION, <, MC_URL_RISK_DANGER);
  g_assert_cmpint (MC_URL_RISK_DANGER, <, MC_URL_RISK_BLOCKED);
}

static void
test_boxed (void)
{
  McUrlVerdict *verdict = mc_url_verdict_new ("https://example.com/", NULL);
  McUrlVerdict *copy;

  g_assert_true (G_TYPE_IS_BOXED (MC_TYPE_URL_VERDICT));
  copy = g_boxed_copy (MC_TYPE_URL_VERDICT, verdict);
  /* A copy is a reference: verdicts are immutable. */
  g_assert_true (copy == verdict);
  mc_url_verdict_unref (verdict);
  g_assert_cmpstr (mc_url_verdict_get_host (copy), ==, "example.com");
  g_boxed_free (MC_TYPE_URL_VERDICT, copy);

  verdict = mc_url_verdict_new ("https://example.com/", NULL);
  g_assert_true (mc_url_verdict_ref (verdict) == verdict);
  mc_url_verdict_unref (verdict);
  mc_url_verdict_unref (verdict);
}

static void
test_programmer_errors (void)
{
  if (g_test_subprocess ())
    {
      g_assert_null (mc_url_verdict_new (NULL, NULL));
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*url != NULL*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/url-verdict/ok", ok_cases, test_table);
  g_test_add_data_func ("/url-verdict/blocked", blocked_cases, test_table);
  g_test_add_data_func ("/url-verdict/ip", ip_cases, test_table);
  g_test_add_data_func ("/url-verdict/suffix-and-idn", suffix_and_idn_cases, test_table);
  g_test_add_data_func ("/url-verdict/scripts", script_cases, test_table);
  g_test_add_func ("/url-verdict/five-scripts", test_five_scripts);
  g_test_add_func ("/url-verdict/lookalikes", test_lookalikes);
  g_test_add_data_func ("/url-verdict/not-confusable", not_confusable_cases, test_table);
  g_test_add_data_func ("/url-verdict/server", server_cases, test_table);
  g_test_add_func ("/url-verdict/character-positions", test_character_positions);
  g_test_add_func ("/url-verdict/lengths", test_lengths);
  g_test_add_func ("/url-verdict/host-lengths", test_host_lengths);
  g_test_add_func ("/url-verdict/json", test_json);
  g_test_add_func ("/url-verdict/variant", test_variant);
  g_test_add_func ("/url-verdict/host-range", test_host_range);
  g_test_add_func ("/url-verdict/flags", test_flags);
  g_test_add_func ("/url-verdict/flag-order", test_flag_order);
  g_test_add_func ("/url-verdict/risk-strings", test_risk_strings);
  g_test_add_func ("/url-verdict/boxed", test_boxed);
  g_test_add_func ("/url-verdict/programmer-errors", test_programmer_errors);

  return g_test_run ();
}
