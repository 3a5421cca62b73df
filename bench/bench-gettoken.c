/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* GetToken on a cached token — a grant whose access token is in the
 * keyring and far from expiring, so no refresh — beside what else can
 * read the same keyring item, in the same run:
 *
 *  - Peer.Ping to the daemon: the D-Bus floor (bus + transport, answered
 *    in GDBus's worker thread);
 *  - libsecret in this process, secret_password_lookup_sync() with the
 *    broker's schema and attributes: what an app that keeps its own
 *    tokens in the keyring pays (SearchItems + GetSecrets);
 *  - libsecret in this process the way the daemon reads it
 *    (secret_password_search_sync() + the item's own GetSecret, see
 *    src/daemon/mc-token-store.c): the keyring share of GetToken;
 *  - `secret-tool lookup` with the same attributes: a process per lookup,
 *    which is what secret-tool costs a script.
 *
 * Setup: a private bus, gnome-keyring (unlocked), the daemon from the
 * build tree, the MCP SDK's example server (tests/npm), and one real
 * sign-in with `mcp-consent authorize`: the scripted dialog answers
 * "open", follow-browser (registered through mimeapps.list) follows the
 * demo authorization server's redirect to the daemon's listener.
 *
 * Prints Markdown on stdout and progress on stderr.  Exit 77 when Node.js
 * or the SDK is missing.
 */

#include "config.h"

#include <libsecret/secret.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc-bench-config.h"
#include "mc-bench-env.h"
#include "mc-bench-peers.h"

#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define BROKER_IFACE "io.github.mcp_consent.Broker1"
#define SCHEMA_NAME "io.github.mcp_consent.Token"
#define TARGET_MICROSECONDS 150.0

static int opt_runs = 2000;
static int opt_warmup = 100;
static int opt_spawn_runs = 200;

static const GOptionEntry entries[] = {
  { "runs", 'n', 0, G_OPTION_ARG_INT, &opt_runs, "GetToken calls (and in-process lookups) measured", "N" },
  { "warmup", 'w', 0, G_OPTION_ARG_INT, &opt_warmup, "Calls of each kind before measuring", "N" },
  { "spawn-runs", 's', 0, G_OPTION_ARG_INT, &opt_spawn_runs, "secret-tool lookups measured (a process each)", "N" },
  { NULL }
};

/* The daemon's schema (src/daemon/mc-token-store.c). */
static const SecretSchema token_schema = {
  SCHEMA_NAME, SECRET_SCHEMA_NONE,
  {
    { "resource", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "issuer", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "client", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "app", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "generation", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

/* The attributes in the order secret-tool gets them. */
static const char * const attribute_names[] = { "resource", "issuer", "client", "app", "kind", "generation" };

typedef struct
{
  McBenchEnv *env;
  const char *resource;
  GHashTable *attributes;
  char      **secret_tool_argv;
  char       *token;
} Bench;

static gboolean
same_token (Bench      *bench,
            const char *token)
{
  return token != NULL && g_str_equal (token, bench->token);
}

static void
wipe_free (char *text)
{
  if (text == NULL)
    return;
  memset (text, 0, strlen (text));
  g_free (text);
}

static double
ping (Bench *bench)
{
  g_autoptr(GError) error = NULL;
  gint64 microseconds = 0;

  if (!mc_bench_call (bench->env->connection, BUS_NAME, BROKER_PATH, "org.freedesktop.DBus.Peer", "Ping",
                      NULL, NULL, &microseconds, &error))
    g_error ("Ping failed: %s", error->message);
  return microseconds;
}

static double
get_token (Bench *bench)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) info = NULL;
  const char *token = NULL;
  gint64 microseconds = 0;

  if (!mc_bench_call (bench->env->connection, BUS_NAME, BROKER_PATH, BROKER_IFACE, "GetToken",
                      g_variant_new ("(sa{sv})", bench->resource, NULL), &reply, &microseconds, &error))
    g_error ("GetToken failed: %s", error->message);
  g_variant_get (reply, "(&s@a{sv})", &token, &info);
  if (!same_token (bench, token))
    g_error ("GetToken handed out another token than the keyring holds");
  return microseconds;
}

static double
lookup_password (Bench *bench)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  char *token = secret_password_lookupv_sync (&token_schema, bench->attributes, NULL, &error);
  gint64 end = g_get_monotonic_time ();

  if (!same_token (bench, token))
    g_error ("secret_password_lookup_sync did not find the token: %s", error != NULL ? error->message : "no item");
  secret_password_free (token);
  return end - start;
}

/* What src/daemon/mc-token-store.c does, synchronously: search (unlocking
 * if need be), then the one item's own GetSecret. */
static char *
search_and_retrieve (Bench   *bench,
                     GError **error)
{
  GList *items = NULL;
  g_autoptr(SecretValue) value = NULL;
  char *token = NULL;

  items = secret_password_searchv_sync (&token_schema, bench->attributes, SECRET_SEARCH_UNLOCK, NULL, error);
  if (items == NULL)
    return NULL;
  value = secret_retrievable_retrieve_secret_sync (items->data, NULL, error);
  g_list_free_full (items, g_object_unref);
  if (value == NULL || secret_value_get_text (value) == NULL)
    return NULL;
  token = g_strdup (secret_value_get_text (value));
  return token;
}

static double
lookup_item (Bench *bench)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  char *token = search_and_retrieve (bench, &error);
  gint64 end = g_get_monotonic_time ();

  if (!same_token (bench, token))
    g_error ("The search did not find the token: %s", error != NULL ? error->message : "no item");
  wipe_free (token);
  return end - start;
}

static double
secret_tool (Bench *bench)
{
  g_autoptr(GError) error = NULL;
  McBenchRun run;
  gboolean same = FALSE;

  if (!mc_bench_run_program (bench->env, (const char * const *)bench->secret_tool_argv, NULL, &run, &error))
    g_error ("secret-tool failed: %s", error->message);
  if (run.status != 0)
    g_error ("secret-tool lookup exited with %d: %s", run.status, run.err);
  /* It prints the secret as stored, plus a newline when stdout is a
   * terminal; here it is a pipe. */
  if (run.out != NULL)
    g_strchomp (run.out);
  same = same_token (bench, run.out);
  mc_bench_run_clear (&run);
  if (!same)
    g_error ("secret-tool printed another secret than the keyring holds");
  return run.microseconds;
}

/* "gnome-keyring-daemon: 42.1" → "42.1" */
static char *
program_version (const char *program)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  const char *colon = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, NULL,
                              program, "--version", NULL);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, NULL) || out == NULL)
    return g_strdup ("?");
  lines = g_strsplit (out, "\n", 2);
  colon = strrchr (lines[0], ':');
  return g_strstrip (g_strdup (colon != NULL ? colon + 1 : lines[0]));
}

static double
mean (GArray *samples)
{
  double sum = 0;

  for (guint i = 0; i < samples->len; i++)
    sum += g_array_index (samples, double, i);
  return samples->len > 0 ? sum / samples->len : 0;
}

static void
print_row (const char *what,
           GArray     *samples,
           double      get_token_p50)
{
  double p50 = mc_bench_percentile (samples, 0.50);

  printf ("| %s | %u | %.0f µs | %.0f µs | %.0f µs | %.0f µs | %.2f× |\n", what, samples->len,
          p50, mc_bench_percentile (samples, 0.90), mc_bench_percentile (samples, 0.99), mean (samples),
          p50 / get_token_p50);
}

/* The access token item the daemon stored for @resource: its attributes,
 * exactly as the daemon wrote them. */
static GHashTable *
find_item_attributes (const char *resource)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) query = NULL;
  GList *items = NULL;
  GHashTable *attributes = NULL;

  query = secret_attributes_build (&token_schema, "resource", resource, "kind", "access", NULL);
  items = secret_password_searchv_sync (&token_schema, query, SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK, NULL, &error);
  if (items == NULL)
    g_error ("The keyring holds no access token for %s: %s", resource, error != NULL ? error->message : "no item");
  if (items->next != NULL)
    g_error ("The keyring holds %u access tokens for %s, not one", g_list_length (items), resource);

  attributes = secret_retrievable_get_attributes (items->data);
  g_list_free_full (items, g_object_unref);
  /* libsecret adds the schema's name; the lookups add it themselves. */
  g_hash_table_remove (attributes, "xdg:schema");
  for (gsize i = 0; i < G_N_ELEMENTS (attribute_names); i++)
    {
      if (!g_hash_table_contains (attributes, attribute_names[i]))
        g_error ("The item has no “%s” attribute", attribute_names[i]);
    }
  return attributes;
}

static char **
build_secret_tool_argv (GHashTable *attributes)
{
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, g_find_program_in_path ("secret-tool"));
  g_ptr_array_add (argv, g_strdup ("lookup"));
  g_ptr_array_add (argv, g_strdup ("xdg:schema"));
  g_ptr_array_add (argv, g_strdup (SCHEMA_NAME));
  for (gsize i = 0; i < G_N_ELEMENTS (attribute_names); i++)
    {
      g_ptr_array_add (argv, g_strdup (attribute_names[i]));
      g_ptr_array_add (argv, g_strdup (g_hash_table_lookup (attributes, attribute_names[i])));
    }
  g_ptr_array_add (argv, NULL);
  return (char **)g_ptr_array_free (argv, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- time GetToken against reading the keyring directly");
  g_autoptr(GError) error = NULL;
  g_autoptr(McBenchEnv) env = NULL;
  g_autoptr(McBenchSdkServer) server = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(GArray) pings = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) tokens = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) passwords = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) items = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) spawns = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *reason = NULL;
  g_autofree char *secret_tool_path = NULL;
  g_autofree char *keyring_path = NULL;
  g_autofree char *keyring_version = NULL;
  McBenchRun run;
  Bench bench = { NULL, NULL, NULL, NULL, NULL };
  double token_p50 = 0;
  int spawn_every = 1;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_runs < 1 || opt_warmup < 0 || opt_spawn_runs < 1)
    {
      g_printerr ("--runs and --spawn-runs must be positive\n");
      return 2;
    }
  spawn_every = MAX (1, opt_runs / opt_spawn_runs);

  if (!mc_bench_check_sdk (&reason))
    {
      g_printerr ("Cannot sign in to create the grant: %s\n", reason);
      return MC_BENCH_EXIT_SKIP;
    }
  secret_tool_path = g_find_program_in_path ("secret-tool");
  keyring_path = g_find_program_in_path ("gnome-keyring-daemon");
  if (secret_tool_path == NULL || keyring_path == NULL)
    {
      g_printerr ("secret-tool or gnome-keyring-daemon is missing (Debian: libsecret-tools, gnome-keyring)\n");
      return MC_BENCH_EXIT_SKIP;
    }

  keyring_version = program_version (keyring_path);

  env = mc_bench_env_new ();
  mc_bench_env_register_browser (env, "mc-follow-browser.desktop", MC_BENCH_FOLLOW_BROWSER);
  if (!mc_bench_env_start_keyring (env, &error))
    g_error ("Cannot start gnome-keyring: %s", error->message);
  /* libsecret in this process talks to the session bus of this process. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", env->bus_address, TRUE);

  server = mc_bench_sdk_server_start (env, &error);
  if (server == NULL)
    g_error ("%s", error->message);
  daemon = mc_bench_env_start_daemon (env, &error);
  if (daemon == NULL)
    g_error ("Cannot start the daemon: %s", error->message);

  /* One real sign-in creates the grant and the keyring items. */
  g_printerr ("signing in to %s...\n", server->resource);
  mc_bench_env_set_script (env, "open\n");
  if (!mc_bench_sign_in (env, server->resource, &run, &error))
    g_error ("%s", error->message);
  g_printerr ("signed in (%.2f s)\n", run.microseconds / (double)G_USEC_PER_SEC);
  mc_bench_run_clear (&run);
  if (!mc_bench_env_wait_browser_loaded (env, 1))
    g_error ("follow-browser did not load the listener's page");
  mc_bench_env_stop_browsers (env);

  attributes = find_item_attributes (server->resource);
  bench.env = env;
  bench.resource = server->resource;
  bench.attributes = attributes;
  bench.secret_tool_argv = build_secret_tool_argv (attributes);
  bench.token = search_and_retrieve (&bench, &error);
  if (bench.token == NULL)
    g_error ("Cannot read the token: %s", error != NULL ? error->message : "no item");

  /* The first calls fill the caller cache, libsecret's service and
   * session (an encrypted one: a key exchange), the allocators. */
  for (int i = 0; i < opt_warmup; i++)
    {
      ping (&bench);
      get_token (&bench);
      lookup_password (&bench);
      lookup_item (&bench);
      if (i < 3)
        secret_tool (&bench);
    }

  /* Interleaved, so a burst of load elsewhere hits all of them alike. */
  for (int i = 0; i < opt_runs; i++)
    {
      double p = ping (&bench);
      double t = get_token (&bench);
      double l = lookup_password (&bench);
      double s = lookup_item (&bench);

      g_array_append_val (pings, p);
      g_array_append_val (tokens, t);
      g_array_append_val (passwords, l);
      g_array_append_val (items, s);
      if (i % spawn_every == 0 && spawns->len < (guint) opt_spawn_runs)
        {
          double x = secret_tool (&bench);

          g_array_append_val (spawns, x);
        }
      if ((i + 1) % 500 == 0)
        g_printerr ("GetToken: %d/%d\n", i + 1, opt_runs);
    }

  token_p50 = mc_bench_percentile (tokens, 0.50);

  printf ("### GetToken on a cached token (sequential calls on one connection, interleaved)\n\n");
  printf ("| | samples | p50 | p90 | p99 | mean | p50 ÷ GetToken |\n");
  printf ("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  print_row ("`Peer.Ping` to the daemon (floor: bus + transport)", pings, token_p50);
  print_row ("**`GetToken`** (target ≤ 150 µs p50)", tokens, token_p50);
  print_row ("in-process: libsecret `secret_password_lookup_sync`", passwords, token_p50);
  print_row ("in-process: the daemon's keyring path (search + item `GetSecret`)", items, token_p50);
  print_row ("`secret-tool lookup` (a new process each)", spawns, token_p50);
  printf ("\nTarget `GetToken` ≤ %.0f µs p50: **%s** (%.0f µs, %.1f× `Peer.Ping`).\n\n",
          TARGET_MICROSECONDS, token_p50 <= TARGET_MICROSECONDS ? "met" : "not met",
          token_p50, token_p50 / mc_bench_percentile (pings, 0.50));
  printf ("All read the same keyring item: schema `%s`, the six attributes the daemon stored "
          "(`resource`, `issuer`, `client`, `app`, `kind` = `access`, `generation`); each answer is checked "
          "against the token. The D-Bus calls are asynchronous with the client's main loop waiting, as in the "
          "round-trip benchmark; libsecret's calls are its `_sync` ones. `secret-tool` is timed from spawn to "
          "exit: a process start, a bus connection, an encrypted session (a key exchange), the search and the "
          "secret, every time — what a script pays per lookup. gnome-keyring %s, libsecret %s.\n\n",
          SCHEMA_NAME, keyring_version, MC_BENCH_LIBSECRET_VERSION);

  wipe_free (bench.token);
  g_strfreev (bench.secret_tool_argv);
  mc_bench_stop_process (daemon);
  return EXIT_SUCCESS;
}
