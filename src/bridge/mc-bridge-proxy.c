/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-bridge-proxy.h"

#include <string.h>

/* Which proxies the bridge's requests go through (docs/bridge.md,
 * "Proxies").
 *
 * Asking GIO for its default resolver loads every module of that extension
 * point; with glib-networking that includes libproxy, which brings
 * libstdc++ along: about 2 MiB of RSS in a program whose whole budget is
 * 8 MB.  GLib 2.74 asks for it whenever a GSocketClient looks for proxies
 * (GProxyAddressEnumerator's construct property), whichever resolver the
 * client was given, so the only way to save it is to look for none.
 *
 * So: when the desktop has proxy settings of its own in use (GNOME's, read
 * by GIO's GNOME resolver; KDE's, which only libproxy reads), the system's
 * resolver, as before.  Otherwise http_proxy, https_proxy and no_proxy,
 * which is what libproxy would have read, as curl and mcp-remote's
 * --enable-proxy (undici's EnvHttpProxyAgent) read them: lower case before
 * upper case, https falling back to the http proxy, no_proxy a list of
 * hosts and domains, "*" for all.  Without any of these, no proxy lookup
 * at all. */

static const char *
get_variable (const char * const *envp,
              const char         *lower,
              const char         *upper)
{
  const char *value = g_environ_getenv ((char **) envp, lower);

  if (value == NULL || *value == '\0')
    value = g_environ_getenv ((char **) envp, upper);
  return (value != NULL && *value != '\0') ? value : NULL;
}

/* GNOME's proxy settings, "none" unless the user chose "manual" or
 * "automatic" in Settings → Network → Proxy. */
static gboolean
gnome_proxy_in_use (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *mode = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, "org.gnome.system.proxy", TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, "mode"))
    return FALSE;
  settings = g_settings_new_full (schema, NULL, NULL);
  mode = g_settings_get_string (settings, "mode");
  return g_strcmp0 (mode, "none") != 0;
}

static gboolean
desktop_proxy_in_use (const char * const *envp)
{
  const char *desktops = g_environ_getenv ((char **) envp, "XDG_CURRENT_DESKTOP");

  /* The tests glib-networking's GNOME resolver and libproxy's KDE
   * module make. */
  if (g_environ_getenv ((char **) envp, "KDE_FULL_SESSION") != NULL ||
      (desktops != NULL && strstr (desktops, "KDE") != NULL))
    return TRUE;
  if (desktops != NULL && strstr (desktops, "GNOME") != NULL)
    return gnome_proxy_in_use ();
  return FALSE;
}

/* "proxy:3128", as curl accepts it, is "http://proxy:3128". */
static char *
proxy_uri (const char *value)
{
  if (strstr (value, "://") != NULL)
    return g_strdup (value);
  return g_strconcat ("http://", value, NULL);
}

/**
 * mc_bridge_proxy_resolver_new:
 * @envp: (array zero-terminated=1): the environment
 *
 * Returns: (transfer full) (nullable): the proxy resolver for the bridge's
 *   session: the system's when the desktop's proxy settings are in use,
 *   else one made from http_proxy, https_proxy and no_proxy, or %NULL
 *   when they name no proxy: connect directly
 */
GProxyResolver *
mc_bridge_proxy_resolver_new (const char * const *envp)
{
  const char *http_proxy = NULL;
  const char *https_proxy = NULL;
  const char *no_proxy = NULL;
  g_autoptr(GSimpleProxyResolver) resolver = NULL;
  g_autofree char *http_uri = NULL;
  g_autofree char *https_uri = NULL;
  g_auto(GStrv) entries = NULL;
  g_autoptr(GPtrArray) ignore_hosts = g_ptr_array_new ();

  g_return_val_if_fail (envp != NULL, NULL);

  if (desktop_proxy_in_use (envp))
    {
      g_debug ("Using the desktop's proxy settings");
      return g_object_ref (g_proxy_resolver_get_default ());
    }

  http_proxy = get_variable (envp, "http_proxy", "HTTP_PROXY");
  https_proxy = get_variable (envp, "https_proxy", "HTTPS_PROXY");
  no_proxy = get_variable (envp, "no_proxy", "NO_PROXY");
  if (https_proxy == NULL)
    https_proxy = http_proxy;
  if (https_proxy == NULL)
    return NULL;

  /* Entries are separated by commas or white space; GSimpleProxyResolver
   * takes them as they come (host, .domain, *.domain, host:port, CIDR). */
  entries = g_strsplit_set (no_proxy != NULL ? no_proxy : "", ", \t\n", -1);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      if (g_str_equal (entries[i], "*"))
        {
          g_debug ("no_proxy is *: no proxy");
          return NULL;
        }
      if (*entries[i] != '\0')
        g_ptr_array_add (ignore_hosts, entries[i]);
    }
  g_ptr_array_add (ignore_hosts, NULL);
  resolver = G_SIMPLE_PROXY_RESOLVER (g_simple_proxy_resolver_new (NULL, NULL));
  g_simple_proxy_resolver_set_ignore_hosts (resolver, (char **) ignore_hosts->pdata);

  /* The values may hold a password: their names only in the log. */
  if (http_proxy != NULL)
    {
      http_uri = proxy_uri (http_proxy);
      g_simple_proxy_resolver_set_uri_proxy (resolver, "http", http_uri);
    }
  https_uri = proxy_uri (https_proxy);
  g_simple_proxy_resolver_set_uri_proxy (resolver, "https", https_uri);
  g_debug ("Using the proxies of the environment (http_proxy, https_proxy), except for the %u hosts of no_proxy",
           ignore_hosts->len - 1);
  return G_PROXY_RESOLVER (g_steal_pointer (&resolver));
}
