/*
 * The master key and the AES-256-GCM sealing of private signing keys.
 *
 * The key is 32 random bytes, kept as standard base64 (RFC 4648 §4) in the
 * environment or in a file created with mode 0600 on first start. A sealed
 * blob is nonce (12) || ciphertext || tag (16); the additional authenticated
 * data binds it to the row it belongs to, so it cannot be moved to another.
 */
#include "jose/keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "core/secure.h"

/* Base64 of 32 bytes: 43 significant characters and one '=' of padding. */
#define KEY_B64_LEN 44
/* A key file holds the base64 text and whitespace; anything longer is wrong. */
#define KEY_FILE_MAX 1024
/* How long to wait for a key file that another process is still writing. */
#define KEY_FILE_RETRIES 50
#define KEY_FILE_RETRY_NS 20000000L

#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
#define SEAL_OVERHEAD (SEAL_NONCE_LEN + SEAL_TAG_LEN)
/* Private JWKs are a few KiB; the cap only stops absurd inputs. */
#define SEAL_MAX ((size_t)1 << 20)
#define SEAL_AAD_MAX 1024

static bool is_b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Decodes the base64 text of a key. Trailing whitespace (the newline of a
 * file or of an environment variable set from one) is ignored; the padding
 * may be left out. Anything that is not exactly 32 bytes is LK_EKEY.
 */
static enum lk_err decode_key(const char *text, size_t len, struct lk_master_key *out)
{
	unsigned char b64[KEY_B64_LEN];
	unsigned char raw[KEY_B64_LEN];
	enum lk_err err = LK_EKEY;
	size_t i;

	while (len > 0 && is_space(text[len - 1]))
		len--;
	if (len == KEY_B64_LEN - 1 || (len == KEY_B64_LEN && text[len - 1] == '='))
		len = KEY_B64_LEN - 1;
	else
		goto out;
	for (i = 0; i < len; i++) {
		if (!is_b64_char(text[i]))
			goto out;
		b64[i] = (unsigned char)text[i];
	}
	b64[KEY_B64_LEN - 1] = '=';
	/* EVP_DecodeBlock counts the padding as a zero byte: 33 bytes come out. */
	if (EVP_DecodeBlock(raw, b64, KEY_B64_LEN) != LK_MASTER_KEY_LEN + 1)
		goto out;
	memcpy(out->k, raw, LK_MASTER_KEY_LEN);
	err = LK_OK;
out:
	lk_wipe(b64, sizeof(b64));
	lk_wipe(raw, sizeof(raw));
	return err;
}

static enum lk_err read_all(int fd, char *buf, size_t cap, size_t *len)
{
	size_t got = 0;
	ssize_t r;

	while (got < cap) {
		r = read(fd, buf + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return LK_EIO;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*len = got;
	return LK_OK;
}

static enum lk_err write_all(int fd, const char *buf, size_t len)
{
	ssize_t r;

	while (len > 0) {
		r = write(fd, buf, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return LK_EIO;
		buf += r;
		len -= (size_t)r;
	}
	return LK_OK;
}

static enum lk_err read_key_file(const char *path, struct lk_master_key *out)
{
	char buf[KEY_FILE_MAX + 1];
	size_t len = 0;
	struct stat st;
	enum lk_err err;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return LK_ENOTFOUND;
	if (fd < 0) {
		lk_error("cannot open master key file '%s': %s", path, strerror(errno));
		return LK_EIO;
	}
	err = LK_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		lk_error("master key file '%s' is not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		lk_warn("master key file '%s' is accessible to group or others; "
			"restrict it with chmod 600",
			path);
	if (read_all(fd, buf, sizeof(buf), &len) != LK_OK) {
		lk_error("cannot read master key file '%s': %s", path, strerror(errno));
		goto out;
	}
	err = LK_EKEY;
	if (len > KEY_FILE_MAX)
		goto out;
	err = decode_key(buf, len, out);
out:
	lk_wipe(buf, sizeof(buf));
	close(fd);
	return err;
}

/*
 * Another process that created the file may not have written it yet: an
 * empty or partial file reads as malformed for a short while.
 */
static enum lk_err read_key_file_settled(const char *path, struct lk_master_key *out)
{
	const struct timespec pause = {0, KEY_FILE_RETRY_NS};
	enum lk_err err = LK_EKEY;
	int i;

	for (i = 0; i < KEY_FILE_RETRIES && err == LK_EKEY; i++) {
		if (i > 0)
			nanosleep(&pause, NULL);
		err = read_key_file(path, out);
	}
	return err;
}

/* Makes the new directory entry durable; a failure here is only logged. */
static void sync_parent_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd;

	if (!slash) {
		memcpy(dir, ".", 2);
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fsync(fd) != 0)
		lk_warn("cannot sync directory '%s': %s", dir, strerror(errno));
	close(fd);
}

/*
 * Creates the key file exclusively (O_EXCL), so that of two processes
 * starting at once only one writes a key. LK_EEXIST when the file appeared
 * in the meantime.
 */
static enum lk_err create_key_file(const char *path, struct lk_master_key *out)
{
	struct lk_master_key mk;
	char text[KEY_B64_LEN + 2];
	enum lk_err err;
	int fd, saved;

	err = lk_random_bytes(mk.k, sizeof(mk.k));
	if (err)
		goto out;
	EVP_EncodeBlock((unsigned char *)text, mk.k, LK_MASTER_KEY_LEN);
	text[KEY_B64_LEN] = '\n';
	text[KEY_B64_LEN + 1] = '\0';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno == EEXIST ? LK_EEXIST : LK_EIO;
		if (err == LK_EIO)
			lk_error("cannot create master key file '%s': %s", path, strerror(errno));
		goto out;
	}
	err = write_all(fd, text, KEY_B64_LEN + 1);
	if (!err && fsync(fd) != 0)
		err = LK_EIO;
	saved = errno;
	if (close(fd) != 0 && !err) {
		err = LK_EIO;
		saved = errno;
	}
	if (err) {
		lk_error("cannot write master key file '%s': %s", path, strerror(saved));
		unlink(path);
		goto out;
	}
	sync_parent_dir(path);
	lk_info("created master key file '%s'", path);
	*out = mk;
out:
	lk_wipe(&mk, sizeof(mk));
	lk_wipe(text, sizeof(text));
	return err;
}

enum lk_err lk_master_key_load(const char *env_b64, const char *path, bool create,
			       struct lk_master_key *out)
{
	struct lk_master_key mk;
	enum lk_err err;

	if (!out || (!env_b64 && !path))
		return LK_EINVAL;
	if (env_b64) {
		err = LK_EKEY;
		if (strnlen(env_b64, KEY_FILE_MAX + 1) <= KEY_FILE_MAX)
			err = decode_key(env_b64, strlen(env_b64), &mk);
		if (err)
			lk_error("the master key in the environment is not the base64 of "
				 "32 bytes");
		goto out;
	}
	err = read_key_file(path, &mk);
	if (err != LK_ENOTFOUND || !create)
		goto out;
	err = create_key_file(path, &mk);
	if (err == LK_EEXIST)
		err = read_key_file_settled(path, &mk);
out:
	if (err == LK_EKEY && !env_b64)
		lk_error("master key file '%s' does not hold the base64 of 32 bytes", path);
	if (!err)
		*out = mk;
	lk_wipe(&mk, sizeof(mk));
	return err;
}

void lk_master_key_wipe(struct lk_master_key *mk)
{
	lk_wipe(mk, sizeof(*mk));
}

/* Sets key, nonce and additional data on a fresh GCM context. */
static bool gcm_start(EVP_CIPHER_CTX *ctx, bool enc, const struct lk_master_key *mk,
		      const unsigned char *nonce, const char *aad)
{
	size_t aadlen = aad ? strlen(aad) : 0;
	int outl;

	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1)
		return false;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1)
		return false;
	if (EVP_CipherInit_ex(ctx, NULL, NULL, mk->k, nonce, enc) != 1)
		return false;
	return aadlen == 0 ||
	       EVP_CipherUpdate(ctx, NULL, &outl, (const unsigned char *)aad, (int)aadlen) == 1;
}

enum lk_err lk_seal(const struct lk_master_key *mk, const char *aad, const void *in, size_t n,
		    unsigned char **out, size_t *outlen)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *buf = NULL;
	enum lk_err err = LK_EINVAL;
	int len = 0, fin = 0;

	if (!mk || !out || !outlen || (!in && n > 0))
		goto out;
	if (aad && strnlen(aad, SEAL_AAD_MAX + 1) > SEAL_AAD_MAX)
		goto out;
	err = LK_ETOOBIG;
	if (n > SEAL_MAX)
		goto out;
	err = LK_ENOMEM;
	buf = malloc(n + SEAL_OVERHEAD);
	ctx = EVP_CIPHER_CTX_new();
	if (!buf || !ctx)
		goto out;
	/* A random 96-bit nonce per seal: keys are sealed rarely (NIST SP 800-38D §8.2.2). */
	err = lk_random_bytes(buf, SEAL_NONCE_LEN);
	if (err)
		goto out;
	err = LK_ECRYPTO;
	if (!gcm_start(ctx, true, mk, buf, aad))
		goto out;
	if (n > 0 && EVP_EncryptUpdate(ctx, buf + SEAL_NONCE_LEN, &len, in, (int)n) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(ctx, buf + SEAL_NONCE_LEN + len, &fin) != 1)
		goto out;
	if ((size_t)len + (size_t)fin != n)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN,
				buf + SEAL_NONCE_LEN + n) != 1)
		goto out;
	*out = buf;
	*outlen = n + SEAL_OVERHEAD;
	buf = NULL;
	err = LK_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (buf) {
		lk_wipe(buf, n + SEAL_OVERHEAD);
		free(buf);
	}
	return err;
}

enum lk_err lk_unseal(const struct lk_master_key *mk, const char *aad, const unsigned char *in,
		      size_t n, unsigned char **out, size_t *outlen)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *buf = NULL;
	unsigned char tag[SEAL_TAG_LEN];
	enum lk_err err = LK_EINVAL;
	size_t ctlen = 0;
	int len = 0, fin = 0;

	if (!mk || !in || !out || !outlen)
		goto out;
	if (aad && strnlen(aad, SEAL_AAD_MAX + 1) > SEAL_AAD_MAX)
		goto out;
	err = LK_ETOOBIG;
	if (n > SEAL_MAX + SEAL_OVERHEAD)
		goto out;
	/* Too short to hold a nonce and a tag: it cannot authenticate. */
	err = LK_EKEY;
	if (n < SEAL_OVERHEAD)
		goto out;
	ctlen = n - SEAL_OVERHEAD;
	err = LK_ENOMEM;
	buf = malloc(ctlen + 1);
	ctx = EVP_CIPHER_CTX_new();
	if (!buf || !ctx)
		goto out;
	memcpy(tag, in + SEAL_NONCE_LEN + ctlen, SEAL_TAG_LEN);
	err = LK_ECRYPTO;
	if (!gcm_start(ctx, false, mk, in, aad))
		goto out;
	if (ctlen > 0 && EVP_DecryptUpdate(ctx, buf, &len, in + SEAL_NONCE_LEN, (int)ctlen) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, tag) != 1)
		goto out;
	/* The tag is checked here: a wrong key, nonce, aad or any altered byte fails. */
	err = LK_EKEY;
	if (EVP_DecryptFinal_ex(ctx, buf + len, &fin) != 1)
		goto out;
	if ((size_t)len + (size_t)fin != ctlen)
		goto out;
	buf[ctlen] = '\0';
	*out = buf;
	*outlen = ctlen;
	buf = NULL;
	err = LK_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (buf) {
		lk_wipe(buf, ctlen + 1);
		free(buf);
	}
	return err;
}
