/*
 * redis.c -- open the Redis store from the configuration: URL, consumer group,
 * retention and the password, wherever the user put it.
 *
 * A password in the URL shows in `ps` and in shell history, so it can come
 * from two other places, in this order of precedence:
 *   1. --redis-password-file FILE (config key redis_password_file): the first
 *      line of FILE, without its line end;
 *   2. the URL's redis://USER:PASSWORD@HOST...;
 *   3. the REDISCLI_AUTH environment variable (as redis-cli reads it).
 * The password is never printed: errors name the file, not its content, and
 * URLs in messages have their credentials masked by the store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kz_secret.h"
#include "pipeline.h"

#define PASSWORD_MAX 255 /* as struct agg_redis_addr holds it */

/* The first line of path into pw (NUL-terminated).  0, or -1 with err. */
static int read_password_file(const char *path, char *pw, size_t size, char *err, size_t errlen)
{
    int rc = kz_secret_first_line(path, pw, size);

    if (rc == KZ_EIO)
        snprintf(err, errlen, "--redis-password-file %s: %s", path, strerror(errno));
    else if (rc == KZ_ERANGE)
        snprintf(err, errlen, "--redis-password-file %s: the password is longer than %d bytes",
                 path, PASSWORD_MAX);
    else if (rc)
        snprintf(err, errlen, "--redis-password-file %s: %s", path, kz_secret_why(rc));
    return rc ? -1 : 0;
}

int pipeline_redis_password(const struct kz_config *cfg, char *pw, size_t size, char *err,
                            size_t errlen)
{
    struct agg_redis_addr addr;
    int ret;

    pw[0] = '\0';
    if (cfg->redis_password_file)
        return read_password_file(cfg->redis_password_file, pw, size, err, errlen) ? KZ_EINVAL : 0;
    if ((ret = agg_redis_parse_url(cfg->redis ? cfg->redis : "redis://127.0.0.1:6379", &addr, err,
                                   errlen)))
        return ret;
    const char *env = getenv("REDISCLI_AUTH");
    if (!addr.password[0] && env && *env)
        snprintf(pw, size, "%s", env);
    memset(&addr, 0, sizeof addr);
    return 0;
}

int pipeline_redis_open(const struct kz_config *cfg, struct agg_store **out, char *err,
                        size_t errlen)
{
    struct agg_redis_config rc;
    struct agg_redis_addr addr;
    char pw[PASSWORD_MAX + 2];
    int ret;

    *out = NULL;
    agg_redis_config_default(&rc);
    if (cfg->redis)
        rc.url = cfg->redis;
    if (cfg->group)
        rc.group = cfg->group;
    rc.minute_ttl_s = cfg->minute_ttl_s; /* 0 = keep forever */
    rc.hour_ttl_s = cfg->hour_ttl_s;
    if ((ret = agg_redis_parse_url(rc.url, &addr, err, errlen)))
        return ret;
    if (cfg->redis_password_file) {
        if (read_password_file(cfg->redis_password_file, pw, sizeof pw, err, errlen))
            return KZ_EINVAL;
        rc.password = pw;
    } else if (!addr.password[0]) {
        const char *env = getenv("REDISCLI_AUTH");
        if (env && *env)
            rc.password = env;
    }
    ret = agg_store_redis_new(&rc, out, err, errlen);
    memset(pw, 0, sizeof pw);
    memset(&addr, 0, sizeof addr);
    return ret;
}

int pipeline_redis_addr(const struct kz_config *cfg, struct agg_redis_addr *addr, char *err,
                        size_t errlen)
{
    char pw[PASSWORD_MAX + 2];
    int ret =
        agg_redis_parse_url(cfg->redis ? cfg->redis : "redis://127.0.0.1:6379", addr, err, errlen);
    if (ret)
        return ret;
    if (cfg->redis_password_file) {
        if (read_password_file(cfg->redis_password_file, pw, sizeof pw, err, errlen))
            return KZ_EINVAL;
        size_t n = strlen(pw); /* at most PASSWORD_MAX, which the field holds */
        memcpy(addr->password, pw, n < sizeof(addr->password) ? n + 1 : 0);
        memset(pw, 0, sizeof pw);
    } else if (!addr->password[0]) {
        const char *env = getenv("REDISCLI_AUTH");
        if (env && *env && strlen(env) < sizeof(addr->password))
            memcpy(addr->password, env, strlen(env) + 1);
    }
    return 0;
}
