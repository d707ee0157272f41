/*
 * tokenize.c -- one pass over a post: social tokens first, ICU for the rest.
 *
 * The scanner walks the bytes once.  At each position that can start a social
 * token (a '#', '@', digit or ASCII letter at a word boundary, or the lead byte
 * of an emoji) it asks social.c; when a matcher claims a span, the text
 * between the previous claim and this one (the "gap") goes through the
 * analyzer's single ICU word BreakIterator, then the social token is emitted.
 * Tokens therefore come out in text order, and every span is a byte range of
 * the caller's text.
 *
 * The ICU iterator and its UText are created once per analyzer; per gap we
 * only re-point them (utext_openUTF8 on the existing UText, which allocates
 * nothing, then ubrk_setUText).  UTF-8 UText native indexes are byte offsets,
 * so spans need no conversion.  On top of ICU's word segments we join, on
 * purpose: hyphenated compounds ("көп-көп", "Z-патриоты", "из-за"), words cut
 * by zero-width characters ("ми\u200bтинг"), and a trailing apostrophe after a
 * Latin letter (Kazakh 2017 "s'", "a'"); we split at '.' and ':' between
 * letters, which ICU keeps inside words ("алаңға.Ертең" typed without a space).
 */
#include <stdio.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/utext.h>
#include <utf8proc.h>

#include "nlp_int.h"

/* -- emitting tokens -------------------------------------------------------- */

static bool all_numeric(const char *p, size_t n)
{
    bool d = false;

    for (size_t i = 0; i < n; i++) {
        if (p[i] >= '0' && p[i] <= '9')
            d = true;
        else if (p[i] != '.' && p[i] != ',')
            return false;
    }
    return d;
}

static int emit_word(struct nlp_analyzer *a, const char *s, size_t st, size_t en, uint8_t flags)
{
    struct nlp_token t;
    int rc;

    memset(&t, 0, sizeof(t));
    t.flags = flags;
    rc = nlp_normalize_word(a, s + st, en - st, &t.norm, &t.script, &t.flags);
    if (rc)
        return rc;
    if (t.norm.n == 0)
        return 0; /* only ignorable characters */
    t.surface = kz_str_make(s + st, en - st);
    t.stem = t.norm;
    t.start = (uint32_t)st;
    t.end = (uint32_t)en;
    t.kind = all_numeric(t.norm.p, t.norm.n) ? NLP_TOK_NUMBER : NLP_TOK_WORD;
    return nlp_push_token(a, &t);
}

/* Lower-case the scheme and host of a URL; the path keeps its case. */
static int url_norm(struct nlp_analyzer *a, const char *p, size_t n, struct kz_str *out)
{
    char *o = nlp_arena_alloc(&a->arena, n + 1);
    size_t i = 0, slashes = 0;
    bool host = true;

    if (!o)
        return KZ_ENOMEM;
    for (; i < n; i++) {
        char c = p[i];
        if (c == '/' && ++slashes >= 3 - (memchr(p, ':', n) ? 0 : 2))
            host = false;
        o[i] = (char)(host && c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    o[n] = '\0';
    *out = kz_str_make(o, n);
    return 0;
}

/* A hashtag's words: split at '_', lower->Upper, "USAToday" and letter/digit changes. */
static int hashtag_parts(struct nlp_analyzer *a, const char *s, size_t st, size_t en)
{
    size_t i = st + 1, ps = i;
    int prev = 0; /* 0 start, 'l' lower, 'u' upper, 'd' digit, 'o' other letter */
    size_t prev_pos = i;
    int rc;

    while (i < en) {
        size_t k = i;
        int32_t cp = nlp_utf8_get(s, en, &k);
        int cls;

        if (cp == '_') {
            if (i > ps && (rc = emit_word(a, s, ps, i, NLP_TOKF_HASHTAG_PART)))
                return rc;
            ps = k;
            prev = 0;
            i = k;
            continue;
        }
        if (cp >= '0' && cp <= '9')
            cls = 'd';
        else if (utf8proc_isupper(cp))
            cls = 'u';
        else if (utf8proc_islower(cp))
            cls = 'l';
        else
            cls = 'o';
        if (prev && i > ps) {
            size_t cut = 0;
            if ((prev == 'l' || prev == 'o') && cls == 'u')
                cut = i;
            else if ((prev == 'd') != (cls == 'd'))
                cut = i;
            else if (prev == 'u' && cls == 'l' && prev_pos > ps)
                cut = prev_pos; /* "USAToday": the cut is before "T" */
            if (cut) {
                if ((rc = emit_word(a, s, ps, cut, NLP_TOKF_HASHTAG_PART)))
                    return rc;
                ps = cut;
            }
        }
        prev = cls;
        prev_pos = i;
        i = k;
    }
    if (en > ps)
        return emit_word(a, s, ps, en, NLP_TOKF_HASHTAG_PART);
    return 0;
}

static int emit_social(struct nlp_analyzer *a, const char *s, const struct nlp_match *m)
{
    struct nlp_token t;
    int rc = 0;

    memset(&t, 0, sizeof(t));
    t.surface = kz_str_make(s + m->start, m->end - m->start);
    t.start = (uint32_t)m->start;
    t.end = (uint32_t)m->end;
    t.kind = (uint8_t)m->kind;
    switch (m->kind) {
    case NLP_TOK_URL:
        rc = url_norm(a, t.surface.p, t.surface.n, &t.norm);
        t.stem = t.norm;
        break;
    case NLP_TOK_HASHTAG:
    case NLP_TOK_MENTION:
        rc = nlp_normalize_word(a, t.surface.p, t.surface.n, &t.norm, &t.script, &t.flags);
        t.stem = t.norm;
        break;
    case NLP_TOK_EMOJI:
        rc = nlp_normalize_emoji(a, t.surface.p, t.surface.n, &t.norm, &t.stem);
        break;
    default: {
        char *p = nlp_arena_strdup(&a->arena, m->norm, m->normlen);
        if (!p)
            return KZ_ENOMEM;
        t.norm = t.stem = kz_str_make(p, m->normlen);
        break;
    }
    }
    if (rc)
        return rc;
    rc = nlp_push_token(a, &t);
    if (rc == 0 && m->kind == NLP_TOK_HASHTAG)
        rc = hashtag_parts(a, s, m->start, m->end);
    return rc;
}

/* -- ICU segments ----------------------------------------------------------- */

static bool is_zero_width(int32_t cp)
{
    return cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0x2060 || cp == 0xFEFF ||
           cp == 0x00AD;
}

enum { JOIN_NONE, JOIN_HYPHEN, JOIN_ZW, JOIN_APOS };

static int joiner_type(const char *p, size_t n)
{
    size_t i = 0;
    int32_t cp = nlp_utf8_get(p, n, &i);

    if (i == n && (cp == '-' || cp == 0x2010 || cp == 0x2011))
        return JOIN_HYPHEN;
    if (i == n && (cp == '\'' || cp == 0x2019 || cp == 0x02BC))
        return JOIN_APOS;
    i = 0;
    while (i < n)
        if (!is_zero_width(nlp_utf8_get(p, n, &i)))
            return JOIN_NONE;
    return JOIN_ZW;
}

static bool is_letter_cp(int32_t cp)
{
    return nlp_is_word_cp(cp) && !(cp >= '0' && cp <= '9') && cp != '_';
}

/* Count letters in [st, en) up to a small limit. */
static size_t letters_in(const char *s, size_t st, size_t en)
{
    size_t i = st, c = 0;

    while (i < en && c < 3)
        if (is_letter_cp(nlp_utf8_get(s, en, &i)))
            c++;
    return c;
}

/*
 * Emit an ICU word, split at '.'/':' between letters where ICU kept them.
 * ICU's rules count "@" as a letter (for e-mail-like strings); a stray one
 * at either end of a word is dropped, and a "word" of only '_' or '@' is none.
 */
static int finish_word(struct nlp_analyzer *a, const char *s, size_t st, size_t en)
{
    size_t i, ps;
    bool alnum = false;
    int rc;

    while (st < en && s[st] == '@')
        st++;
    while (en > st && s[en - 1] == '@')
        en--;
    for (i = st; i < en && !alnum; i++)
        alnum = s[i] != '_' && s[i] != '@';
    if (!alnum)
        return 0;
    i = ps = st;

    while (i < en) {
        char c = s[i];
        if ((c == '.' || c == ':') && i > ps && i + 1 < en) {
            size_t k = i + 1;
            int32_t nx = nlp_utf8_get(s, en, &k);
            int32_t pv = nlp_utf8_prev(s, i);
            bool split = is_letter_cp(nx) && is_letter_cp(pv) &&
                         (c == ':' || (letters_in(s, ps, i) >= 2 && letters_in(s, i + 1, en) >= 2));
            if (split) {
                if ((rc = emit_word(a, s, ps, i, 0)))
                    return rc;
                ps = i + 1;
            }
        }
        i++;
    }
    return emit_word(a, s, ps, en, 0);
}

static bool latin_apos_letter(int32_t cp)
{
    cp |= 0x20;
    return cp == 'a' || cp == 'c' || cp == 'g' || cp == 'i' || cp == 'n' || cp == 'o' ||
           cp == 's' || cp == 'u' || cp == 'y';
}

/*
 * Words of the gap [gs, ge) between social tokens.  The analyzer's one
 * iterator is re-pointed at the gap (utext_openUTF8 into the existing UText
 * allocates nothing; ubrk_setUText resets the iterator).  Running it once
 * over the whole post and clipping segments to gaps was measured slower:
 * it walks the social tokens too, and ICU's UTF-8 access cost dominates.
 */
static int icu_gap(struct nlp_analyzer *a, const char *s, size_t gs, size_t ge)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t prev, cur;
    size_t ws = 0, we = 0, je = 0;
    bool word = false;
    int join = JOIN_NONE, rc;

    /* A gap of ASCII spaces and punctuation has no words: skip ICU. */
    {
        size_t i = gs;
        while (i < ge && (unsigned char)s[i] < 0x80 && !nlp_is_word_cp(s[i]))
            i++;
        if (i == ge)
            return 0;
    }
    if (ge - gs > INT32_MAX)
        return KZ_ERANGE;
    utext_openUTF8(a->ut, s + gs, (int64_t)(ge - gs), &st);
    ubrk_setUText(a->brk, a->ut, &st);
    if (U_FAILURE(st))
        return KZ_EINVAL;
    prev = ubrk_first(a->brk);
    while ((cur = ubrk_next(a->brk)) != UBRK_DONE) {
        size_t p = gs + (size_t)prev, c = gs + (size_t)cur;
        bool is_word = ubrk_getRuleStatus(a->brk) >= UBRK_WORD_NONE_LIMIT;

        prev = cur;
        if (is_word) {
            if (word && join != JOIN_NONE && je == p) {
                we = c; /* hyphen, apostrophe or zero-width run between words */
                join = JOIN_NONE;
                continue;
            }
            if (word && (rc = finish_word(a, s, ws, we)))
                return rc;
            word = true;
            ws = p;
            we = c;
            join = JOIN_NONE;
        } else if (word && join == JOIN_NONE && we == p &&
                   (join = joiner_type(s + p, c - p)) != JOIN_NONE) {
            je = c; /* wait for the next segment */
        } else {
            if (word) {
                if (join == JOIN_APOS && latin_apos_letter(nlp_utf8_prev(s, we)))
                    we = je;
                if ((rc = finish_word(a, s, ws, we)))
                    return rc;
                word = false;
            }
            join = JOIN_NONE;
        }
    }
    if (word) {
        if (join == JOIN_APOS && latin_apos_letter(nlp_utf8_prev(s, we)))
            we = je;
        return finish_word(a, s, ws, we);
    }
    return 0;
}

/* -- the scanner ------------------------------------------------------------ */

int nlp_tokenize(struct nlp_analyzer *a, const char *s, size_t n)
{
    size_t i = 0, gap = 0;
    struct nlp_match m;
    int rc;


    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        bool try;

        if (c < 0x80) {
            bool alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
            try = c == '#' || c == '@' || c == '*' || alnum;
            if (alnum && i > 0 && (unsigned char)s[i - 1] < 0x80 &&
                (nlp_is_word_cp((unsigned char)s[i - 1])))
                try = false;
        } else {
            try = c == 0xC2 || c == 0xE2 || c == 0xE3 || c == 0xF0;
        }
        if (try && nlp_social_match(s, n, i, gap, &m)) {
            if (m.start > gap && (rc = icu_gap(a, s, gap, m.start)))
                return rc;
            if ((rc = emit_social(a, s, &m)))
                return rc;
            i = gap = m.end;
            continue;
        }
        if (c < 0x80) {
            i++;
            /* The rest of an ASCII word cannot start a social token. */
            if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
                while (i < n && (unsigned char)s[i] < 0x80 && nlp_is_word_cp((unsigned char)s[i]))
                    i++;
        } else if (c >= 0xC3 && c <= 0xDF && i + 1 < n &&
                   ((unsigned char)s[i + 1] & 0xC0) == 0x80) {
            i += 2; /* Cyrillic and other two-byte letters never start a social token */
        } else {
            nlp_utf8_get(s, n, &i);
        }
    }
    if (n > gap)
        return icu_gap(a, s, gap, n);
    return 0;
}

/* -- lifetime --------------------------------------------------------------- */

int nlp_tokenizer_init(struct nlp_analyzer *a, char *err, size_t errlen)
{
    UErrorCode st = U_ZERO_ERROR;

    a->ut = utext_openUTF8(NULL, "", 0, &st);
    if (U_FAILURE(st)) {
        snprintf(err, errlen, "nlp: utext_openUTF8: %s", u_errorName(st));
        return KZ_ENOMEM;
    }
    a->brk = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
    if (U_FAILURE(st)) {
        snprintf(err, errlen, "nlp: ubrk_open(UBRK_WORD): %s", u_errorName(st));
        return st == U_MEMORY_ALLOCATION_ERROR ? KZ_ENOMEM : KZ_EINVAL;
    }
    return 0;
}

void nlp_tokenizer_fini(struct nlp_analyzer *a)
{
    if (a->brk)
        ubrk_close(a->brk);
    if (a->ut)
        utext_close(a->ut);
    a->brk = NULL;
    a->ut = NULL;
}
