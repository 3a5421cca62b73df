/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "mc-url-verdict.h"

/* docs/url-verdicts.md is the prose version of this file; keep them in step. */

#define MC_URL_LONG_LENGTH   2048
#define MC_HOST_MAX_LENGTH   253
#define MC_LABEL_MAX_LENGTH  63
/* A 253-byte ASCII name has at most 127 labels. */
#define MC_HOST_MAX_LABELS   127

typedef enum
{
  FLAG_TOO_LONG,
  FLAG_INVALID_UTF8,
  FLAG_CONTROL_CHARACTER,
  FLAG_NOT_ABSOLUTE,
  FLAG_SCHEME,
  FLAG_USERINFO,
  FLAG_PERCENT_IN_HOST,
  FLAG_INVALID_HOST,
  FLAG_HTTP_NOT_LOOPBACK,
  FLAG_POLICY,
  FLAG_IP_ADDRESS,
  FLAG_NUMERIC_HOST,
  FLAG_MIXED_SCRIPT,
  FLAG_CONFUSABLE,
  FLAG_PUBLIC_SUFFIX,
  FLAG_IDN,
  FLAG_PORT,
  FLAG_LOOPBACK,
  FLAG_OTHER_DOMAIN,
  FLAG_LONG_URL,
  N_FLAGS
} Flag;

typedef struct
{
  const char *name;
  McUrlRisk   risk;
  const char *description;
} FlagInfo;

/* The one place that says what each flag means and how bad it is.  Its
 * order is the order flags are listed in a verdict, and the first
 * blocking flag in it is the verdict's reason.  Descriptions are for
 * people who do not know what a host or a port is.
 */
static const FlagInfo flag_table[N_FLAGS] = {
  [FLAG_TOO_LONG]          = { "too-long", MC_URL_RISK_BLOCKED,
                               N_("The address is far too long to be a real web address.") },
  [FLAG_INVALID_UTF8]      = { "invalid-utf8", MC_URL_RISK_BLOCKED,
                               N_("The address contains garbled text.") },
  [FLAG_CONTROL_CHARACTER] = { "control-character", MC_URL_RISK_BLOCKED,
                               N_("The address contains spaces or invisible characters that can hide where it really goes.") },
  [FLAG_NOT_ABSOLUTE]      = { "not-absolute", MC_URL_RISK_BLOCKED,
                               N_("The text is not a complete web address.") },
  [FLAG_SCHEME]            = { "scheme", MC_URL_RISK_BLOCKED,
                               N_("The address is not a web page address (it does not start with https://).") },
  [FLAG_USERINFO]          = { "userinfo", MC_URL_RISK_BLOCKED,
                               N_("The address contains a user name or password, a trick often used to disguise the real site.") },
  [FLAG_PERCENT_IN_HOST]   = { "percent-in-host", MC_URL_RISK_BLOCKED,
                               N_("The site name in the address is encoded in a way that can hide the real site.") },
  [FLAG_INVALID_HOST]      = { "invalid-host", MC_URL_RISK_BLOCKED,
                               N_("The site name in the address is not a valid name.") },
  [FLAG_HTTP_NOT_LOOPBACK] = { "http-not-loopback", MC_URL_RISK_BLOCKED,
                               N_("The address uses an unencrypted connection to another computer.") },
  [FLAG_POLICY]            = { "policy", MC_URL_RISK_BLOCKED,
                               N_("Your administrator’s policy does not allow this site.") },
  [FLAG_IP_ADDRESS]        = { "ip-address", MC_URL_RISK_DANGER,
                               N_("The address is a bare number instead of a site name, so it is hard to tell who runs it.") },
  [FLAG_NUMERIC_HOST]      = { "numeric-host", MC_URL_RISK_DANGER,
                               N_("The site name is a number written in an unusual way that the browser reads as a different address.") },
  [FLAG_MIXED_SCRIPT]      = { "mixed-script", MC_URL_RISK_DANGER,
                               N_("The address uses letters from different alphabets that can imitate another site.") },
  [FLAG_CONFUSABLE]        = { "confusable", MC_URL_RISK_DANGER,
                               N_("The address uses foreign letters that look exactly like English ones and can imitate another site.") },
  [FLAG_PUBLIC_SUFFIX]     = { "public-suffix", MC_URL_RISK_DANGER,
                               N_("The address points at a shared domain ending rather than at a particular site.") },
  [FLAG_IDN]               = { "idn", MC_URL_RISK_CAUTION,
                               N_("The site name contains letters outside the English alphabet.") },
  [FLAG_PORT]              = { "port", MC_URL_RISK_CAUTION,
                               N_("The address uses an unusual port number, which ordinary websites rarely need.") },
  [FLAG_LOOPBACK]          = { "loopback", MC_URL_RISK_CAUTION,
                               N_("The address points at a program on this computer.") },
  [FLAG_OTHER_DOMAIN]      = { "other-domain", MC_URL_RISK_CAUTION,
                               N_("The address belongs to a different site than the server that asked to open it.") },
  [FLAG_LONG_URL]          = { "long-url", MC_URL_RISK_CAUTION,
                               N_("The address is unusually long, which can hide parts of it.") },
};

/* Cyrillic and Greek letters that look like a lower-case ASCII letter in
 * common fonts.  Host names are case-folded before they get here, so only
 * lower-case forms are needed.  The ASCII letter is not used by the code;
 * it is there so that each entry can be checked by eye, and
 * docs/url-verdicts.md has the same table.
 */
static const struct
{
  gunichar c;
  char     ascii;
} lookalikes[] = {
  { 0x03B1, 'a' }, /* α GREEK SMALL LETTER ALPHA */
  { 0x03B9, 'i' }, /* ι GREEK SMALL LETTER IOTA */
  { 0x03BA, 'k' }, /* κ GREEK SMALL LETTER KAPPA */
  { 0x03BD, 'v' }, /* ν GREEK SMALL LETTER NU */
  { 0x03BF, 'o' }, /* ο GREEK SMALL LETTER OMICRON */
  { 0x03C1, 'p' }, /* ρ GREEK SMALL LETTER RHO */
  { 0x03C5, 'u' }, /* υ GREEK SMALL LETTER UPSILON */
  { 0x03F3, 'j' }, /* ϳ GREEK LETTER YOT */
  { 0x0430, 'a' }, /* а CYRILLIC SMALL LETTER A */
  { 0x0435, 'e' }, /* е CYRILLIC SMALL LETTER IE */
  { 0x043E, 'o' }, /* о CYRILLIC SMALL LETTER O */
  { 0x0440, 'p' }, /* р CYRILLIC SMALL LETTER ER */
  { 0x0441, 'c' }, /* с CYRILLIC SMALL LETTER ES */
  { 0x0443, 'y' }, /* у CYRILLIC SMALL LETTER U */
  { 0x0445, 'x' }, /* х CYRILLIC SMALL LETTER HA */
  { 0x0455, 's' }, /* ѕ CYRILLIC SMALL LETTER DZE */
  { 0x0456, 'i' }, /* і CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I */
  { 0x0458, 'j' }, /* ј CYRILLIC SMALL LETTER JE */
  { 0x04AF, 'y' }, /* ү CYRILLIC SMALL LETTER STRAIGHT U */
  { 0x04BB, 'h' }, /* һ CYRILLIC SMALL LETTER SHHA */
  { 0x04CF, 'l' }, /* ӏ CYRILLIC SMALL LETTER PALOCHKA */
  { 0x0501, 'd' }, /* ԁ CYRILLIC SMALL LETTER KOMI DE */
  { 0x051B, 'q' }, /* ԛ CYRILLIC SMALL LETTER QA */
  { 0x051D, 'w' }, /* ԝ CYRILLIC SMALL LETTER WE */
};

typedef enum
{
  HOST_NONE,
  HOST_DOMAIN,
  HOST_IPV4,
  HOST_IPV6,
} HostKind;

/* What is learnt about one URL, the checked one or the server's. */
typedef struct
{
  const char *url;
  gsize       length;
  gboolean    is_https;
  gboolean    has_userinfo;
  int         port;              /* -1 when absent or empty */
  gsize       host_start;        /* byte offsets of the host as written */
  gsize       host_end;
  gboolean    bracketed;

  HostKind    kind;
  char       *host;
  char       *host_ascii;
  char       *registrable_domain;
  const char *registrable_ascii; /* points into host_ascii */
  gboolean    is_idn;
  gboolean    is_loopback;
  gboolean    is_ip_loopback;    /* the address, whatever its spelling */
  gboolean    is_dotted_quad;
  gsize       domain_start;      /* byte offsets of registrable_domain */
  gsize       domain_end;

  guint       n_labels;
  gsize       label_start[MC_HOST_MAX_LABELS];
  gsize       label_end[MC_HOST_MAX_LABELS];
} ParsedUrl;

struct _McUrlVerdict
{
  gatomicrefcount  ref_count;
  McUrlRisk        risk;
  guint32          flag_bits;
  const char      *flags[N_FLAGS + 1];
  char            *host;
  char            *host_ascii;
  char            *registrable_domain;
  gsize            host_start;
  gsize            host_end;
  gboolean         has_domain_range;
  gsize            domain_start;
  gsize            domain_end;
};

G_STATIC_ASSERT (N_FLAGS <= 32);

G_DEFINE_BOXED_TYPE (McUrlVerdict, mc_url_verdict, mc_url_verdict_ref, mc_url_verdict_unref)

static void
parsed_url_clear (ParsedUrl *parsed)
{
  g_clear_pointer (&parsed->host, g_free);
  g_clear_pointer (&parsed->host_ascii, g_free);
  g_clear_pointer (&parsed->registrable_domain, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ParsedUrl, parsed_url_clear)

static inline void
add_flag (McUrlVerdict *self,
          Flag          flag)
{
  self->flag_bits |= 1u << flag;
}

static gboolean
is_forbidden_character (gunichar c)
{
  return c <= 0x20 || c == 0x7F || c == '\\' ||
         (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x2064) ||
         (c >= 0x2066 && c <= 0x2069) ||
         c == 0xFEFF;
}

#define ONES  G_GUINT64_CONSTANT (0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

/* Whether any of eight ASCII bytes is forbidden (<= 0x20, 0x7F, '\\'):
 * the usual "has zero byte" and "has byte less than" word tricks.
 */
static inline gboolean
word_has_forbidden_ascii (guint64 word)
{
  guint64 del = word ^ (ONES * 0x7F);
  guint64 backslash = word ^ (ONES * '\\');

  return ((((word - ONES * 0x21) & ~word) |
           ((del - ONES) & ~del) |
           ((backslash - ONES) & ~backslash)) & HIGHS) != 0;
}

/* Returns N_FLAGS when the raw text is acceptable.  One pass, eight
 * ASCII bytes at a time, because up to MC_URL_MAX_LENGTH bytes of it
 * arrive on the daemon's main thread.  Invalid UTF-8 is reported in
 * preference to a forbidden character, wherever each is.
 */
static Flag
check_characters (const char *url,
                  gsize       length)
{
  const char *p = url;
  const char *end = url + length;
  gboolean forbidden = FALSE;

  if (length > MC_URL_MAX_LENGTH)
    return FLAG_TOO_LONG;

  while (p < end)
    {
      guchar byte = (guchar) *p;

      if (end - p >= 8)
        {
          guint64 word;

          memcpy (&word, p, sizeof word);
          if ((word & HIGHS) == 0 && !word_has_forbidden_ascii (word))
            {
              p += 8;
              continue;
            }
        }

      if (byte < 0x80)
        {
          forbidden |= is_forbidden_character (byte);
          p++;
        }
      else
        {
          gunichar c = g_utf8_get_char_validated (p, end - p);

          if (c == (gunichar) -1 || c == (gunichar) -2)
            return FLAG_INVALID_UTF8;
          forbidden |= is_forbidden_character (c);
          p = g_utf8_next_char (p);
        }
    }

  return forbidden ? FLAG_CONTROL_CHARACTER : N_FLAGS;
}

/* The separators UTS #46 and IDNA 2003 treat as a full stop: '.', U+3002,
 * U+FF0E and U+FF61.  Returns the separator's length in bytes, or 0.
 */
static gsize
label_separator_length (const char *p,
                        const char *end)
{
  if (*p == '.')
    return 1;
  if (end - p < 3)
    return 0;
  if ((guchar) p[0] == 0xE3 && (guchar) p[1] == 0x80 && (guchar) p[2] == 0x82)
    return 3;
  if ((guchar) p[0] == 0xEF && (guchar) p[1] == 0xBC && (guchar) p[2] == 0x8E)
    return 3;
  if ((guchar) p[0] == 0xEF && (guchar) p[1] == 0xBD && (guchar) p[2] == 0xA1)
    return 3;
  return 0;
}

static gboolean
is_ldh_label (const char *label,
              gsize       length)
{
  if (length == 0 || length > MC_LABEL_MAX_LENGTH)
    return FALSE;
  if (label[0] == '-' || label[length - 1] == '-')
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      char c = label[i];

      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
        return FALSE;
    }
  return TRUE;
}

/* An A-label must be the one GLib itself would produce for its Unicode
 * form, or the name we show is not the name the browser contacts.
 */
static gboolean
is_canonical_a_label (const char *label)
{
  g_autofree char *unicode = g_hostname_to_unicode (label);
  g_autofree char *ascii = NULL;

  if (unicode == NULL || *unicode == '\0' || g_str_is_ascii (unicode))
    return FALSE;
  ascii = g_hostname_to_ascii (unicode);
  return ascii != NULL && g_str_equal (ascii, label);
}

/* The WHATWG URL Standard's "IPv4 number parser". */
static gboolean
parse_ipv4_number (const char *part,
                   gsize       length,
                   guint64    *value)
{
  guint radix = 10;
  guint64 result = 0;

  if (length == 0)
    return FALSE;

  if (length >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X'))
    {
      part += 2;
      length -= 2;
      radix = 16;
    }
  else if (length >= 2 && part[0] == '0')
    {
      part += 1;
      length -= 1;
      radix = 8;
    }

  for (gsize i = 0; i < length; i++)
    {
      int digit = g_ascii_xdigit_value (part[i]);

      if (digit < 0 || (guint) digit >= radix)
        return FALSE;
      /* Saturate: anything this big fails the range checks anyway. */
      if (result <= G_MAXUINT32)
        result = result * radix + digit;
    }

  *value = result;
  return TRUE;
}

/* The WHATWG "ends in a number checker": a host a browser will parse as
 * IPv4 (and refuse if that fails).  @ascii has no trailing dot.
 */
static gboolean
ends_in_a_number (const char *ascii)
{
  const char *last = strrchr (ascii, '.');
  gsize length;
  guint64 value;

  last = last != NULL ? last + 1 : ascii;
  length = strlen (last);

  if (length > 0 && strspn (last, "0123456789") == length)
    return TRUE;
  return parse_ipv4_number (last, length, &value);
}

/* The WHATWG "IPv4 parser". */
static gboolean
parse_ipv4 (const char *ascii,
            guint32    *address)
{
  guint64 numbers[4];
  guint n = 0;
  const char *p = ascii;
  guint64 result = 0;

  for (;;)
    {
      const char *dot = strchr (p, '.');
      gsize length = dot != NULL ? (gsize) (dot - p) : strlen (p);

      if (n == G_N_ELEMENTS (numbers))
        return FALSE;
      if (!parse_ipv4_number (p, length, &numbers[n++]))
        return FALSE;
      if (dot == NULL)
        break;
      p = dot + 1;
    }

  for (guint i = 0; i + 1 < n; i++)
    {
      if (numbers[i] > 255)
        return FALSE;
      result = (result << 8) | numbers[i];
    }
  if (numbers[n - 1] >= (G_GUINT64_CONSTANT (1) << (8 * (5 - n))))
    return FALSE;
  result = (result << (8 * (5 - n))) | numbers[n - 1];

  *address = (guint32) result;
  return TRUE;
}

static gboolean
is_localhost (const char *ascii)
{
  gsize length = strlen (ascii);

  return g_str_equal (ascii, "localhost") ||
         (length > strlen (".localhost") && g_str_has_suffix (ascii, ".localhost"));
}

/* Splits the raw host into labels and runs IDNA over each on its own, so
 * that every label we report maps to exactly one stretch of the URL the
 * user sees: a look-alike dot (U+2024, U+FE52...) that normalisation turns
 * into a real one would otherwise add a label the dialog cannot point at.
 */
static Flag
analyse_domain (ParsedUrl *parsed)
{
  const char *start = parsed->url + parsed->host_start;
  const char *end = parsed->url + parsed->host_end;
  const char *label = start;
  g_autoptr(GString) ascii = g_string_sized_new (end - start);
  gboolean raw_is_ascii = TRUE;
  guint32 ipv4 = 0;

  for (const char *p = start; p < end; p++)
    {
      if ((guchar) *p >= 0x80)
        {
          raw_is_ascii = FALSE;
          break;
        }
    }

  while (label <= end)
    {
      const char *q = label;
      gsize separator = 0;
      gsize ascii_start = ascii->len;

      while (q < end && (separator = label_separator_length (q, end)) == 0)
        q++;

      /* One trailing dot names the same host (and GLib drops it too). */
      if (q == end && label == end && parsed->n_labels > 0)
        break;

      if (q == label || parsed->n_labels == MC_HOST_MAX_LABELS)
        return FLAG_INVALID_HOST;

      parsed->label_start[parsed->n_labels] = label - parsed->url;
      parsed->label_end[parsed->n_labels] = q - parsed->url;
      parsed->n_labels++;

      if (ascii_start > 0)
        {
          g_string_append_c (ascii, '.');
          ascii_start++;
        }

      if (raw_is_ascii)
        {
          for (const char *r = label; r < q; r++)
            g_string_append_c (ascii, g_ascii_tolower (*r));
        }
      else
        {
          g_autofree char *raw_label = g_strndup (label, q - label);
          g_autofree char *ascii_label = g_hostname_to_ascii (raw_label);

          if (ascii_label == NULL || *ascii_label == '\0' || strchr (ascii_label, '.') != NULL)
            return FLAG_INVALID_HOST;
          g_string_append (ascii, ascii_label);
        }

      if (!is_ldh_label (ascii->str + ascii_start, ascii->len - ascii_start))
        return FLAG_INVALID_HOST;

      if (g_str_has_prefix (ascii->str + ascii_start, "xn--"))
        {
          if (!is_canonical_a_label (ascii->str + ascii_start))
            return FLAG_INVALID_HOST;
          parsed->is_idn = TRUE;
        }

      if (q == end)
        break;
      label = q + separator;
    }

  if (ascii->len > MC_HOST_MAX_LENGTH)
    return FLAG_INVALID_HOST;

  if (ends_in_a_number (ascii->str))
    {
      /* Browsers refuse a host that ends in a number but is no IPv4. */
      if (!parse_ipv4 (ascii->str, &ipv4))
        return FLAG_INVALID_HOST;

      parsed->kind = HOST_IPV4;
      parsed->is_idn = FALSE;
      parsed->host_ascii = g_strdup_printf ("%u.%u.%u.%u",
                                            ipv4 >> 24, (ipv4 >> 16) & 0xFF,
                                            (ipv4 >> 8) & 0xFF, ipv4 & 0xFF);
      parsed->host = g_strdup (parsed->host_ascii);
      parsed->is_ip_loopback = (ipv4 >> 24) == 127;
      parsed->is_dotted_quad = strlen (parsed->host_ascii) == (gsize) (end - start) &&
                               memcmp (parsed->host_ascii, start, end - start) == 0;
      parsed->is_loopback = parsed->is_dotted_quad && parsed->is_ip_loopback;
      return N_FLAGS;
    }

  parsed->kind = HOST_DOMAIN;
  parsed->is_idn |= !raw_is_ascii;
  parsed->host_ascii = g_string_free (g_steal_pointer (&ascii), FALSE);
  if (parsed->is_idn)
    {
      parsed->host = g_hostname_to_unicode (parsed->host_ascii);
      if (parsed->host == NULL)
        return FLAG_INVALID_HOST;
    }
  else
    {
      parsed->host = g_strdup (parsed->host_ascii);
    }
  parsed->is_loopback = is_localhost (parsed->host_ascii);

  return N_FLAGS;
}

static Flag
analyse_ip_literal (ParsedUrl *parsed)
{
  g_autofree char *literal = g_strndup (parsed->url + parsed->host_start,
                                        parsed->host_end - parsed->host_start);
  g_autoptr(GInetAddress) address = NULL;

  /* GUri has validated the syntax; this is the check that it was IPv6. */
  address = g_inet_address_new_from_string (literal);
  if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
    return FLAG_INVALID_HOST;

  parsed->kind = HOST_IPV6;
  parsed->host_ascii = g_inet_address_to_string (address);
  parsed->host = g_strdup (parsed->host_ascii);
  parsed->is_ip_loopback = g_inet_address_get_is_loopback (address);
  parsed->is_loopback = parsed->is_ip_loopback;
  return N_FLAGS;
}

/* Finds the registrable domain and where it is written in the URL. */
static void
find_registrable_domain (ParsedUrl *parsed)
{
  const char *base;
  guint n_base_labels = 1;

  if (parsed->kind != HOST_DOMAIN || parsed->is_loopback)
    return;

  base = soup_tld_get_base_domain (parsed->host_ascii, NULL);
  if (base == NULL)
    return;

  for (const char *p = base; *p != '\0'; p++)
    if (*p == '.')
      n_base_labels++;
  /* A suffix of host_ascii cannot have more labels; if libsoup ever said
   * otherwise, indexing label_start[] below would read out of bounds.
   */
  if (n_base_labels > parsed->n_labels)
    return;

  parsed->registrable_ascii = base;
  parsed->registrable_domain = parsed->is_idn ? g_hostname_to_unicode (base) : g_strdup (base);
  parsed->domain_start = parsed->label_start[parsed->n_labels - n_base_labels];
  parsed->domain_end = parsed->label_end[parsed->n_labels - 1];
}

/* Locates the pieces of @url.  Returns N_FLAGS, or the blocking flag if it
 * is no absolute http(s) URL with a host.
 */
static Flag
parse_url (ParsedUrl  *parsed,
           const char *url,
           gsize       length)
{
  g_autofree char *scheme = NULL;
  g_autofree char *userinfo = NULL;
  g_autofree char *host = NULL;
  const char *authority;
  const char *authority_end;
  const char *at = NULL;
  const char *host_start;
  const char *host_end;

  parsed->url = url;
  parsed->length = length;
  parsed->port = -1;

  /* Not g_uri_peek_scheme(): it interns every scheme it is shown, so a
   * peer sending made-up schemes would grow the daemon without bound.
   */
  scheme = g_uri_parse_scheme (url);
  if (scheme == NULL)
    return FLAG_NOT_ABSOLUTE;
  if (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0)
    return FLAG_SCHEME;
  parsed->is_https = g_ascii_strcasecmp (scheme, "https") == 0;

  /* Strict parsing, with the host left as written: we do IDNA ourselves,
   * per label, and need to see any percent sign in it.
   */
  if (!g_uri_split (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_NON_DNS,
                    NULL, &userinfo, &host, &parsed->port, NULL, NULL, NULL, NULL))
    return FLAG_NOT_ABSOLUTE;
  if (host == NULL || *host == '\0')
    return FLAG_NOT_ABSOLUTE;

  /* The same authority, found in the original text so the host's offsets
   * are known.  A host is only there after "scheme://".
   */
  authority = strchr (url, ':');
  if (authority == NULL || !g_str_has_prefix (authority, "://"))
    return FLAG_NOT_ABSOLUTE;
  authority += 3;
  authority_end = authority + strcspn (authority, "/?#");

  for (const char *p = authority; p < authority_end; p++)
    if (*p == '@')
      at = p;

  /* Browsers take the host after the last '@' and GUri after the first;
   * either way such a URL is blocked for its userinfo.
   */
  parsed->has_userinfo = userinfo != NULL || at != NULL;
  host_start = at != NULL ? at + 1 : authority;

  if (*host_start == '[')
    {
      host_end = memchr (host_start, ']', authority_end - host_start);
      if (host_end == NULL)
        return FLAG_NOT_ABSOLUTE;
      parsed->bracketed = TRUE;
      host_start++;
    }
  else
    {
      host_end = memchr (host_start, ':', authority_end - host_start);
      if (host_end == NULL)
        host_end = authority_end;
    }

  if (host_end == host_start)
    return FLAG_NOT_ABSOLUTE;

  parsed->host_start = host_start - url;
  parsed->host_end = host_end - url;

  /* Guard against the two parsers disagreeing about which text is the
   * host: GUri %-encodes non-ASCII, so compare after decoding.  Hosts
   * with userinfo or a '%' of their own are blocked anyway, and GUri
   * normalises their escapes, so they are not compared.
   */
  if (!parsed->has_userinfo && !parsed->bracketed &&
      memchr (host_start, '%', host_end - host_start) == NULL)
    {
      gsize raw_length = host_end - host_start;
      g_autofree char *decoded = NULL;
      const char *guri_host = host;

      if (strchr (host, '%') != NULL)
        guri_host = decoded = g_uri_unescape_string (host, NULL);

      if (guri_host == NULL || strlen (guri_host) != raw_length ||
          memcmp (guri_host, host_start, raw_length) != 0)
        return FLAG_NOT_ABSOLUTE;
    }

  return N_FLAGS;
}

/* Returns N_FLAGS, or the blocking flag if the host cannot be used. */
static Flag
analyse_host (ParsedUrl *parsed)
{
  gsize length = parsed->host_end - parsed->host_start;
  Flag flag;

  if (memchr (parsed->url + parsed->host_start, '%', length) != NULL)
    return FLAG_PERCENT_IN_HOST;

  if (parsed->bracketed)
    flag = analyse_ip_literal (parsed);
  else
    flag = analyse_domain (parsed);

  if (flag != N_FLAGS)
    {
      parsed_url_clear (parsed);
      parsed->kind = HOST_NONE;
      return flag;
    }

  find_registrable_domain (parsed);
  return N_FLAGS;
}

static int
default_port (const ParsedUrl *parsed)
{
  return parsed->is_https ? 443 : 80;
}

static int
effective_port (const ParsedUrl *parsed)
{
  return parsed->port >= 0 ? parsed->port : default_port (parsed);
}

/* The registrable domain, or the host when there is none: what "the same
 * site" is compared on.
 */
static const char *
site_of (const ParsedUrl *parsed)
{
  return parsed->registrable_ascii != NULL ? parsed->registrable_ascii : parsed->host_ascii;
}

static gboolean
parse_server_url (ParsedUrl  *server,
                  const char *server_url)
{
  gsize length = strlen (server_url);

  return check_characters (server_url, length) == N_FLAGS &&
         parse_url (server, server_url, length) == N_FLAGS &&
         analyse_host (server) == N_FLAGS;
}

static gboolean
is_lookalike (gunichar c)
{
  for (gsize i = 0; i < G_N_ELEMENTS (lookalikes); i++)
    if (lookalikes[i].c == c)
      return TRUE;
  return FALSE;
}

static gboolean
scripts_within (const GUnicodeScript *scripts,
                guint                 n_scripts,
                const GUnicodeScript *allowed,
                guint                 n_allowed)
{
  for (guint i = 0; i < n_scripts; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < n_allowed && !found; j++)
        found = scripts[i] == allowed[j];
      if (!found)
        return FALSE;
    }
  return TRUE;
}

/* Unicode TR39 "highly restrictive", applied to one label. */
static void
check_label_scripts (const char *label,
                     gsize       length,
                     gboolean   *mixed,
                     gboolean   *confusable)
{
  static const GUnicodeScript japanese[] = {
    G_UNICODE_SCRIPT_LATIN, G_UNICODE_SCRIPT_HAN,
    G_UNICODE_SCRIPT_HIRAGANA, G_UNICODE_SCRIPT_KATAKANA,
  };
  static const GUnicodeScript chinese[] = {
    G_UNICODE_SCRIPT_LATIN, G_UNICODE_SCRIPT_HAN, G_UNICODE_SCRIPT_BOPOMOFO,
  };
  static const GUnicodeScript korean[] = {
    G_UNICODE_SCRIPT_LATIN, G_UNICODE_SCRIPT_HAN, G_UNICODE_SCRIPT_HANGUL,
  };
  /* No allowed set has more than four scripts, so a fifth means mixed. */
  GUnicodeScript scripts[5];
  guint n_scripts = 0;
  gboolean all_lookalike = TRUE;

  for (const char *p = label; p < label + length; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      GUnicodeScript script = g_unichar_get_script (c);
      gboolean seen = FALSE;

      if (script == G_UNICODE_SCRIPT_COMMON || script == G_UNICODE_SCRIPT_INHERITED)
        continue;

      if (!is_lookalike (c))
        all_lookalike = FALSE;

      for (guint i = 0; i < n_scripts && !seen; i++)
        seen = scripts[i] == script;
      if (!seen)
        {
          if (n_scripts == G_N_ELEMENTS (scripts))
            {
              *mixed = TRUE;
              return;
            }
          scripts[n_scripts++] = script;
        }
    }

  if (n_scripts > 1 &&
      !scripts_within (scripts, n_scripts, japanese, G_N_ELEMENTS (japanese)) &&
      !scripts_within (scripts, n_scripts, chinese, G_N_ELEMENTS (chinese)) &&
      !scripts_within (scripts, n_scripts, korean, G_N_ELEMENTS (korean)))
    *mixed = TRUE;

  if (n_scripts == 1 && all_lookalike &&
      (scripts[0] == G_UNICODE_SCRIPT_CYRILLIC || scripts[0] == G_UNICODE_SCRIPT_GREEK))
    *confusable = TRUE;
}

static void
check_scripts (McUrlVerdict    *self,
               const ParsedUrl *parsed)
{
  const char *label = parsed->host;
  gboolean mixed = FALSE;
  gboolean confusable = FALSE;

  while (label != NULL)
    {
      const char *dot = strchr (label, '.');
      gsize length = dot != NULL ? (gsize) (dot - label) : strlen (label);

      check_label_scripts (label, length, &mixed, &confusable);
      label = dot != NULL ? dot + 1 : NULL;
    }

  if (mixed)
    add_flag (self, FLAG_MIXED_SCRIPT);
  if (confusable)
    add_flag (self, FLAG_CONFUSABLE);
}

static void
check_risks (McUrlVerdict    *self,
             const ParsedUrl *parsed,
             const char      *server_url)
{
  g_auto(ParsedUrl) server = { 0, };
  gboolean has_server = FALSE;

  if (server_url != NULL && *server_url != '\0')
    has_server = parse_server_url (&server, server_url);

  /* danger */
  if ((parsed->kind == HOST_IPV4 || parsed->kind == HOST_IPV6) && !parsed->is_ip_loopback)
    add_flag (self, FLAG_IP_ADDRESS);
  if (parsed->kind == HOST_IPV4 && !parsed->is_dotted_quad)
    add_flag (self, FLAG_NUMERIC_HOST);
  if (parsed->is_idn)
    check_scripts (self, parsed);
  if (parsed->kind == HOST_DOMAIN && !parsed->is_loopback &&
      soup_tld_domain_is_public_suffix (parsed->host_ascii))
    add_flag (self, FLAG_PUBLIC_SUFFIX);

  /* caution */
  if (parsed->is_idn)
    add_flag (self, FLAG_IDN);
  if (parsed->port >= 0 && parsed->port != default_port (parsed) &&
      !(has_server &&
        g_str_equal (parsed->host_ascii, server.host_ascii) &&
        parsed->port == effective_port (&server)))
    add_flag (self, FLAG_PORT);
  if (parsed->is_loopback && !(has_server && server.is_loopback))
    add_flag (self, FLAG_LOOPBACK);
  if (has_server)
    {
      if (server.is_loopback
          ? !g_str_equal (parsed->host_ascii, server.host_ascii)
          : !g_str_equal (site_of (parsed), site_of (&server)))
        add_flag (self, FLAG_OTHER_DOMAIN);
    }
  if (parsed->length > MC_URL_LONG_LENGTH)
    add_flag (self, FLAG_LONG_URL);
}

static void
finish_verdict (McUrlVerdict *self,
                ParsedUrl    *parsed)
{
  guint n = 0;

  self->risk = MC_URL_RISK_OK;
  for (guint i = 0; i < N_FLAGS; i++)
    {
      if ((self->flag_bits & (1u << i)) == 0)
        continue;
      self->flags[n++] = flag_table[i].name;
      self->risk = MAX (self->risk, flag_table[i].risk);
    }
  self->flags[n] = NULL;

  if (parsed != NULL && parsed->kind != HOST_NONE)
    {
      self->host = g_steal_pointer (&parsed->host);
      self->host_ascii = g_steal_pointer (&parsed->host_ascii);
      self->registrable_domain = g_steal_pointer (&parsed->registrable_domain);
      parsed->registrable_ascii = NULL;
      self->host_start = parsed->host_start;
      self->host_end = parsed->host_end;
      self->has_domain_range = self->registrable_domain != NULL;
      self->domain_start = parsed->domain_start;
      self->domain_end = parsed->domain_end;
    }
}

/**
 * mc_url_verdict_new:
 * @url: the URL to judge, as received (any bytes up to a NUL)
 * @server_url: (nullable): the URL of the MCP server that asked to open
 *   @url, or %NULL (an empty string counts as %NULL)
 *
 * Judges @url by the rules of docs/url-verdicts.md.  @url is untrusted
 * input: whatever it holds, the result is a verdict, at worst
 * %MC_URL_RISK_BLOCKED.  A @server_url that could not itself be parsed to
 * a host is treated as absent.
 *
 * Returns: (transfer full): a new verdict
 */
McUrlVerdict *
mc_url_verdict_new (const char *url,
                    const char *server_url)
{
  g_autoptr(McUrlVerdict) self = NULL;
  g_auto(ParsedUrl) parsed = { 0, };
  gsize length;
  Flag flag;

  g_return_val_if_fail (url != NULL, NULL);

  self = g_new0 (McUrlVerdict, 1);
  g_atomic_ref_count_init (&self->ref_count);

  /* Stop at the first problem with the text itself or its shape: what
   * follows would be guesswork on something no browser should get.
   */
  length = strlen (url);
  flag = check_characters (url, length);
  if (flag == N_FLAGS)
    flag = parse_url (&parsed, url, length);
  if (flag != N_FLAGS)
    {
      add_flag (self, flag);
      finish_verdict (self, NULL);
      return g_steal_pointer (&self);
    }

  /* From here every blocking rule that applies is listed. */
  if (parsed.has_userinfo)
    add_flag (self, FLAG_USERINFO);
  flag = analyse_host (&parsed);
  if (flag != N_FLAGS)
    add_flag (self, flag);
  else if (!parsed.is_https && !parsed.is_loopback)
    add_flag (self, FLAG_HTTP_NOT_LOOPBACK);

  if (self->flag_bits == 0)
    check_risks (self, &parsed, server_url);

  finish_verdict (self, &parsed);
  return g_steal_pointer (&self);
}

/**
 * mc_url_verdict_block_by_policy:
 * @self: a verdict with a host
 *
 * The policy (src/common/mc-policy.c) decides by host; the flag it adds
 * is kept in the one table above so that it has a description and a
 * place in the order of reasons like every other flag.
 *
 * Returns: (transfer full): a copy of @self with the flag "policy",
 *   and so blocked
 */
McUrlVerdict *
mc_url_verdict_block_by_policy (const McUrlVerdict *self)
{
  McUrlVerdict *copy = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (McUrlVerdict, 1);
  g_atomic_ref_count_init (&copy->ref_count);
  copy->flag_bits = self->flag_bits;
  copy->host = g_strdup (self->host);
  copy->host_ascii = g_strdup (self->host_ascii);
  copy->registrable_domain = g_strdup (self->registrable_domain);
  copy->host_start = self->host_start;
  copy->host_end = self->host_end;
  copy->has_domain_range = self->has_domain_range;
  copy->domain_start = self->domain_start;
  copy->domain_end = self->domain_end;
  add_flag (copy, FLAG_POLICY);
  finish_verdict (copy, NULL);
  return copy;
}

/**
 * mc_url_verdict_ref:
 * @self: a #McUrlVerdict
 *
 * Verdicts are immutable, so a reference may be shared between threads.
 *
 * Returns: (transfer full): @self
 */
McUrlVerdict *
mc_url_verdict_ref (McUrlVerdict *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * mc_url_verdict_unref:
 * @self: (transfer full): a #McUrlVerdict
 */
void
mc_url_verdict_unref (McUrlVerdict *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_free (self->host);
  g_free (self->host_ascii);
  g_free (self->registrable_domain);
  g_free (self);
}

/**
 * mc_url_verdict_get_risk:
 * @self: a #McUrlVerdict
 *
 * Returns: the strongest risk level of the verdict's flags, or
 *   %MC_URL_RISK_OK when there are none
 */
McUrlRisk
mc_url_verdict_get_risk (const McUrlVerdict *self)
{
  g_return_val_if_fail (self != NULL, MC_URL_RISK_BLOCKED);

  return self->risk;
}

/**
 * mc_url_verdict_get_host:
 * @self: a #McUrlVerdict
 *
 * Returns: (nullable): the host in Unicode and lower case, without the
 *   brackets of an IPv6 literal or a trailing dot; %NULL when the URL was
 *   blocked before a usable host was found
 */
const char *
mc_url_verdict_get_host (const McUrlVerdict *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->host;
}

/**
 * mc_url_verdict_get_host_ascii:
 * @self: a #McUrlVerdict
 *
 * Returns: (nullable): the host in ASCII (punycode for IDN labels), lower
 *   case; %NULL exactly when mc_url_verdict_get_host() is
 */
const char *
mc_url_verdict_get_host_ascii (const McUrlVerdict *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->host_ascii;
}

/**
 * mc_url_verdict_get_registrable_domain:
 * @self: a #McUrlVerdict
 *
 * Returns: (nullable): the Unicode form of the registrable domain
 *   ("eTLD+1" by the Public Suffix List), or %NULL for IP addresses,
 *   loopback names, hosts that are a public suffix and names with no
 *   known suffix
 */
const char *
mc_url_verdict_get_registrable_domain (const McUrlVerdict *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->registrable_domain;
}

/**
 * mc_url_verdict_get_flags:
 * @self: a #McUrlVerdict
 *
 * Returns: (transfer none) (array zero-terminated=1): the flags that
 *   apply, in the stable order of docs/url-verdicts.md; empty for
 *   %MC_URL_RISK_OK
 */
const char * const *
mc_url_verdict_get_flags (const McUrlVerdict *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->flags;
}

/**
 * mc_url_verdict_has_flag:
 * @self: a #McUrlVerdict
 * @flag: a flag name such as "idn"
 *
 * Returns: whether @flag is among the verdict's flags
 */
gboolean
mc_url_verdict_has_flag (const McUrlVerdict *self,
                         const char         *flag)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (flag != NULL, FALSE);

  for (guint i = 0; self->flags[i] != NULL; i++)
    if (g_str_equal (self->flags[i], flag))
      return TRUE;
  return FALSE;
}

/**
 * mc_url_verdict_get_reason:
 * @self: a #McUrlVerdict
 *
 * Returns: (nullable): the translated description of the first blocking
 *   flag, or %NULL unless the verdict is %MC_URL_RISK_BLOCKED
 */
const char *
mc_url_verdict_get_reason (const McUrlVerdict *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->risk != MC_URL_RISK_BLOCKED)
    return NULL;

  for (guint i = 0; i < N_FLAGS; i++)
    {
      if ((self->flag_bits & (1u << i)) != 0 && flag_table[i].risk == MC_URL_RISK_BLOCKED)
        return _(flag_table[i].description);
    }

  g_return_val_if_reached (NULL);
}

/**
 * mc_url_verdict_get_host_range:
 * @self: a #McUrlVerdict
 * @start: (out) (optional): where to store the offset of the host's first byte
 * @end: (out) (optional): where to store the offset just past its last byte
 *
 * See the header for the exact definition of the range.
 *
 * Returns: %TRUE if the verdict has a host (then @start < @end)
 */
gboolean
mc_url_verdict_get_host_range (const McUrlVerdict *self,
                               gsize              *start,
                               gsize              *end)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->host == NULL)
    return FALSE;

  if (start != NULL)
    *start = self->host_start;
  if (end != NULL)
    *end = self->host_end;
  return TRUE;
}

/**
 * mc_url_verdict_get_registrable_domain_range:
 * @self: a #McUrlVerdict
 * @start: (out) (optional): where to store the offset of the first byte
 * @end: (out) (optional): where to store the offset just past the last byte
 *
 * See the header for the exact definition of the range.
 *
 * Returns: %TRUE if the verdict has a registrable domain (then @start < @end)
 */
gboolean
mc_url_verdict_get_registrable_domain_range (const McUrlVerdict *self,
                                             gsize              *start,
                                             gsize              *end)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!self->has_domain_range)
    return FALSE;

  if (start != NULL)
    *start = self->domain_start;
  if (end != NULL)
    *end = self->domain_end;
  return TRUE;
}

/**
 * mc_url_verdict_to_variant:
 * @self: a #McUrlVerdict
 *
 * The verdict as CheckUrl returns it: `risk` (s), `host` (s), `host_ascii`
 * (s), `registrable_domain` (s) and `flags` (as).  Keys whose value is
 * %NULL are left out (a{sv} cannot carry a null string).
 *
 * Returns: (transfer full): a new, non-floating a{sv}
 */
GVariant *
mc_url_verdict_to_variant (const McUrlVerdict *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_return_val_if_fail (self != NULL, NULL);

  g_variant_builder_add (&builder, "{sv}", "risk",
                         g_variant_new_string (mc_url_risk_to_string (self->risk)));
  if (self->host != NULL)
    {
      g_variant_builder_add (&builder, "{sv}", "host", g_variant_new_string (self->host));
      g_variant_builder_add (&builder, "{sv}", "host_ascii", g_variant_new_string (self->host_ascii));
    }
  if (self->registrable_domain != NULL)
    g_variant_builder_add (&builder, "{sv}", "registrable_domain",
                           g_variant_new_string (self->registrable_domain));
  g_variant_builder_add (&builder, "{sv}", "flags",
                         g_variant_new_strv ((const char * const *) self->flags, -1));

  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
add_nullable_string (JsonBuilder *builder,
                     const char  *name,
                     const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/**
 * mc_url_verdict_to_json:
 * @self: a #McUrlVerdict
 *
 * The verdict as one line of JSON:
 * `{"risk":…,"host":…,"host_ascii":…,"registrable_domain":…,"flags":[…]}`,
 * with null for the absent strings.
 *
 * Returns: (transfer full): a newly allocated string without a newline
 */
char *
mc_url_verdict_to_json (const McUrlVerdict *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "risk");
  json_builder_add_string_value (builder, mc_url_risk_to_string (self->risk));
  add_nullable_string (builder, "host", self->host);
  add_nullable_string (builder, "host_ascii", self->host_ascii);
  add_nullable_string (builder, "registrable_domain", self->registrable_domain);
  json_builder_set_member_name (builder, "flags");
  json_builder_begin_array (builder);
  for (guint i = 0; self->flags[i] != NULL; i++)
    json_builder_add_string_value (builder, self->flags[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static const char * const risk_names[] = {
  [MC_URL_RISK_OK] = "ok",
  [MC_URL_RISK_CAUTION] = "caution",
  [MC_URL_RISK_DANGER] = "danger",
  [MC_URL_RISK_BLOCKED] = "blocked",
};

/**
 * mc_url_risk_to_string:
 * @risk: a #McUrlRisk
 *
 * Returns: "ok", "caution", "danger" or "blocked"
 */
const char *
mc_url_risk_to_string (McUrlRisk risk)
{
  g_return_val_if_fail ((guint) risk < G_N_ELEMENTS (risk_names), NULL);

  return risk_names[risk];
}

/**
 * mc_url_risk_from_string:
 * @string: a risk name, possibly from an untrusted peer
 * @risk: (out): where to store the level
 *
 * Returns: %TRUE if @string is one of the names mc_url_risk_to_string()
 *   returns (exactly, in lower case)
 */
gboolean
mc_url_risk_from_string (const char *string,
                         McUrlRisk  *risk)
{
  g_return_val_if_fail (string != NULL, FALSE);
  g_return_val_if_fail (risk != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (risk_names); i++)
    {
      if (g_str_equal (string, risk_names[i]))
        {
          *risk = (McUrlRisk) i;
          return TRUE;
        }
    }
  return FALSE;
}

static const FlagInfo *
find_flag (const char *flag)
{
  for (guint i = 0; i < N_FLAGS; i++)
    if (g_str_equal (flag_table[i].name, flag))
      return &flag_table[i];
  return NULL;
}

/**
 * mc_url_flag_describe:
 * @flag: a flag name
 *
 * Returns: (nullable): a translated sentence explaining @flag to someone
 *   who is not technical, or %NULL if @flag is unknown
 */
const char *
mc_url_flag_describe (const char *flag)
{
  const FlagInfo *info;

  g_return_val_if_fail (flag != NULL, NULL);

  info = find_flag (flag);
  return info != NULL ? _(info->description) : NULL;
}

/**
 * mc_url_flag_get_risk:
 * @flag: a flag name
 *
 * An unknown flag (from a newer broker, say) answers
 * %MC_URL_RISK_BLOCKED: a caller that does not know what a flag means
 * should not treat it as harmless.
 *
 * Returns: the risk level @flag raises a verdict to
 */
McUrlRisk
mc_url_flag_get_risk (const char *flag)
{
  const FlagInfo *info;

  g_return_val_if_fail (flag != NULL, MC_URL_RISK_BLOCKED);

  info = find_flag (flag);
  return info != NULL ? info->risk : MC_URL_RISK_BLOCKED;
}
