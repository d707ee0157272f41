/*
 * model_io.c -- the model file: nlp_model_save() and nlp_model_load().
 *
 * File format (little-endian), version 2 (version 1, whose byte 9 was
 * reserved and whose features differ, is refused as unsupported):
 *   "KZPM" u16 version, u8 kind, u8 hash_bits, u8 encoding (0 dense, 1
 *   sparse), u8 feature flags (bit 0: character n-grams; other bits must be
 *   0), u16 nlabels, f32 blend, u32 nentries,
 *   nlabels x (u8 len, bytes), nlabels x f32 bias,
 *   dense: 2^bits * nlabels x f32;  sparse: nentries x (u32 index, f32 value),
 *   indexes strictly increasing;  u32 crc32 (zlib) of every byte before it.
 * The smaller encoding is written.  Loading checks the magic, the version,
 * the length, the checksum, then every field, and names the first problem.
 * A loaded model holds its packed rows only (nlp_model_pack; a sparse file
 * is packed straight from its entries, without the dense table).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "model_int.h"

#define NLP_MODEL_MAGIC "KZPM"
#define NLP_MODEL_VERSION 2
#define NLP_MODEL_HEADER 20

static void put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_f32(unsigned char *p, float f)
{
    uint32_t v;

    memcpy(&v, &f, 4);
    put_u32(p, v);
}

static uint16_t get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static float get_f32(const unsigned char *p)
{
    uint32_t v = get_u32(p);
    float f;

    memcpy(&f, &v, 4);
    return f;
}

int nlp_model_save(const struct nlp_model *m, void **buf, size_t *len)
{
    size_t D = (size_t)1 << m->bits, K = m->nlabels, cells = D * K, nnz = 0, size, pos;
    unsigned char *p;
    int sparse;

    *buf = NULL;
    *len = 0;
    for (size_t i = 0; i < D; i++) {
        const float *row = nlp_model_row(m, (uint32_t)i);
        for (size_t k = 0; row && k < K; k++)
            nnz += row[k] != 0.0f;
    }
    sparse = nnz * 8 < cells * 4;
    size = NLP_MODEL_HEADER + 4 * m->nlabels + (sparse ? nnz * 8 : cells * 4) + 4;
    for (size_t k = 0; k < m->nlabels; k++)
        size += 1 + m->label_len[k];
    p = malloc(size);
    if (!p)
        return KZ_ENOMEM;
    memcpy(p, NLP_MODEL_MAGIC, 4);
    put_u16(p + 4, NLP_MODEL_VERSION);
    p[6] = (unsigned char)m->kind;
    p[7] = (unsigned char)m->bits;
    p[8] = (unsigned char)sparse;
    p[9] = (unsigned char)m->flags;
    put_u16(p + 10, (uint16_t)m->nlabels);
    put_f32(p + 12, m->blend);
    put_u32(p + 16, (uint32_t)(sparse ? nnz : cells));
    pos = NLP_MODEL_HEADER;
    for (size_t k = 0; k < m->nlabels; k++) {
        p[pos++] = (unsigned char)m->label_len[k];
        memcpy(p + pos, m->labels[k], m->label_len[k]);
        pos += m->label_len[k];
    }
    for (size_t k = 0; k < m->nlabels; k++, pos += 4)
        put_f32(p + pos, m->bias[k]);
    for (size_t i = 0; i < cells; i++) {
        const float *row = nlp_model_row(m, (uint32_t)(i / K));
        float w = row ? row[i % K] : 0.0f;
        if (sparse && w == 0.0f)
            continue;
        if (sparse) {
            put_u32(p + pos, (uint32_t)i);
            pos += 4;
        }
        put_f32(p + pos, w);
        pos += 4;
    }
    put_u32(p + pos, (uint32_t)crc32(0L, p, (uInt)pos));
    pos += 4;
    *buf = p;
    *len = pos;
    return 0;
}

/* The packed rows of a model straight from its validated sparse entries
 * (cell index, weight; indices increasing), without the dense table. */
static int pack_sparse(struct nlp_model *m, const unsigned char *e, size_t nent)
{
    size_t K = m->nlabels;
    uint64_t *map = calloc(((size_t)1 << m->bits) / 64, sizeof(*map));
    int rc;

    if (!map)
        return KZ_ENOMEM;
    for (size_t i = 0; i < nent; i++) {
        size_t r = get_u32(e + 8 * i) / K;
        map[r >> 6] |= 1ull << (r & 63);
    }
    if ((rc = nlp_model_set_map(m, map)))
        return rc;
    for (size_t i = 0; i < nent; i++) {
        size_t at = get_u32(e + 8 * i);
        float *row = (float *)nlp_model_row(m, (uint32_t)(at / K)); /* the model's own rows */
        row[at % K] = get_f32(e + 8 * i + 4);
    }
    free(m->w);
    m->w = NULL;
    return 0;
}

#define LOAD_FAIL(code, ...)                                                                       \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        rc = code;                                                                                 \
        goto fail;                                                                                 \
    } while (0)

int nlp_model_load(const void *buf, size_t len, struct nlp_model **out, char *err, size_t errlen)
{
    const unsigned char *p = buf;
    struct kz_str labels[NLP_MODEL_MAX_LABELS];
    struct nlp_model *m = NULL;
    size_t pos, nlabels, cells, nent, need;
    unsigned kind, bits, enc, flags;
    char dummy[1];
    float blend;
    int rc = 0;

    *out = NULL;
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    if (len < 4 || memcmp(p, NLP_MODEL_MAGIC, 4))
        LOAD_FAIL(KZ_EDECODE, "not a kzpulse model (no \"KZPM\" magic at the start)");
    if (len < 6)
        LOAD_FAIL(KZ_EDECODE, "truncated model: %zu bytes, the header alone needs %d", len,
                  NLP_MODEL_HEADER + 4);
    if (get_u16(p + 4) != NLP_MODEL_VERSION)
        LOAD_FAIL(KZ_EUNSUPPORTED, "model file version %u, this kzpulse reads version %d",
                  get_u16(p + 4), NLP_MODEL_VERSION);
    if (len < NLP_MODEL_HEADER + 4)
        LOAD_FAIL(KZ_EDECODE, "truncated model: %zu bytes, the header alone needs %d", len,
                  NLP_MODEL_HEADER + 4);
    kind = p[6];
    bits = p[7];
    enc = p[8];
    flags = p[9];
    nlabels = get_u16(p + 10);
    blend = get_f32(p + 12);
    nent = get_u32(p + 16);
    if (kind < NLP_MODEL_STANCE || kind > NLP_MODEL_MOBILIZATION)
        LOAD_FAIL(KZ_EDECODE, "model kind %u is not stance (1), topics (2) or mobilization (3)",
                  kind);
    if (bits < NLP_MODEL_MIN_BITS || bits > NLP_MODEL_MAX_BITS)
        LOAD_FAIL(KZ_EDECODE, "hash bits %u outside %d-%d", bits, NLP_MODEL_MIN_BITS,
                  NLP_MODEL_MAX_BITS);
    if (enc > 1 || (flags & ~NLP_MODEL_F_ALL))
        LOAD_FAIL(KZ_EDECODE, "unknown weight encoding %u (0 dense, 1 sparse) or feature flags %u",
                  enc, flags);
    if (!nlabels || nlabels > NLP_MODEL_MAX_LABELS || (kind == NLP_MODEL_STANCE && nlabels != 3) ||
        (kind == NLP_MODEL_MOBILIZATION && nlabels != 1))
        LOAD_FAIL(KZ_EDECODE, "%zu labels for a %s model", nlabels,
                  nlp_model_kind_name((enum nlp_model_kind)kind));
    if (!(blend >= 0.0f && blend <= 1.0f))
        LOAD_FAIL(KZ_EDECODE, "blend weight is not in [0, 1]");
    cells = ((size_t)1 << bits) * nlabels;
    if (cells > NLP_MODEL_MAX_CELLS)
        LOAD_FAIL(KZ_ERANGE, "2^%u buckets x %zu labels is too large", bits, nlabels);
    if (enc == 0 && nent != cells)
        LOAD_FAIL(KZ_EDECODE, "dense model with %zu weights, expected %zu", nent, cells);
    if (enc == 1 && nent > cells)
        LOAD_FAIL(KZ_EDECODE, "sparse model with %zu entries for %zu weights", nent, cells);
    /* the checksum covers everything before it; verify before reading further */
    if (get_u32(p + len - 4) != (uint32_t)crc32(0L, p, (uInt)(len - 4)))
        LOAD_FAIL(KZ_EDECODE,
                  "checksum mismatch: the model file is truncated or corrupt "
                  "(%zu bytes)",
                  len);
    pos = NLP_MODEL_HEADER;
    for (size_t k = 0; k < nlabels; k++) {
        size_t l;
        if (pos + 1 > len - 4)
            LOAD_FAIL(KZ_EDECODE, "truncated in label %zu", k + 1);
        l = p[pos++];
        if (!l || pos + l > len - 4)
            LOAD_FAIL(KZ_EDECODE, "label %zu: %s", k + 1, l ? "truncated" : "empty name");
        labels[k] = kz_str_make((const char *)p + pos, l);
        for (size_t i = 0; i < l; i++)
            if (!((p[pos + i] >= 'a' && p[pos + i] <= 'z') ||
                  (p[pos + i] >= '0' && p[pos + i] <= '9') || p[pos + i] == '_'))
                LOAD_FAIL(KZ_EDECODE, "label %zu: not an ASCII snake_case name", k + 1);
        for (size_t q = 0; q < k; q++)
            if (labels[q].n == l && !memcmp(labels[q].p, labels[k].p, l))
                LOAD_FAIL(KZ_EDECODE, "label %zu duplicates label %zu", k + 1, q + 1);
        if (kind == NLP_MODEL_STANCE && (l != strlen(nlp_model_stance_labels[k]) ||
                                         memcmp(p + pos, nlp_model_stance_labels[k], l)))
            LOAD_FAIL(KZ_EDECODE, "stance label %zu is \"%.*s\", expected \"%s\"", k + 1, (int)l,
                      (const char *)p + pos, nlp_model_stance_labels[k]);
        pos += l;
    }
    need = pos + 4 * nlabels + (enc ? 8 * nent : 4 * nent) + 4;
    if (need != len)
        LOAD_FAIL(KZ_EDECODE, "model is %zu bytes, its header describes %zu", len, need);
    if ((rc = nlp_model_alloc((enum nlp_model_kind)kind, bits, flags, labels, nlabels, &m)))
        LOAD_FAIL(rc, "loading model: %s", kz_strerror(rc));
    m->blend = blend;
    for (size_t k = 0; k < nlabels; k++, pos += 4)
        if (!isfinite(m->bias[k] = get_f32(p + pos)))
            LOAD_FAIL(KZ_EDECODE, "bias %zu is not a finite number", k + 1);
    /* validate every entry first: index order and range, finite weights */
    for (size_t i = 0, q = pos; i < nent; i++) {
        size_t at = i;
        if (enc) {
            at = get_u32(p + q);
            q += 4;
            if (at >= cells || (i && at <= get_u32(p + q - 12)))
                LOAD_FAIL(KZ_EDECODE, "sparse entry %zu: index %zu out of order or range", i + 1,
                          at);
        }
        if (!isfinite(get_f32(p + q)))
            LOAD_FAIL(KZ_EDECODE, "weight %zu is not a finite number", i + 1);
        q += 4;
    }
    /* classification reads the packed rows only */
    if (enc)
        rc = pack_sparse(m, p + pos, nent);
    else {
        for (size_t i = 0; i < nent; i++, pos += 4)
            m->w[i] = get_f32(p + pos);
        rc = nlp_model_pack(m, 1);
    }
    if (rc)
        LOAD_FAIL(rc, "loading model: %s", kz_strerror(rc));
    *out = m;
    return 0;
fail:
    nlp_model_free(m);
    return rc;
}
