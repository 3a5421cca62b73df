/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-pkce.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* PKCE (RFC 7636) with S256, and the random values of OAuth.  Randomness
 * comes from the kernel's CSPRNG: GLib's g_random_*() is a Mersenne
 * Twister, whose output can be predicted from a few samples. */

/* RFC 7636 §4.1 asks for a 32-octet random sequence: 256 bits. */
#define VERIFIER_RANDOM_BYTES 32

/* Refuse to make tokens of more than this; a state is 32 bytes. */
#define RANDOM_TOKEN_MAX_BYTES 1024

static gboolean
read_urandom (guint8 *buffer,
              gsize   length)
{
  gsize done = 0;
  int fd;

  do
    fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return FALSE;

  while (done < length)
    {
      ssize_t n = read (fd, buffer + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          close (fd);
          return FALSE;
        }
      done += n;
    }

  close (fd);
  return TRUE;
}

/* Without randomness, every verifier and state could be guessed: there is
 * nothing safe to go on with, so this aborts rather than returning an
 * error each caller would have to handle. */
static void
fill_random (guint8 *buffer,
             gsize   length)
{
  gsize done = 0;

  while (done < length)
    {
      /* Blocks only until the pool is first initialised, early in boot. */
      ssize_t n = getrandom (buffer + done, length - done, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          /* ENOSYS on a kernel before 3.17, or a seccomp filter. */
          if (!read_urandom (buffer + done, length - done))
            g_error ("Cannot read random bytes from the kernel: %s", g_strerror (errno));
          return;
        }
      done += n;
    }
}

/* base64url without padding (RFC 7636 Appendix A, RFC 4648 §5). */
static char *
base64url_encode (const guint8 *data,
                  gsize         length)
{
  char *encoded = g_base64_encode (data, length);
  char *end = encoded + strlen (encoded);

  for (char *p = encoded; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
    }

  while (end > encoded && end[-1] == '=')
    *--end = '\0';

  return encoded;
}

/**
 * mc_pkce_new_verifier:
 *
 * Makes a PKCE code verifier (RFC 7636 §4.1): 32 random bytes from the
 * kernel's CSPRNG, base64url-encoded without padding, which gives 43
 * characters of the unreserved set.  It is a secret until the token
 * request is done; free it with mc_oauth_secret_free().
 *
 * Returns: (transfer full): the verifier
 */
char *
mc_pkce_new_verifier (void)
{
  guint8 bytes[VERIFIER_RANDOM_BYTES];
  char *verifier = NULL;

  fill_random (bytes, sizeof bytes);
  verifier = base64url_encode (bytes, sizeof bytes);
  explicit_bzero (bytes, sizeof bytes);

  return verifier;
}

/**
 * mc_pkce_verifier_is_valid:
 * @verifier: (nullable): a code verifier
 *
 * Returns: %TRUE if @verifier is 43 to 128 characters of RFC 3986's
 *   unreserved set (RFC 7636 §4.1)
 */
gboolean
mc_pkce_verifier_is_valid (const char *verifier)
{
  gsize length = 0;

  if (verifier == NULL)
    return FALSE;

  for (const char *p = verifier; *p != '\0'; p++, length++)
    {
      if (!g_ascii_isalnum (*p) && strchr ("-._~", *p) == NULL)
        return FALSE;
      if (length >= 128)
        return FALSE;
    }

  return length >= 43;
}

/**
 * mc_pkce_challenge_s256:
 * @verifier: a code verifier, as mc_pkce_new_verifier() makes
 *
 * The S256 code challenge of @verifier (RFC 7636 §4.2):
 * BASE64URL-ENCODE(SHA256(ASCII(verifier))), without padding.
 *
 * Returns: (transfer full): the challenge, 43 characters
 */
char *
mc_pkce_challenge_s256 (const char *verifier)
{
  g_autoptr(GChecksum) checksum = NULL;
  guint8 digest[32];
  gsize digest_length = sizeof digest;

  g_return_val_if_fail (mc_pkce_verifier_is_valid (verifier), NULL);

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guchar *) verifier, strlen (verifier));
  g_checksum_get_digest (checksum, digest, &digest_length);
  g_assert (digest_length == sizeof digest);

  return base64url_encode (digest, digest_length);
}

/**
 * mc_oauth_random_token:
 * @n_bytes: how many random bytes, 1 to 1024; 32 for a state
 *
 * Makes a random value for OAuth's "state" parameter and the like: @n_bytes
 * from the kernel's CSPRNG, base64url-encoded without padding, so it can
 * go into a URL as it is.
 *
 * Returns: (transfer full): the token
 */
char *
mc_oauth_random_token (gsize n_bytes)
{
  g_autofree guint8 *bytes = NULL;
  char *token = NULL;

  g_return_val_if_fail (n_bytes > 0 && n_bytes <= RANDOM_TOKEN_MAX_BYTES, NULL);

  bytes = g_malloc (n_bytes);
  fill_random (bytes, n_bytes);
  token = base64url_encode (bytes, n_bytes);
  explicit_bzero (bytes, n_bytes);

  return token;
}

/**
 * mc_oauth_secret_free:
 * @secret: (nullable) (transfer full): a secret string: a code verifier, a
 *   token, a client secret
 *
 * Overwrites @secret with zeros, then frees it, so that it does not linger
 * in freed memory (where a core dump or a later bug could show it).
 */
void
mc_oauth_secret_free (char *secret)
{
  if (secret == NULL)
    return;

  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}
