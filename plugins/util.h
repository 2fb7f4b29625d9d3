/*
 * util.h: the few containers the example plugins need, so that they build against plugin.h
 * alone, without glib. Header-only (static functions); each plugin is still one .c file built
 * with one command. Nothing here calls the emulator.
 *
 * Allocation failure is treated as fatal (abort), as glib does.
 */

#ifndef QEMU_PY_PLUGINS_UTIL_H
#define QEMU_PY_PLUGINS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

static inline void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

static inline char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return (char *)memcpy(xrealloc(NULL, n), s, n);
}

/* ---- A growable string, printf-appended (reports are built whole, then given to outs) ---- */

typedef struct {
    char *str;      /* always NUL-terminated once anything was added */
    size_t len;
    size_t cap;
} StrBuf;

static inline void sb_reserve(StrBuf *sb, size_t extra)
{
    if (sb->len + extra + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + extra + 1) {
            cap *= 2;
        }
        sb->str = (char *)xrealloc(sb->str, cap);
        sb->cap = cap;
    }
}

static inline void sb_clear(StrBuf *sb)
{
    sb_reserve(sb, 0);
    sb->len = 0;
    sb->str[0] = '\0';
}

static inline void sb_append(StrBuf *sb, const char *s)
{
    size_t n = strlen(s);
    sb_reserve(sb, n);
    memcpy(sb->str + sb->len, s, n + 1);
    sb->len += n;
}

__attribute__((format(printf, 2, 3)))
static inline void sb_printf(StrBuf *sb, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    sb_reserve(sb, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(sb->str + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

/* The text so far, "" if nothing was added. */
static inline const char *sb_str(StrBuf *sb)
{
    return sb->str ? sb->str : "";
}

static inline void sb_free(StrBuf *sb)
{
    free(sb->str);
    sb->str = NULL;
    sb->len = sb->cap = 0;
}

/* ---- A hash map from a pair of 64-bit keys to a pointer (open addressing) ---------------- */

typedef struct {
    uint64_t k1, k2;
    void *value;        /* NULL marks an empty slot: values must not be NULL */
} MapSlot;

typedef struct {
    MapSlot *slots;
    size_t cap;         /* a power of two, or 0 before first insert */
    size_t count;
} Map;

static inline size_t map_hash(uint64_t k1, uint64_t k2)
{
    uint64_t h = k1 * 0x9e3779b97f4a7c15ull ^ (k2 + 0x632be59bd9b4e019ull) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
    return (size_t)h;
}

static inline void *map_get(const Map *m, uint64_t k1, uint64_t k2)
{
    if (!m->cap) {
        return NULL;
    }
    for (size_t i = map_hash(k1, k2) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        MapSlot *s = &m->slots[i];
        if (!s->value) {
            return NULL;
        }
        if (s->k1 == k1 && s->k2 == k2) {
            return s->value;
        }
    }
}

static inline void map_put_new(Map *m, uint64_t k1, uint64_t k2, void *value);

static inline void map_grow(Map *m)
{
    Map bigger = { (MapSlot *)xcalloc(m->cap ? m->cap * 2 : 64, sizeof(MapSlot)),
                   m->cap ? m->cap * 2 : 64, 0 };
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].value) {
            map_put_new(&bigger, m->slots[i].k1, m->slots[i].k2, m->slots[i].value);
        }
    }
    free(m->slots);
    *m = bigger;
}

/* Insert a key known to be absent. */
static inline void map_put_new(Map *m, uint64_t k1, uint64_t k2, void *value)
{
    if ((m->count + 1) * 4 > m->cap * 3) {
        map_grow(m);
    }
    size_t i = map_hash(k1, k2) & (m->cap - 1);
    while (m->slots[i].value) {
        i = (i + 1) & (m->cap - 1);
    }
    m->slots[i].k1 = k1;
    m->slots[i].k2 = k2;
    m->slots[i].value = value;
    m->count++;
}

/* The values, in no particular order, as a new array of m->count pointers (caller frees). */
static inline void **map_values(const Map *m)
{
    void **out = (void **)xcalloc(m->count, sizeof(void *));
    size_t n = 0;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].value) {
            out[n++] = m->slots[i].value;
        }
    }
    return out;
}

/* ---- Arguments: "key=value" strings --------------------------------------------------------- */

/* True if opt's key (the text before the first '=') is key; *val then points after the '=',
 * or is NULL when opt has no '='. */
static inline bool arg_key_is(const char *opt, const char *key, const char **val)
{
    const char *eq = strchr(opt, '=');
    size_t n = eq ? (size_t)(eq - opt) : strlen(opt);
    if (strlen(key) != n || strncmp(opt, key, n) != 0) {
        return false;
    }
    *val = eq ? eq + 1 : NULL;
    return true;
}

/* Parses a boolean argument; on failure prints the usual message and returns false. */
static inline bool arg_bool(const char *opt, const char *key, const char *val, bool *out)
{
    if (!qemu_plugin_bool_parse(key, val, out)) {
        fprintf(stderr, "boolean argument parsing failed: %s\n", opt);
        return false;
    }
    return true;
}

static inline int arg_unknown(const char *opt)
{
    fprintf(stderr, "option parsing failed: %s\n", opt);
    return -1;
}

#endif /* QEMU_PY_PLUGINS_UTIL_H */
