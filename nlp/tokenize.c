/*
 * tokenize.c -- one pass over a post: social tokens first, ICU for the rest.
 *
 * The scanner walks the bytes once.  At each position that can start a social
 * token (a '#', '@', '$', digit or ASCII letter at a word boundary, the lead
 * byte of an emoji or of a full-width ＃ ＠, or a word of two-byte letters
 * followed by '.' and a letter, which may be an IDN host) it asks social.c;
 * when a matcher claims a span, the text between the previous claim and this
 * one (the "gap") goes through the analyzer's single ICU word BreakIterator,
 * then the social token is emitted.
 * Tokens therefore come out in text order, and every span is a byte range of
 * the caller's text.
 *
 * Most gaps never reach ICU: when every character of a gap is plain Latin,
 * Cyrillic, a digit, a space or common punctuation, a small implementation of
 * the word-break rules that can apply there cuts it exactly where ICU would
 * (see "The fast segmenter" below); ICU takes the other gaps.
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

/* A hashtag's words: split at '_', lower->Upper, "USAToday" and letter/digit changes.
 * The sigil is '#' or the full-width '＃' (3 bytes). */
static int hashtag_parts(struct nlp_analyzer *a, const char *s, size_t st, size_t en)
{
    size_t i = st + (s[st] == '#' ? 1 : 3), ps = i;
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
        rc = nlp_normalize_tag(a, t.surface.p, t.surface.n, &t.norm, &t.script);
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
static int finish_word(struct nlp_analyzer *a, const char *s, size_t st, size_t en, bool dots)
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
    if (!dots)
        return emit_word(a, s, st, en, 0); /* the segmenter saw no '.' or ':' inside */
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
 * The fast segmenter.  Most gaps hold only ASCII, Cyrillic and Latin letters,
 * digits, spaces and common punctuation; for those, the Unicode word-break
 * rules (UAX #29) that can apply reduce to a few, which we run directly over
 * the bytes instead of going through ICU's UText (about 40% of the stage's
 * instructions before).  Any character outside the classes below sends the
 * whole gap to ICU, so scripts with dictionaries (CJK, Thai), combining
 * marks, format characters, '@' (a letter in ICU's tailoring) and '_'
 * (ExtendNumLet) keep ICU's exact behaviour.  For the classes here the
 * segments and their word/non-word status equal ICU's: test_nlp_tokenize
 * compares the two on random strings of these classes and on its cases.
 *
 * Rules used (UAX #29 numbering; no Extend/Format can occur, so WB4 is moot):
 *   WB3   CR x LF; WB3a/b break around CR, LF and Newline;
 *   WB3d  WSegSpace x WSegSpace;
 *   WB5, WB8-10  letters and digits in any order stay together;
 *   WB6/7  letter (MidNumLet | ') letter stays together (ICU's root rules
 *          take ':' out of MidLetter, and the other MidLetters are not here);
 *   WB11/12  digit (MidNum | MidNumLet | ') digit stays together;
 *   WB999  otherwise break.  A segment is a word iff it has a letter or digit.
 */
enum {
    FC_BAD = 0, /* outside the fast classes: ICU decides */
    FC_AL,      /* ALetter: ASCII, Latin-1/Extended/IPA and Cyrillic letters */
    FC_NU,      /* Numeric: ASCII digits */
    FC_MNL,     /* MidNumLet: '.', U+2018, U+2019 */
    FC_SQ,      /* Single_Quote: '\'' */
    FC_MN,      /* MidNum: ',' ';' */
    FC_WS,      /* WSegSpace: ' ' */
    FC_CR,
    FC_LF,
    FC_NL, /* Newline: VT, FF */
    FC_OT, /* Other: the rest of ASCII punctuation (':' too) and controls, « » – — “ ” „ … № NBSP */
};

/* clang-format off */
static const uint8_t fc_ascii[128] = {
    /* controls 0x00-0x0F: Other, but LF, VT and FF (Newline), CR at 0x0A-0x0D */
    FC_OT, FC_OT, FC_OT, FC_OT, FC_OT, FC_OT, FC_OT, FC_OT,
    FC_OT, FC_OT, FC_LF, FC_NL, FC_NL, FC_CR, FC_OT, FC_OT,
    /* controls 0x10-0x1F */
    FC_OT, FC_OT, FC_OT, FC_OT, FC_OT, FC_OT, FC_OT, FC_OT,
    FC_OT, FC_OT, FC_OT, FC_OT, FC_OT, FC_OT, FC_OT, FC_OT,
    /* ' ' ! " # $ % & ' ( ) * + , - . / */
    FC_WS, FC_OT, FC_OT, FC_OT, FC_OT, FC_OT, FC_OT, FC_SQ,
    FC_OT, FC_OT, FC_OT, FC_OT, FC_MN, FC_OT, FC_MNL, FC_OT,
    /* 0-9 : ; < = > ? */
    FC_NU, FC_NU, FC_NU, FC_NU, FC_NU, FC_NU, FC_NU, FC_NU,
    FC_NU, FC_NU, FC_OT, FC_MN, FC_OT, FC_OT, FC_OT, FC_OT,
    /* @ A-O */
    FC_BAD, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL,
    FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL,
    /* P-Z [ \ ] ^ _ */
    FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL,
    FC_AL, FC_AL, FC_AL, FC_OT, FC_OT, FC_OT, FC_OT, FC_BAD,
    /* ` a-o */
    FC_OT, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL,
    FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL,
    /* p-z { | } ~ DEL */
    FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL, FC_AL,
    FC_AL, FC_AL, FC_AL, FC_OT, FC_OT, FC_OT, FC_OT, FC_OT,
};
/* clang-format on */

/* Class of the character at s[i] (i < n) and its byte length in *len. */
static inline int fast_class(const unsigned char *s, size_t i, size_t n, size_t *len)
{
    unsigned c = s[i];

    *len = 1;
    if (c < 0x80)
        return fc_ascii[c];
    if (c >= 0xC2 && c <= 0xDF) {
        unsigned cp;
        if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
            return FC_BAD;
        *len = 2;
        cp = ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
        if (cp >= 0x400 && cp <= 0x52F)
            return cp >= 0x483 && cp <= 0x489 ? FC_BAD : FC_AL;
        if ((cp >= 0xC0 && cp <= 0x2AF && cp != 0xD7 && cp != 0xF7))
            return FC_AL;
        if (cp == 0xA0 || cp == 0xAB || cp == 0xBB)
            return FC_OT;
        return FC_BAD;
    }
    if (c == 0xE2 && i + 2 < n) {
        unsigned c1 = s[i + 1], c2 = s[i + 2];
        *len = 3;
        if (c1 == 0x80) {
            switch (c2) {
            case 0x93:
            case 0x94:
            case 0x9C:
            case 0x9D:
            case 0x9E:
            case 0xA6:
                return FC_OT; /* – — “ ” „ … */
            case 0x98:
            case 0x99:
                return FC_MNL; /* ‘ ’ */
            default:
                return FC_BAD;
            }
        }
        if (c1 == 0x84 && c2 == 0x96)
            return FC_OT; /* № */
    }
    return FC_BAD;
}

enum { GAP_EMPTY, GAP_FAST, GAP_ICU };

/*
 * What a gap needs: GAP_EMPTY when it is only ASCII and holds no letter,
 * digit or '_' (no word can come of it, whoever segments it), GAP_FAST when
 * every character is in a fast class, else GAP_ICU.
 */
static int gap_kind(const char *s, size_t gs, size_t ge)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = gs, len;
    bool wordish = false, bad = false;

    while (i < ge) {
        unsigned c = u[i];
        if (c < 0x80) {
            int k = fc_ascii[c];
            wordish |= k == FC_AL || k == FC_NU || c == '_';
            bad |= k == FC_BAD;
            i++;
            continue;
        }
        wordish = true;
        if (c >= 0xD0 && c <= 0xD1 && i + 1 < ge && (u[i + 1] & 0xC0) == 0x80) {
            i += 2; /* U+0400..U+047F: always letters */
            continue;
        }
        if (fast_class(u, i, ge, &len) == FC_BAD)
            return GAP_ICU;
        i += len;
    }
    return !wordish ? GAP_EMPTY : bad ? GAP_ICU : GAP_FAST;
}

/*
 * The segment of a fast gap that starts at i (< ge): its end, whether it is a
 * word, and whether a '.' lies inside it (finish_word's splits).  *bad is set
 * when it starts with a character of no fast class: the gap is not a fast one
 * after all (a word only ever takes letters, digits and joiners, so every
 * other character starts a segment of its own and is seen here).
 */
static size_t fast_segment(const char *s, size_t i, size_t ge, bool *is_word, bool *dots, bool *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len, len2, len3;
    int c = fast_class(u, i, ge, &len), last;

    *is_word = *dots = false;
    switch (c) {
    case FC_CR:
        return i + 1 < ge && u[i + 1] == '\n' ? i + 2 : i + 1;
    case FC_WS:
        i++;
        while (i < ge && u[i] == ' ')
            i++;
        return i;
    case FC_AL:
    case FC_NU:
        break;
    case FC_BAD:
        *bad = true;
        return i + len;
    default:
        return i + len;
    }
    *is_word = true;
    last = c;
    i += len;
    while (i < ge) {
        unsigned b = u[i];
        int c2;

        if (b < 0x80) {
            c2 = fc_ascii[b];
            len2 = 1;
        } else if (b >= 0xD0 && b <= 0xD1 && i + 1 < ge && (u[i + 1] & 0xC0) == 0x80) {
            c2 = FC_AL; /* U+0400..U+047F: always letters */
            len2 = 2;
        } else {
            c2 = fast_class(u, i, ge, &len2);
        }
        if (c2 == FC_AL || c2 == FC_NU) {
            last = c2;
            i += len2;
            continue;
        }
        if (i + len2 < ge) {
            int c3 = fast_class(u, i + len2, ge, &len3);
            if (last == FC_AL && c3 == FC_AL && (c2 == FC_MNL || c2 == FC_SQ)) {
                *dots |= b == '.';
                i += len2 + len3; /* WB6/7 */
                continue;
            }
            if (last == FC_NU && c3 == FC_NU && (c2 == FC_MN || c2 == FC_MNL || c2 == FC_SQ)) {
                *dots |= b == '.';
                i += len2 + len3; /* WB11/12 */
                continue;
            }
        }
        break;
    }
    return i;
}

/*
 * Segments of a gap, from the fast segmenter or from ICU.  The analyzer's
 * one ICU iterator is re-pointed at the gap (utext_openUTF8 into the
 * existing UText allocates nothing; ubrk_setUText resets the iterator).
 */
struct gapseg {
    const char *s;
    size_t gs, ge, pos;
    bool icu;
    bool bad; /* the fast segmenter met a character it does not know */
};

static int seg_open(struct nlp_analyzer *a, struct gapseg *g, const char *s, size_t gs, size_t ge,
                    bool icu)
{
    g->s = s;
    g->gs = g->pos = gs;
    g->ge = ge;
    g->icu = icu;
    g->bad = false;
    if (g->icu) {
        UErrorCode st = U_ZERO_ERROR;
        if (ge - gs > INT32_MAX)
            return KZ_ERANGE;
        utext_openUTF8(a->ut, s + gs, (int64_t)(ge - gs), &st);
        ubrk_setUText(a->brk, a->ut, &st);
        if (U_FAILURE(st))
            return KZ_EINVAL;
        (void)ubrk_first(a->brk);
    }
    return 0;
}

/* The next segment [*p, *c), whether it is a word and may hold a '.' or ':'
 * (ICU's: always may); false at the end. */
static bool seg_next(struct nlp_analyzer *a, struct gapseg *g, size_t *p, size_t *c, bool *is_word,
                     bool *dots)
{
    if (g->pos >= g->ge)
        return false;
    *p = g->pos;
    if (g->icu) {
        int32_t cur = ubrk_next(a->brk);
        if (cur == UBRK_DONE)
            return false;
        *c = g->gs + (size_t)cur;
        *is_word = ubrk_getRuleStatus(a->brk) >= UBRK_WORD_NONE_LIMIT;
        *dots = true;
    } else {
        *c = fast_segment(g->s, g->pos, g->ge, is_word, dots, &g->bad);
    }
    g->pos = *c;
    return true;
}

int nlp_segment_gap(struct nlp_analyzer *a, const char *s, size_t n, bool force_icu, size_t *ends,
                    bool *words, size_t cap, size_t *nseg, bool *fast)
{
    struct gapseg g;
    size_t p, c;
    bool w, dots;
    int rc = seg_open(a, &g, s, 0, n, force_icu || gap_kind(s, 0, n) != GAP_FAST);

    *nseg = 0;
    if (rc)
        return rc;
    *fast = !g.icu;
    while (seg_next(a, &g, &p, &c, &w, &dots)) {
        if (*nseg < cap) {
            ends[*nseg] = c;
            words[*nseg] = w;
        }
        ++*nseg;
    }
    return 0;
}

/*
 * Words of the gap [gs, ge) between social tokens, joined and split as the
 * file comment says, by the fast segmenter or by ICU (icu).  Running ICU once
 * over the whole post and clipping segments to gaps was measured slower: it
 * walks the social tokens too, and ICU's UTF-8 access cost dominates.  *bad:
 * the fast segmenter stopped at a character it does not know (the words it
 * emitted are then to be taken back).
 */
static int gap_words(struct nlp_analyzer *a, const char *s, size_t gs, size_t ge, bool icu,
                     bool *bad)
{
    struct gapseg g;
    size_t p, c, ws = 0, we = 0, je = 0;
    bool word = false, is_word, dots, wdots = false;
    int join = JOIN_NONE, rc;

    if ((rc = seg_open(a, &g, s, gs, ge, icu)))
        return rc;
    while (seg_next(a, &g, &p, &c, &is_word, &dots)) {
        if (g.bad) {
            *bad = true;
            return 0;
        }
        if (is_word) {
            if (word && join != JOIN_NONE && je == p) {
                we = c; /* hyphen, apostrophe or zero-width run between words */
                wdots |= dots;
                join = JOIN_NONE;
                continue;
            }
            if (word && (rc = finish_word(a, s, ws, we, wdots)))
                return rc;
            word = true;
            ws = p;
            we = c;
            wdots = dots;
            join = JOIN_NONE;
        } else if (word && join == JOIN_NONE && we == p &&
                   (join = joiner_type(s + p, c - p)) != JOIN_NONE) {
            je = c; /* wait for the next segment */
        } else {
            if (word) {
                if (join == JOIN_APOS && latin_apos_letter(nlp_utf8_prev(s, we)))
                    we = je;
                if ((rc = finish_word(a, s, ws, we, wdots)))
                    return rc;
                word = false;
            }
            join = JOIN_NONE;
        }
    }
    if (word) {
        if (join == JOIN_APOS && latin_apos_letter(nlp_utf8_prev(s, we)))
            we = je;
        return finish_word(a, s, ws, we, wdots);
    }
    return 0;
}

/*
 * The words of a gap.  The fast segmenter goes first, without a pass to see
 * whether it may (that pass over every gap cost as much as segmenting it,
 * with a mispredicted branch a word); at the first character outside its
 * classes, the words it gave are taken back and ICU segments the whole gap,
 * as before.  ICU gives no word of a gap with no letter, digit or '_', so the
 * fast segmenter's empty answer there is ICU's too.
 */
static int icu_gap(struct nlp_analyzer *a, const char *s, size_t gs, size_t ge)
{
    size_t ntoks = a->ntoks;
    bool bad = false;
    int rc = gap_words(a, s, gs, ge, false, &bad);

    if (rc || !bad)
        return rc;
    a->ntoks = ntoks;
    return gap_words(a, s, gs, ge, true, &bad);
}

/* -- the scanner ------------------------------------------------------------ */

/*
 * The end of the run of two-byte letters (and ASCII letters)
 * that starts at byte i: the rest of such a word cannot start a social token,
 * and the byte after it says whether the word may be an IDN host's label.
 * Returns i + 2 at least when s[i] starts a valid two-byte sequence.
 */
static size_t idn_word_end(const char *s, size_t n, size_t i)
{
    const unsigned char *u = (const unsigned char *)s;

    while (i < n) {
        unsigned c = u[i];
        if (c >= 0xC3 && c <= 0xDF && i + 1 < n && (u[i + 1] & 0xC0) == 0x80)
            i += 2;
        else if (c < 0x80 && (c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            i++;
        else
            break;
    }
    return i;
}

/*
 * Plain words, taken by the scanner itself.  Most words of a post are a
 * run of Cyrillic or of ASCII letters between spaces or common punctuation;
 * for such a word the segmenter could only find the same two boundaries,
 * nothing can join it to its neighbours (no hyphen, apostrophe, '.', digit
 * or '_' beside it), and no link or address can start in it.  So the
 * scanner, which reads the word anyway, ends the gap before it and emits
 * it: the segmenter does not read it again, and a word already in lower
 * case without a tripled letter is its own norm, so normalization does not
 * read it either.  Bytes on either side that allow it: tok_sep[] (ASCII
 * space, tab, CR, LF and , ; ! ? ( ) "), and the guillemets.  A '.' or ':'
 * right after the word does too when a space or the end follows it (it
 * joins letters only, and starts no link then).  The gap before such a word
 * is handed to the segmenter only when it holds more than separators: a gap
 * of separators makes no token.  A word the segmenter would join to a
 * neighbour, or with any other character around it, takes the usual way.
 * A time that reaches back over such words ("сағат 12:00", "at 10 am")
 * takes them back (nlp_tokenize).
 */
static const bool tok_sep[256] = {
    [' '] = true, ['\t'] = true, ['\r'] = true, ['\n'] = true, [','] = true, [';'] = true,
    ['!'] = true, ['?'] = true,  ['('] = true,  [')'] = true,  ['"'] = true,
};

/* U+0400..U+04FF letters by lead byte D0..D3, a bit per continuation byte:
 * all but U+0482 (a sign) and U+0483..U+0489 (combining marks). */
static const uint64_t cyr_letter[4] = {~0ULL, ~0ULL, ~0x3FCULL, ~0ULL};

static bool guillemet_at(const unsigned char *u, size_t n, size_t i)
{
    return i + 1 < n && u[i] == 0xC2 && (u[i + 1] == 0xAB || u[i + 1] == 0xBB);
}

/* The end of the run of Cyrillic letters at i (i when none); *plain: all of
 * them lower case and none three times in a row (the run is its own norm). */
static size_t cyr_run_end(const unsigned char *u, size_t n, size_t i, bool *plain)
{
    unsigned p1 = 0, p2 = 1, low = 1, triple = 0;

    while (i + 1 < n) {
        unsigned hi = u[i] - 0xD0u, lo = u[i + 1] - 0x80u, k;
        if (!(hi < 4 && lo < 64 && (cyr_letter[hi] >> lo & 1)))
            break;
        k = (unsigned)u[i] << 8 | u[i + 1];
        low &= (unsigned)(nlp_cyr_lower_ok[hi] >> lo) & 1;
        triple |= (k == p1) & (k == p2);
        p2 = p1;
        p1 = k;
        i += 2;
    }
    *plain = low && !triple;
    return i;
}

/* The same for a run of ASCII letters. */
static size_t ascii_run_end(const unsigned char *u, size_t n, size_t i, bool *plain)
{
    unsigned p1 = 0, p2 = 1, low = 1, triple = 0;

    while (i < n && (unsigned)((u[i] | 0x20) - 'a') < 26u) {
        unsigned k = u[i];
        low &= k >= 'a';
        triple |= (k == p1) & (k == p2);
        p2 = p1;
        p1 = k;
        i++;
    }
    *plain = low && !triple;
    return i;
}

/* A plain word at i, ending at *end: see above. */
static bool plain_word(const unsigned char *u, size_t n, size_t i, size_t *end, bool *plain)
{
    size_t j;

    if (i > 0 && !tok_sep[u[i - 1]] && !(i >= 2 && guillemet_at(u, n, i - 2)))
        return false;
    j = u[i] < 0x80 ? ascii_run_end(u, n, i, plain) : cyr_run_end(u, n, i, plain);
    if (j == i)
        return false;
    *end = j;
    if (j == n || tok_sep[u[j]] || guillemet_at(u, n, j))
        return true;
    return (u[j] == '.' || u[j] == ':') && (j + 1 == n || tok_sep[u[j + 1]]);
}

static bool only_separators(const unsigned char *u, size_t from, size_t to)
{
    while (from < to) {
        if (guillemet_at(u, to, from))
            from += 2;
        else if (tok_sep[u[from]])
            from++;
        else
            return false;
    }
    return true;
}

static int emit_plain(struct nlp_analyzer *a, const char *s, size_t st, size_t en, bool plain)
{
    struct nlp_token t;

    if (!plain)
        return emit_word(a, s, st, en, 0);
    memset(&t, 0, sizeof(t));
    t.norm = t.surface = t.stem = kz_str_make(s + st, en - st);
    t.script = (unsigned char)s[st] < 0x80 ? NLP_SCRIPT_LATN : NLP_SCRIPT_CYRL;
    t.start = (uint32_t)st;
    t.end = (uint32_t)en;
    t.kind = NLP_TOK_WORD;
    return nlp_push_token(a, &t);
}

int nlp_tokenize(struct nlp_analyzer *a, const char *s, size_t n)
{
    /* gap: where the text not yet segmented starts; after a plain word
     * (above) the word's end.  since, at: where it started after the last
     * social token, and the token count then. */
    size_t i = 0, gap = 0, since = 0, at = a->ntoks;
    struct nlp_match m;
    int rc;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        bool try, plain;
        size_t pe;

        if ((c >= 0xD0 && c <= 0xD3) || (unsigned)((c | 0x20) - 'a') < 26u) {
            if (!a->no_plain_words && plain_word((const unsigned char *)s, n, i, &pe, &plain)) {
                if (gap < i && !only_separators((const unsigned char *)s, gap, i) &&
                    (rc = icu_gap(a, s, gap, i)))
                    return rc;
                if ((rc = emit_plain(a, s, i, pe, plain)))
                    return rc;
                i = gap = pe;
                continue;
            }
        }
        if (c < 0x80) {
            bool alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
            try = c == '#' || c == '@' || c == '*' || c == '$' || alnum;
            if (alnum && i > 0 && (unsigned char)s[i - 1] < 0x80 && nlp_ascii_word(s[i - 1]))
                try = false;
            /* A word that starts with a letter and is no link has no social
             * token in it (a digit may start a time or a keycap): skipped
             * whole, its letters read once. */
            size_t j;
            if (try && !nlp_ascii_digit(c) && alnum && (j = nlp_plain_word_end(s, n, i))) {
                i = j;
                continue;
            }
        } else if (c >= 0xC3 && c <= 0xDF) {
            /* A word of two-byte letters (Cyrillic, accented Latin) can start
             * only an IDN host ("президент.рф"): ask the matchers only when
             * the word is followed by a '.' and a letter, else skip it whole. */
            size_t j = idn_word_end(s, n, i);
            if (!(j + 1 < n && s[j] == '.' &&
                  ((unsigned char)s[j + 1] >= 0xC3 ||
                   ((s[j + 1] | 0x20) >= 'a' && (s[j + 1] | 0x20) <= 'z')) &&
                  nlp_at_boundary(s, i))) {
                i = j > i ? j : i + 1;
                continue;
            }
            try = true;
        } else {
            try = c == 0xC2 || c == 0xE2 || c == 0xE3 || c == 0xF0 || c == 0xEF;
        }
        if (try && nlp_social_match(s, n, i, since, &m)) {
            if (m.start < gap) {
                /* A time reaching back over plain words ("сағат 12:00"):
                 * they are taken back and the text before it segmented
                 * as a whole, as without them. */
                a->ntoks = at;
                gap = since;
            }
            if (m.start > gap && (rc = icu_gap(a, s, gap, m.start)))
                return rc;
            if ((rc = emit_social(a, s, &m)))
                return rc;
            i = gap = since = m.end;
            at = a->ntoks;
            continue;
        }
        if (c < 0x80) {
            i++;
            /* The rest of an ASCII word cannot start a social token. */
            if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
                while (i < n && (unsigned char)s[i] < 0x80 && nlp_ascii_word(s[i]))
                    i++;
        } else if (c >= 0xC3 && c <= 0xDF) {
            i = idn_word_end(s, n, i); /* an IDN host's first label that was none */
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
