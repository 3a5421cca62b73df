/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "mc-oauth-urls.h"
#include "mc-paths.h"
#include "mc-policy.h"
#include "mc-text.h"

/* docs/policy.md is the prose version of this file; keep them in step.
 *
 * Every rule combines "strictest wins", so the combination of any files
 * is at least as strict as each of them: a user file can only tighten
 * the administrator's, and nothing read later can loosen what an
 * earlier file said.  That is what lets the test hook add a file
 * without being able to weaken the one in SYSCONFDIR. */

#define SECTION "policy"
/* How much of a bad value an error message quotes. */
#define QUOTE_CHARS 80

typedef struct
{
  char *value;   /* a registrable domain in ASCII, or a scope */
  char *source;  /* "FILE:LINE", or several joined by ", " */
} Entry;

struct _McPolicy
{
  gatomicrefcount  ref_count;

  GPtrArray       *blocked;         /* Entry */
  gboolean         has_allow_list;
  char            *allow_list_source;
  GPtrArray       *allowed;         /* Entry */
  gboolean         always_allow;
  char            *always_allow_source;
  gboolean         verified_only;
  char            *verified_only_source;
  gint64           max_lifetime;    /* seconds, 0 for none */
  char            *max_lifetime_source;
  GPtrArray       *never_scopes;    /* Entry */
};

G_DEFINE_QUARK (mc-policy-error-quark, mc_policy_error)
G_DEFINE_BOXED_TYPE (McPolicy, mc_policy, mc_policy_ref, mc_policy_unref)

static Entry *
entry_new (const char *value,
           const char *source)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->value = g_strdup (value);
  entry->source = g_strdup (source);
  return entry;
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->value);
  g_free (entry->source);
  g_free (entry);
}

static Entry *
find_entry (GPtrArray  *entries,
            const char *value)
{
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (entries, i);

      if (g_str_equal (entry->value, value))
        return entry;
    }
  return NULL;
}

static McPolicy *
policy_new (void)
{
  McPolicy *self = g_new0 (McPolicy, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->blocked = g_ptr_array_new_with_free_func (entry_free);
  self->allowed = g_ptr_array_new_with_free_func (entry_free);
  self->never_scopes = g_ptr_array_new_with_free_func (entry_free);
  self->always_allow = TRUE;
  return self;
}

/**
 * mc_policy_new_default:
 *
 * Returns: (transfer full): the policy without any file: nothing restricted
 */
McPolicy *
mc_policy_new_default (void)
{
  return policy_new ();
}

/**
 * mc_policy_new_strictest:
 * @path: the policy file that could not be read
 *
 * What stands for a malformed file of which no good version was ever
 * read: an empty allow-list (no URL is opened, no authorization server
 * used), no "always allow", verified callers only.  Failing closed is the
 * only safe reading of a policy nobody can read.
 *
 * Returns: (transfer full): the strictest policy
 */
McPolicy *
mc_policy_new_strictest (const char *path)
{
  McPolicy *self = policy_new ();
  g_autofree char *source = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  source = g_strdup_printf ("strictest default (%s is malformed)", path);
  self->has_allow_list = TRUE;
  self->allow_list_source = g_strdup (source);
  self->always_allow = FALSE;
  self->always_allow_source = g_strdup (source);
  self->verified_only = TRUE;
  self->verified_only_source = g_strdup (source);
  return self;
}

McPolicy *
mc_policy_ref (McPolicy *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
mc_policy_unref (McPolicy *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_ptr_array_unref (self->blocked);
  g_ptr_array_unref (self->allowed);
  g_ptr_array_unref (self->never_scopes);
  g_free (self->allow_list_source);
  g_free (self->always_allow_source);
  g_free (self->verified_only_source);
  g_free (self->max_lifetime_source);
  g_free (self);
}

/* Parsing {{{1 */

typedef struct
{
  const char *path;
  guint       line;
  const char *source;  /* "PATH:LINE" of the line being read */
  /* Lines where single-valued settings were set in this file, 0 if not. */
  guint       always_allow_line;
  guint       verified_only_line;
  guint       max_lifetime_line;
} Parser;

static void set_parse_error (GError     **error,
                             const Parser *parser,
                             const char  *format,
                             ...) G_GNUC_PRINTF (3, 4);

static void
set_parse_error (GError      **error,
                 const Parser *parser,
                 const char   *format,
                 ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, MC_POLICY_ERROR, MC_POLICY_ERROR_MALFORMED, "%s:%u: %s",
               parser->path, parser->line, reason);
}

/* Text from the file, safe to print in a message. */
static char *
quote (const char *text)
{
  return mc_text_clean_for_display (text, QUOTE_CHARS, MC_TEXT_SINGLE_LINE);
}

/* A domain as written → its ASCII form, if it is a registrable domain:
 * an entry for a subdomain or a public suffix would say something else
 * than it seems to (block less, or allow more), so it is refused with
 * what to write instead. */
static char *
normalise_domain (const char    *written,
                  const Parser  *parser,
                  GError       **error)
{
  g_autofree char *quoted = quote (written);
  g_autofree char *ascii = NULL;
  g_autofree char *unicode = NULL;
  const char *base = NULL;
  gsize length;

  if (g_hostname_is_ip_address (written))
    {
      set_parse_error (error, parser, _("“%s” is an IP address, not a domain"), quoted);
      return NULL;
    }

  ascii = g_hostname_to_ascii (written);
  if (ascii == NULL)
    {
      set_parse_error (error, parser, _("“%s” is not a valid domain name"), quoted);
      return NULL;
    }
  for (char *p = ascii; *p != '\0'; p++)
    {
      *p = g_ascii_tolower (*p);
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
        {
          set_parse_error (error, parser, _("“%s” is not a valid domain name"), quoted);
          return NULL;
        }
    }
  length = strlen (ascii);
  if (length > 0 && ascii[length - 1] == '.')
    ascii[length - 1] = '\0';

  if (ascii[0] == '\0' || ascii[0] == '.' || strstr (ascii, "..") != NULL)
    {
      set_parse_error (error, parser, _("“%s” is not a valid domain name"), quoted);
      return NULL;
    }

  if (soup_tld_domain_is_public_suffix (ascii))
    {
      set_parse_error (error, parser, _("“%s” is a public suffix shared by many sites, not a registrable domain"),
                       quoted);
      return NULL;
    }

  base = soup_tld_get_base_domain (ascii, NULL);
  if (base == NULL)
    {
      set_parse_error (error, parser, _("“%s” is not a registrable domain"), quoted);
      return NULL;
    }
  if (!g_str_equal (base, ascii))
    {
      unicode = g_hostname_to_unicode (base);
      set_parse_error (error, parser, _("“%s” is not a registrable domain; write “%s”, which covers it"),
                       quoted, unicode != NULL ? unicode : base);
      return NULL;
    }

  return g_steal_pointer (&ascii);
}

static gboolean
parse_boolean (const char    *value,
               gboolean      *out,
               const Parser  *parser,
               GError       **error)
{
  g_autofree char *quoted = NULL;

  if (g_str_equal (value, "true"))
    *out = TRUE;
  else if (g_str_equal (value, "false"))
    *out = FALSE;
  else
    {
      quoted = quote (value);
      set_parse_error (error, parser, _("“%s” is not true or false"), quoted);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_lifetime (const char    *value,
                gint64        *out,
                const Parser  *parser,
                GError       **error)
{
  g_autofree char *quoted = quote (value);
  g_autofree char *number = NULL;
  gsize length = strlen (value);
  guint64 amount = 0;
  gint64 unit = 0;

  switch (length > 0 ? value[length - 1] : '\0')
    {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 24 * 3600; break;
    case 'w': unit = 7 * 24 * 3600; break;
    default:
      set_parse_error (error, parser, _("“%s” is not a duration such as 12h or 30d (units: s, m, h, d, w)"),
                       quoted);
      return FALSE;
    }

  number = g_strndup (value, length - 1);
  if (!g_ascii_string_to_unsigned (number, 10, 1, G_MAXINT64, &amount, NULL) ||
      amount > (guint64) (MC_POLICY_MAX_LIFETIME_SECONDS / unit))
    {
      set_parse_error (error, parser, _("“%s” is not a duration between 1s and 3650d"), quoted);
      return FALSE;
    }

  *out = (gint64) amount * unit;
  return TRUE;
}

/* A setting that holds one value may appear once per file: a second line
 * would leave a reader unsure which one counts. */
static gboolean
check_once (guint         *line,
            const char    *key,
            const Parser  *parser,
            GError       **error)
{
  if (*line != 0)
    {
      set_parse_error (error, parser, _("“%s” is set twice (first on line %u)"), key, *line);
      return FALSE;
    }
  *line = parser->line;
  return TRUE;
}

static gboolean
add_entry (GPtrArray     *entries,
           const char    *value,
           const Parser  *parser,
           GError       **error)
{
  if (find_entry (entries, value) != NULL)
    return TRUE;
  if (entries->len >= MC_POLICY_MAX_ENTRIES)
    {
      set_parse_error (error, parser, _("more than %d entries in one list"), MC_POLICY_MAX_ENTRIES);
      return FALSE;
    }
  g_ptr_array_add (entries, entry_new (value, parser->source));
  return TRUE;
}

static gboolean
parse_domains (GPtrArray     *entries,
               const char    *value,
               const Parser  *parser,
               GError       **error)
{
  g_auto(GStrv) words = g_strsplit_set (value, " \t,", -1);

  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *domain = NULL;

      if (words[i][0] == '\0')
        continue;
      domain = normalise_domain (words[i], parser, error);
      if (domain == NULL || !add_entry (entries, domain, parser, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_scopes (GPtrArray     *entries,
              const char    *value,
              const Parser  *parser,
              GError       **error)
{
  g_auto(GStrv) words = g_strsplit_set (value, " \t", -1);

  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] == '\0')
        continue;
      if (!mc_oauth_is_valid_scope_token (words[i]))
        {
          g_autofree char *quoted = quote (words[i]);

          set_parse_error (error, parser, _("“%s” is not an OAuth scope"), quoted);
          return FALSE;
        }
      if (!add_entry (entries, words[i], parser, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_setting (McPolicy      *self,
               Parser        *parser,
               const char    *key,
               const char    *value,
               GError       **error)
{
  if (g_str_equal (key, "blocked-domains"))
    return parse_domains (self->blocked, value, parser, error);

  if (g_str_equal (key, "allowed-domains"))
    {
      if (!self->has_allow_list)
        {
          self->has_allow_list = TRUE;
          self->allow_list_source = g_strdup (parser->source);
        }
      return parse_domains (self->allowed, value, parser, error);
    }

  if (g_str_equal (key, "never-grant-scopes"))
    return parse_scopes (self->never_scopes, value, parser, error);

  if (g_str_equal (key, "always-allow"))
    {
      if (!check_once (&parser->always_allow_line, key, parser, error) ||
          !parse_boolean (value, &self->always_allow, parser, error))
        return FALSE;
      self->always_allow_source = g_strdup (parser->source);
      return TRUE;
    }

  if (g_str_equal (key, "only-verified-callers"))
    {
      if (!check_once (&parser->verified_only_line, key, parser, error) ||
          !parse_boolean (value, &self->verified_only, parser, error))
        return FALSE;
      self->verified_only_source = g_strdup (parser->source);
      return TRUE;
    }

  if (g_str_equal (key, "max-grant-lifetime"))
    {
      if (!check_once (&parser->max_lifetime_line, key, parser, error) ||
          !parse_lifetime (value, &self->max_lifetime, parser, error))
        return FALSE;
      self->max_lifetime_source = g_strdup (parser->source);
      return TRUE;
    }

  {
    g_autofree char *quoted = quote (key);

    /* A misspelt rule must not pass for no rule. */
    set_parse_error (error, parser, _("unknown setting “%s”"), quoted);
    return FALSE;
  }
}

/**
 * mc_policy_parse:
 * @path: the file's path, for sources and messages
 * @data: the file's contents (untrusted: any bytes)
 * @length: the length of @data
 * @error: return location for a #GError
 *
 * Reads one policy file (docs/policy.md).  All or nothing: any line that
 * is not understood makes the whole file malformed.
 *
 * Returns: (transfer full): the file's policy, or %NULL with an
 *   %MC_POLICY_ERROR_MALFORMED error whose message starts "PATH:LINE: "
 */
McPolicy *
mc_policy_parse (const char  *path,
                 const char  *data,
                 gsize        length,
                 GError     **error)
{
  g_autoptr(McPolicy) self = NULL;
  Parser parser = { .path = path, .line = 0 };
  gboolean in_section = FALSE;
  const char *p = data;
  const char *end = data + length;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > MC_POLICY_MAX_FILE_SIZE)
    {
      set_parse_error (error, &parser, _("the file is larger than %d KiB"), MC_POLICY_MAX_FILE_SIZE / 1024);
      return NULL;
    }

  self = policy_new ();

  while (p < end)
    {
      const char *newline = memchr (p, '\n', end - p);
      const char *line_end = newline != NULL ? newline : end;
      g_autofree char *line = NULL;
      g_autofree char *source = NULL;
      char *key = NULL;
      char *value = NULL;
      char *equals = NULL;

      parser.line++;
      source = g_strdup_printf ("%s:%u", path, parser.line);
      parser.source = source;

      if (memchr (p, '\0', line_end - p) != NULL || !g_utf8_validate (p, line_end - p, NULL))
        {
          set_parse_error (error, &parser, _("the line is not UTF-8 text"));
          return NULL;
        }
      line = g_strstrip (g_strndup (p, line_end - p));
      p = newline != NULL ? newline + 1 : end;

      if (line[0] == '\0' || line[0] == '#' || line[0] == ';')
        continue;

      if (line[0] == '[')
        {
          if (!g_str_equal (line, "[" SECTION "]"))
            {
              g_autofree char *quoted = quote (line);

              set_parse_error (error, &parser, _("unknown section %s; the only section is [%s]"),
                               quoted, SECTION);
              return NULL;
            }
          in_section = TRUE;
          continue;
        }

      equals = strchr (line, '=');
      if (equals == NULL)
        {
          set_parse_error (error, &parser, _("expected “setting = value”"));
          return NULL;
        }
      *equals = '\0';
      key = g_strstrip (line);
      value = g_strstrip (equals + 1);

      if (!in_section)
        {
          g_autofree char *quoted = quote (key);

          set_parse_error (error, &parser, _("“%s” comes before the [%s] section"), quoted, SECTION);
          return NULL;
        }

      if (!parse_setting (self, &parser, key, value, error))
        {
          return NULL;
        }
    }

  return g_steal_pointer (&self);
}

/* Combining {{{1 */

static char *
join_sources (const char *a,
              const char *b)
{
  if (a == NULL)
    return g_strdup (b);
  if (b == NULL || g_str_equal (a, b))
    return g_strdup (a);
  return g_strjoin (", ", a, b, NULL);
}

static void
add_union (GPtrArray *to,
           GPtrArray *from)
{
  for (guint i = 0; i < from->len; i++)
    {
      Entry *entry = g_ptr_array_index (from, i);

      if (find_entry (to, entry->value) == NULL)
        g_ptr_array_add (to, entry_new (entry->value, entry->source));
    }
}

/* The stricter of two single values, with where it came from: the first
 * when both are as strict. */
static void
pick_boolean (gboolean     strict,
              gboolean     a,
              const char  *a_source,
              gboolean     b,
              const char  *b_source,
              gboolean    *out,
              char       **out_source)
{
  gboolean take_b = (b == strict && a != strict) || (a_source == NULL && b == a);

  *out = take_b ? b : a;
  *out_source = g_strdup (take_b ? b_source : a_source);
}

/**
 * mc_policy_merge:
 * @a: a policy (the administrator's, say)
 * @b: another (the user's)
 *
 * Each rule takes the stricter of the two: blocked domains and scopes
 * never to grant are joined, allow-lists intersect, "always allow" and
 * unverified callers stay only if both allow them, the shorter grant
 * lifetime counts.  So neither policy can loosen the other.
 *
 * Returns: (transfer full): the combination
 */
McPolicy *
mc_policy_merge (McPolicy *a,
                 McPolicy *b)
{
  McPolicy *self = NULL;

  g_return_val_if_fail (a != NULL, NULL);
  g_return_val_if_fail (b != NULL, NULL);

  self = policy_new ();

  add_union (self->blocked, a->blocked);
  add_union (self->blocked, b->blocked);
  add_union (self->never_scopes, a->never_scopes);
  add_union (self->never_scopes, b->never_scopes);

  if (a->has_allow_list && b->has_allow_list)
    {
      self->has_allow_list = TRUE;
      self->allow_list_source = join_sources (a->allow_list_source, b->allow_list_source);
      for (guint i = 0; i < a->allowed->len; i++)
        {
          Entry *entry = g_ptr_array_index (a->allowed, i);
          Entry *other = find_entry (b->allowed, entry->value);
          g_autofree char *sources = NULL;

          if (other == NULL)
            continue;
          sources = join_sources (entry->source, other->source);
          g_ptr_array_add (self->allowed, entry_new (entry->value, sources));
        }
    }
  else if (a->has_allow_list || b->has_allow_list)
    {
      McPolicy *with = a->has_allow_list ? a : b;

      self->has_allow_list = TRUE;
      self->allow_list_source = g_strdup (with->allow_list_source);
      add_union (self->allowed, with->allowed);
    }

  pick_boolean (FALSE, a->always_allow, a->always_allow_source, b->always_allow, b->always_allow_source,
                &self->always_allow, &self->always_allow_source);
  pick_boolean (TRUE, a->verified_only, a->verified_only_source, b->verified_only, b->verified_only_source,
                &self->verified_only, &self->verified_only_source);

  if (a->max_lifetime != 0 && (b->max_lifetime == 0 || a->max_lifetime <= b->max_lifetime))
    {
      self->max_lifetime = a->max_lifetime;
      self->max_lifetime_source = g_strdup (a->max_lifetime_source);
    }
  else if (b->max_lifetime != 0)
    {
      self->max_lifetime = b->max_lifetime;
      self->max_lifetime_source = g_strdup (b->max_lifetime_source);
    }

  return self;
}

/* Questions {{{1 */

static gboolean
host_in_domain (const char *host,
                const char *domain)
{
  gsize host_length = strlen (host);
  gsize domain_length = strlen (domain);

  if (host_length == domain_length)
    return g_str_equal (host, domain);
  return host_length > domain_length &&
         host[host_length - domain_length - 1] == '.' &&
         g_str_equal (host + host_length - domain_length, domain);
}

static gboolean
in_entries (GPtrArray  *entries,
            const char *host)
{
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (entries, i);

      if (host_in_domain (host, entry->value))
        return TRUE;
    }
  return FALSE;
}

/**
 * mc_policy_get_host_rule:
 * @self: a policy
 * @host_ascii: a host in ASCII (punycode) and lower case, as
 *   mc_url_verdict_get_host_ascii() gives it
 *
 * A blocked domain blocks its subdomains; an allow-list allows its
 * domains and their subdomains, and nothing else — not IP addresses and
 * not this computer, which are no domain.
 *
 * Returns: (nullable): the rule that forbids opening or signing in at
 *   @host_ascii, as the policy file names it ("blocked-domains" or
 *   "allowed-domains"), or %NULL if none does
 */
const char *
mc_policy_get_host_rule (McPolicy   *self,
                         const char *host_ascii)
{
  g_autofree char *host = NULL;
  gsize length;

  g_return_val_if_fail (self != NULL, "blocked-domains");
  g_return_val_if_fail (host_ascii != NULL, "blocked-domains");

  host = g_ascii_strdown (host_ascii, -1);
  length = strlen (host);
  if (length > 0 && host[length - 1] == '.')
    host[length - 1] = '\0';

  if (in_entries (self->blocked, host))
    return "blocked-domains";
  if (self->has_allow_list && !in_entries (self->allowed, host))
    return "allowed-domains";
  return NULL;
}

/**
 * mc_policy_get_url_rule:
 * @self: a policy
 * @url: a URL (untrusted)
 *
 * Returns: (nullable): the rule that forbids @url's host, as
 *   mc_policy_get_host_rule(), or %NULL if none does (or it has no host)
 */
const char *
mc_policy_get_url_rule (McPolicy   *self,
                        const char *url)
{
  g_autoptr(McUrlVerdict) verdict = NULL;
  const char *host;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);

  verdict = mc_url_verdict_new (url, NULL);
  host = mc_url_verdict_get_host_ascii (verdict);
  return host != NULL ? mc_policy_get_host_rule (self, host) : NULL;
}

/**
 * mc_policy_blocks_host:
 * @self: a policy
 * @host_ascii: as for mc_policy_get_host_rule()
 *
 * Returns: whether the policy forbids opening or signing in at @host_ascii
 */
gboolean
mc_policy_blocks_host (McPolicy   *self,
                       const char *host_ascii)
{
  return mc_policy_get_host_rule (self, host_ascii) != NULL;
}

/**
 * mc_policy_judge_url:
 * @self: a policy
 * @url: the URL to judge (untrusted)
 * @server_url: (nullable): as for mc_url_verdict_new()
 *
 * The verdict of mc_url_verdict_new(), with the flag "policy" (blocked)
 * when the policy forbids the URL's host.
 *
 * Returns: (transfer full): the verdict
 */
McUrlVerdict *
mc_policy_judge_url (McPolicy   *self,
                     const char *url,
                     const char *server_url)
{
  g_autoptr(McUrlVerdict) verdict = NULL;
  const char *host = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);

  verdict = mc_url_verdict_new (url, server_url);
  host = mc_url_verdict_get_host_ascii (verdict);
  if (host != NULL && mc_policy_blocks_host (self, host))
    return mc_url_verdict_block_by_policy (verdict);
  return g_steal_pointer (&verdict);
}

/**
 * mc_policy_blocks_url:
 * @self: a policy
 * @url: a URL (untrusted)
 *
 * Returns: whether the policy forbids @url's host: what the flag "policy"
 *   of mc_policy_judge_url() says, without the rest of the verdict
 */
gboolean
mc_policy_blocks_url (McPolicy   *self,
                      const char *url)
{
  g_return_val_if_fail (self != NULL, TRUE);
  g_return_val_if_fail (url != NULL, TRUE);

  return mc_policy_get_url_rule (self, url) != NULL;
}

gboolean
mc_policy_get_always_allow (McPolicy *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->always_allow;
}

gboolean
mc_policy_get_verified_callers_only (McPolicy *self)
{
  g_return_val_if_fail (self != NULL, TRUE);

  return self->verified_only;
}

/**
 * mc_policy_get_max_grant_lifetime:
 * @self: a policy
 *
 * Returns: how long a sign-in lasts at most, in seconds, or 0 for no limit
 */
gint64
mc_policy_get_max_grant_lifetime (McPolicy *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->max_lifetime;
}

gboolean
mc_policy_forbids_scope (McPolicy   *self,
                         const char *scope)
{
  g_return_val_if_fail (self != NULL, TRUE);
  g_return_val_if_fail (scope != NULL, TRUE);

  return find_entry (self->never_scopes, scope) != NULL;
}

/**
 * mc_policy_filter_scopes:
 * @self: a policy
 * @scopes: scopes to ask for
 * @removed: (out) (optional): the scopes of @scopes the policy forbids
 *
 * Returns: (transfer full): @scopes without those the policy forbids
 */
GStrv
mc_policy_filter_scopes (McPolicy           *self,
                         const char * const *scopes,
                         GStrv              *removed)
{
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) dropped = g_strv_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (scopes != NULL, NULL);

  for (guint i = 0; scopes[i] != NULL; i++)
    g_strv_builder_add (mc_policy_forbids_scope (self, scopes[i]) ? dropped : kept, scopes[i]);

  if (removed != NULL)
    *removed = g_strv_builder_end (dropped);
  return g_strv_builder_end (kept);
}

/* Describing {{{1 */

/**
 * mc_policy_format_lifetime:
 * @seconds: a duration, more than 0
 *
 * Returns: (transfer full): @seconds in the largest unit of the policy
 *   file's that divides it ("30d", "90m")
 */
char *
mc_policy_format_lifetime (gint64 seconds)
{
  static const struct { gint64 seconds; char unit; } units[] = {
    { 7 * 24 * 3600, 'w' }, { 24 * 3600, 'd' }, { 3600, 'h' }, { 60, 'm' },
  };

  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (seconds % units[i].seconds == 0)
      return g_strdup_printf ("%" G_GINT64_FORMAT "%c", seconds / units[i].seconds, units[i].unit);
  return g_strdup_printf ("%" G_GINT64_FORMAT "s", seconds);
}

static void
describe_line (GString    *out,
               const char *key,
               const char *value,
               const char *source)
{
  g_autofree char *setting = g_strdup_printf ("%s = %s", key, value);
  glong width = g_utf8_strlen (setting, -1);

  /* Padded by characters, not bytes, so that the sources line up. */
  g_string_append (out, setting);
  for (glong i = width; i < 40; i++)
    g_string_append_c (out, ' ');
  g_string_append_printf (out, " # %s\n", source != NULL ? source : "default");
}

static void
describe_entries (GString    *out,
                  const char *key,
                  GPtrArray  *entries,
                  gboolean    domains)
{
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (entries, i);
      g_autofree char *unicode = domains ? g_hostname_to_unicode (entry->value) : NULL;

      describe_line (out, key, unicode != NULL ? unicode : entry->value, entry->source);
    }
}

/**
 * mc_policy_describe:
 * @self: a policy
 *
 * The effective policy in the file's own syntax, one value a line, each
 * followed by "# SOURCE": the file and line it came from, or "default".
 * Lists are spelt out one entry a line, so every entry has its source.
 *
 * Returns: (transfer full): the description, lines ending in "\n"
 */
char *
mc_policy_describe (McPolicy *self)
{
  GString *out = g_string_new ("[" SECTION "]\n");
  g_autofree char *lifetime = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->blocked->len == 0)
    describe_line (out, "blocked-domains", "", NULL);
  describe_entries (out, "blocked-domains", self->blocked, TRUE);

  if (!self->has_allow_list)
    describe_line (out, "# allowed-domains", "(any domain: no allow-list)", NULL);
  else if (self->allowed->len == 0)
    describe_line (out, "allowed-domains", "", self->allow_list_source);
  describe_entries (out, "allowed-domains", self->allowed, TRUE);

  describe_line (out, "always-allow", self->always_allow ? "true" : "false", self->always_allow_source);
  describe_line (out, "only-verified-callers", self->verified_only ? "true" : "false",
                 self->verified_only_source);

  if (self->max_lifetime == 0)
    describe_line (out, "# max-grant-lifetime", "(none)", NULL);
  else
    {
      lifetime = mc_policy_format_lifetime (self->max_lifetime);
      describe_line (out, "max-grant-lifetime", lifetime, self->max_lifetime_source);
    }

  if (self->never_scopes->len == 0)
    describe_line (out, "never-grant-scopes", "", NULL);
  describe_entries (out, "never-grant-scopes", self->never_scopes, FALSE);

  return g_string_free (out, FALSE);
}

/* Files {{{1 */

/**
 * mc_policy_admin_path:
 *
 * Returns: (transfer full): the administrator's file, in the build's
 *   sysconfdir
 */
char *
mc_policy_admin_path (void)
{
  return g_build_filename (SYSCONFDIR, "mcp-consent", "policy.ini", NULL);
}

/**
 * mc_policy_user_path:
 *
 * Returns: (transfer full): the user's file, under $XDG_CONFIG_HOME
 */
char *
mc_policy_user_path (void)
{
  return mc_paths_config_file ("policy.ini");
}

/**
 * mc_policy_dup_paths:
 *
 * The files that make the policy, in the order they are combined: the
 * administrator's, the one MCP_CONSENT_TEST_ADMIN_POLICY names (a test
 * hook; combined like any other, so it can only tighten), the user's.
 *
 * Returns: (transfer full): the paths
 */
GStrv
mc_policy_dup_paths (void)
{
  g_autoptr(GStrvBuilder) paths = g_strv_builder_new ();
  const char *extra = g_getenv ("MCP_CONSENT_TEST_ADMIN_POLICY");
  g_autofree char *admin = mc_policy_admin_path ();
  g_autofree char *user = mc_policy_user_path ();

  g_strv_builder_add (paths, admin);
  if (extra != NULL && extra[0] != '\0' && g_path_is_absolute (extra))
    g_strv_builder_add (paths, extra);
  g_strv_builder_add (paths, user);
  return g_strv_builder_end (paths);
}

/**
 * mc_policy_read_file_sync:
 * @path: a policy file
 * @problem: return location for why the file could not be used
 *
 * Reads @path now, blocking. A file that cannot be read or parsed counts
 * as mc_policy_new_strictest(), and @problem says why ("FILE:LINE:
 * reason"); this never fails otherwise.
 *
 * Returns: (transfer full) (nullable): the file's policy, or %NULL when
 *   there is no such file (no policy, and no problem)
 */
McPolicy *
mc_policy_read_file_sync (const char  *path,
                          GError     **problem)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  McPolicy *policy = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &data, &length, &error))
    {
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return NULL;
      g_set_error (problem, MC_POLICY_ERROR, MC_POLICY_ERROR_MALFORMED, "%s:0: %s", path, error->message);
      return mc_policy_new_strictest (path);
    }

  policy = mc_policy_parse (path, data, length, &error);
  if (policy == NULL)
    {
      g_propagate_error (problem, g_steal_pointer (&error));
      return mc_policy_new_strictest (path);
    }
  return policy;
}

/**
 * mc_policy_load_sync:
 * @problems: (element-type GError): where to add an error for each file
 *   that could not be read as a policy
 *
 * Reads every policy file now, blocking, as mc_policy_read_file_sync():
 * for the command line.
 *
 * Returns: (transfer full): the effective policy
 */
McPolicy *
mc_policy_load_sync (GPtrArray *problems)
{
  g_auto(GStrv) paths = mc_policy_dup_paths ();
  g_autoptr(McPolicy) policy = mc_policy_new_default ();

  g_return_val_if_fail (problems != NULL, NULL);

  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autoptr(GError) problem = NULL;
      g_autoptr(McPolicy) file_policy = mc_policy_read_file_sync (paths[i], &problem);
      McPolicy *merged = NULL;

      if (problem != NULL)
        g_ptr_array_add (problems, g_steal_pointer (&problem));
      if (file_policy == NULL)
        continue;

      merged = mc_policy_merge (policy, file_policy);
      g_clear_pointer (&policy, mc_policy_unref);
      policy = merged;
    }

  return g_steal_pointer (&policy);
}
