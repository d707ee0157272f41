/*
 * nlp_int.h -- private declarations shared by the files of nlp/.
 *
 * Nothing outside nlp/ includes this header.  It holds the analyzer struct
 * (what one analyzer owns), the arena, and the entry points of each stage:
 * normalize.c (per-token normalization), social.c (the social matchers'
 * dispatcher, emoji, numbers, times, dates) and entity.c (URLs, mentions,
 * hashtags, cashtags), tokenize.c (the driver and ICU segmentation),
 * langid.c (script and language), translit.c (Kazakh Latin to Cyrillic),
 * stem_kk.c and stem.c (stemming), wordcache.c (per-form memo of language
 * scores and stems), arena.c (per-post memory).  lexicon.c and classify.c
 * (issue 4) append their declarations at the end.
 */
#ifndef KZ_NLP_INT_H
#define KZ_NLP_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libstemmer.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>

#include "nlp.h"

/* -- arena.c ---------------------------------------------------------------- */

struct nlp_arena_block;
struct nlp_arena {
    struct nlp_arena_block *cur;
};

int nlp_arena_init(struct nlp_arena *ar, size_t initial);
void nlp_arena_free(struct nlp_arena *ar);
void nlp_arena_reset(struct nlp_arena *ar);
void nlp_arena_block_chain_free(struct nlp_arena_block *b);
void *nlp_arena_alloc(struct nlp_arena *ar, size_t n);
char *nlp_arena_strdup(struct nlp_arena *ar, const char *s, size_t n);

/* -- wordcache.c ------------------------------------------------------------ */

#define NLP_WC_SLOTS 131072u /* entries, a power of two, in pairs (see wordcache.c) */
#define NLP_WC_KEY 28        /* longest form cached, bytes */
#define NLP_WC_STEM 20       /* longest stem stored when it is not a prefix of the form */
#define NLP_WC_PREFIX 0x80   /* slen flag: the stem is the form's first (slen & 0x7F) bytes */
#define NLP_WC_TRANSLIT 0xFF /* stem_lang of an entry holding a transliteration */

/* One cache line: the table is touched once or twice per token. */
struct nlp_wc_entry {
    uint32_t lxsym;     /* the form's lexicon symbols (lexicon_match.c, and
                           the comment above NLP_SC_EPOCH_BITS) */
    uint8_t klen;       /* 0: empty */
    uint8_t has_scores; /* s[] valid */
    uint8_t stem_lang;  /* enum nlp_lang the stem is for; 0: none */
    uint8_t slen;       /* stem length, or NLP_WC_PREFIX | length */
    int16_t s[4];       /* language scores x 64, langid.c order */
    char key[NLP_WC_KEY];
    char stem[NLP_WC_STEM];
};

/*
 * A word-cache entry also holds its form's lexicon symbols for one lexicon
 * (lexicon_match.c), as one 32-bit word: the low NLP_SC_EPOCH_BITS bits say
 * which lexicon it is for (the analyzer's sc_epoch when it was written; 0:
 * none), the other 24 bits v are 0 when the form has no symbol, the symbol
 * itself when it has one (below NLP_SC_SET), NLP_SC_SET | i when it has
 * several, listed at a->symset[i] (count, then the symbols), and NLP_SC_MANY
 * when they did not fit (they are then looked up each time); v |
 * NLP_SC_FOLDK once the form's folded symbols are known too, | NLP_SC_FOLDX
 * when it has some, listed at a->symset[a->wcfold[slot]] (lexicon_match.c,
 * "Folded matching").  In the entry,
 * the symbols cost no memory access that the analysis has not just made.
 * Claiming a slot for a new form empties it.
 */
#define NLP_SC_EPOCH_BITS 8
#define NLP_SC_SET 0x800000u
#define NLP_SC_FOLDK 0x400000u
#define NLP_SC_FOLDX 0x200000u     /* single symbols are below it */
#define NLP_SC_SETS_MAX (1u << 20) /* words of a->symset, at most */
#define NLP_SC_MANY ((UINT32_MAX >> NLP_SC_EPOCH_BITS))

struct nlp_analyzer;
/*
 * Hash of a short key: eight bytes at a time with multiply-xorshift mixing
 * (MurmurHash3's 64-bit finaliser).  The last partial word is read as
 * overlapping loads instead of byte by byte (a loop whose trip count changes
 * with every word is a branch mispredicted per call): the last eight bytes
 * of a key of eight or more, the first and last four of a key of four to
 * seven, bytes 0, n/2 and n-1 of a shorter one; the length is mixed in
 * first, so keys of different lengths still differ.  Inline, like
 * nlp_key_eq(): words are short and these run several times per token.
 */
static inline uint64_t nlp_load64(const char *s)
{
    uint64_t w;

    memcpy(&w, s, 8);
    return w;
}

static inline uint32_t nlp_load32(const char *s)
{
    uint32_t w;

    memcpy(&w, s, 4);
    return w;
}

/* The last n % 8 bytes of s (n > 0) as one word, as described above. */
static inline uint64_t nlp_tail64(const char *s, size_t n)
{
    if (n >= 8)
        return nlp_load64(s + n - 8);
    if (n >= 4)
        return nlp_load32(s) | (uint64_t)nlp_load32(s + n - 4) << 32;
    return (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << 8 |
           (uint64_t)(unsigned char)s[n - 1] << 16;
}

static inline uint32_t nlp_hash(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        h = (h ^ nlp_load64(s + i)) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    if (i < n)
        h = (h ^ nlp_tail64(s, n)) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return (uint32_t)h;
}

/* Equality of two short keys of length n: without a loop up to 16 bytes
 * (most words), eight bytes at a time beyond; tails by the same overlapping
 * loads as nlp_hash. */
static inline bool nlp_key_eq(const char *a, const char *b, size_t n)
{
    size_t i = 0;

    if (n <= 8)
        return n == 0 || nlp_tail64(a, n) == nlp_tail64(b, n);
    if (n <= 16)
        return ((nlp_load64(a) ^ nlp_load64(b)) |
                (nlp_load64(a + n - 8) ^ nlp_load64(b + n - 8))) == 0;
    for (; i + 8 <= n; i += 8)
        if (nlp_load64(a + i) != nlp_load64(b + i))
            return false;
    return i == n || nlp_load64(a + n - 8) == nlp_load64(b + n - 8);
}

int nlp_wc_init(struct nlp_analyzer *a);
void nlp_wc_fini(struct nlp_analyzer *a);
/* The slot for form w: *hit if it holds w; otherwise claimed and emptied for w.
 * NULL when w is too long to cache. */
struct nlp_wc_entry *nlp_wc_lookup(struct nlp_analyzer *a, const char *w, size_t n, bool *hit);
/* The same for a form of 1..NLP_WC_KEY bytes whose nlp_hash is h. */
struct nlp_wc_entry *nlp_wc_lookup_h(struct nlp_analyzer *a, const char *w, size_t n, uint32_t h,
                                     bool *hit);
/* Start loading the pair of slots for hash h.  Most forms of a post live in
 * a table far larger than the caches: a lookup is a miss to memory unless
 * the slots were asked for a few words before (langid.c looks ahead). */
#define nlp_wc_prefetch(a, h)                                                                      \
    do {                                                                                           \
        const struct nlp_wc_entry *pf_ = &(a)->wc[(h) & (NLP_WC_SLOTS - 2)];                       \
        __builtin_prefetch(pf_);                                                                   \
        __builtin_prefetch(pf_ + 1);                                                               \
    } while (0)

/* -- analyzer.c ------------------------------------------------------------- */

struct nlp_wordtab;

struct nlp_analyzer {
    struct nlp_config cfg;
    struct nlp_arena arena;
    struct nlp_token *toks;      /* reused across posts; grows up to cfg.max_tokens */
    struct nlp_wc_entry **tokwc; /* per token: its word-cache slot from langid, or NULL */
    size_t ntimes;               /* time and date tokens among toks (the latest analysis) */
    size_t ntoks, captoks;
    int32_t *cps; /* normalization scratch, reused; grows only */
    size_t capcps;
    UBreakIterator *brk; /* the one word iterator, re-pointed per gap */
    UText *ut;
    struct sb_stemmer *stem_ru, *stem_en;
    /* language-ID word table (langid.c), shared by every analyzer */
    const struct nlp_wordtab *words;
    struct nlp_wc_entry *wc; /* word-form cache (wordcache.c) */
    uint32_t sc_lexid;       /* the lexicon whose symbols wc[].lxsym hold, */
    uint32_t sc_epoch;       /* under this epoch (1 .. 2^NLP_SC_EPOCH_BITS - 1) */
    uint32_t *symset;        /* forms' symbol lists, for this epoch (lexicon_match.c) */
    uint32_t *wcfold;        /* per wc slot: its form's folded symbols (NLP_SC_FOLDX),
                                allocated when first needed */
    uint8_t *wcmru;          /* per pair of wc slots, a bit: the second was used last */
    /* Slots claimed for new forms so far, and the count when this post's
     * language ID began: while the two are equal, no slot has changed hands
     * since langid looked the post's words up, so a->tokwc[i] still holds
     * token i's norm (every step that rewrites a norm clears its tokwc). */
    uint64_t wc_claims, wc_claims_post;
    bool no_plain_words; /* tests only: every word through the segmenter (tokenize.c) */
    size_t nsymset, capsymset;
    void *verdict_scratch; /* classify.c */
};

/* Whether a->tokwc[] is known to hold each token's norm: no slot has been
 * claimed since this post's language ID began (see wc_claims). */
static inline bool nlp_wc_unclaimed(const struct nlp_analyzer *a)
{
    return a->wc_claims == a->wc_claims_post;
}

/* Append a token; silently drops it once cfg.max_tokens is reached. */
int nlp_push_token(struct nlp_analyzer *a, const struct nlp_token *t);

/* -- normalize.c ------------------------------------------------------------ */

/* The lower-case letters of U+0400..U+04FF by lead byte (D0..D3), one bit
 * per continuation byte (bit b - 0x80). */
extern const uint64_t nlp_cyr_lower_ok[4];

/*
 * Decode one code point at s[*i] and advance; a byte that does not
 * start a valid, shortest-form sequence yields -1 and advances by one, which
 * is how invalid UTF-8 becomes a separator; at the end (*i >= n) it returns -1
 * and does not advance.  Inline: it is the innermost loop.
 */
static inline int32_t nlp_utf8_get(const char *s, size_t n, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s + *i;
    size_t left;
    int32_t cp;

    if (*i >= n)
        return -1; /* at the end: nothing read, nothing advanced */
    left = n - *i;

    if (u[0] < 0x80) {
        (*i)++;
        return u[0];
    }
    if (u[0] >= 0xC2 && u[0] <= 0xDF && left >= 2 && (u[1] & 0xC0) == 0x80) {
        *i += 2;
        return ((u[0] & 0x1F) << 6) | (u[1] & 0x3F);
    }
    if (u[0] >= 0xE0 && u[0] <= 0xEF && left >= 3 && (u[1] & 0xC0) == 0x80 &&
        (u[2] & 0xC0) == 0x80) {
        cp = ((u[0] & 0x0F) << 12) | ((u[1] & 0x3F) << 6) | (u[2] & 0x3F);
        if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
            *i += 3;
            return cp;
        }
    } else if (u[0] >= 0xF0 && u[0] <= 0xF4 && left >= 4 && (u[1] & 0xC0) == 0x80 &&
               (u[2] & 0xC0) == 0x80 && (u[3] & 0xC0) == 0x80) {
        cp = ((u[0] & 0x07) << 18) | ((u[1] & 0x3F) << 12) | ((u[2] & 0x3F) << 6) | (u[3] & 0x3F);
        if (cp >= 0x10000 && cp <= 0x10FFFF) {
            *i += 4;
            return cp;
        }
    }
    (*i)++;
    return -1;
}

size_t nlp_utf8_put(char *out, int32_t cp); /* writes 1..4 bytes */
int nlp_script_of(int32_t cp);              /* enum nlp_script of a letter */
int nlp_normalize_word(struct nlp_analyzer *a, const char *s, size_t n, struct kz_str *norm,
                       uint8_t *script, uint8_t *flags);
/*
 * A hashtag's or mention's value: the text as written, case-folded and put in
 * NFC only (no homoglyph, repeat or Latin-Kazakh folding: "#mañana" stays
 * "#mañana"), its sigil as ASCII ('＃' -> '#', '＠' -> '@').  Fills *script.
 */
int nlp_normalize_tag(struct nlp_analyzer *a, const char *s, size_t n, struct kz_str *norm,
                      uint8_t *script);
int nlp_normalize_emoji(struct nlp_analyzer *a, const char *s, size_t n, struct kz_str *norm,
                        struct kz_str *stem);

/* -- social.c --------------------------------------------------------------- */

struct nlp_match {
    size_t start, end; /* byte span claimed */
    int kind;          /* enum nlp_kind */
    char norm[24];     /* canonical form for numbers, times and dates */
    size_t normlen;
};

static inline bool nlp_ascii_digit(int c)
{
    return c >= '0' && c <= '9';
}

static inline bool nlp_ascii_alnum(int c)
{
    return nlp_ascii_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* nlp_is_word_cp() of an ASCII character, inline: a letter, a digit or '_'. */
static inline bool nlp_ascii_word(int c)
{
    return nlp_ascii_alnum(c) || c == '_';
}

bool nlp_is_word_cp(int32_t cp);
int32_t nlp_utf8_prev(const char *s, size_t i);
bool nlp_at_boundary(const char *s, size_t i);
/* Try every social matcher at byte i; lo bounds look-behind (times: "сағат 12"). */
bool nlp_social_match(const char *s, size_t n, size_t i, size_t lo, struct nlp_match *m);

/* -- entity.c: the rules are in its top comment ----------------------------- */

/* The end of a URL (or e-mail address) starting at byte i, or 0. */
size_t nlp_match_url(const char *s, size_t n, size_t i);

/* Most words are no link: every link has a '.', '@', ':' or a character of
 * '_', '-', '+' or outside ASCII right after its first run of ASCII letters
 * and digits ("https:", "www.", "name_x@", "my-site.kz", "abc.рф"), so a run
 * ended by anything else ("hello,") is none.  The end of the run that starts
 * at i when it is such a plain word, else 0 (nlp_match_url, and the scanner,
 * which skips it whole). */
static inline size_t nlp_plain_word_end(const char *s, size_t n, size_t i)
{
    size_t j = i;

    while (j < n && nlp_ascii_alnum(s[j]))
        j++;
    if (j > i && (j == n || ((unsigned char)s[j] < 0x80 && s[j] != '.' && s[j] != '@' &&
                             s[j] != ':' && s[j] != '_' && s[j] != '-' && s[j] != '+')))
        return j;
    return 0;
}
/* A hashtag (sigil '#') or mention ('@') whose sigil of siglen bytes (1, or
 * 3 for the full-width ＃ ＠) starts at byte i: fills m's end and kind. */
bool nlp_match_tag(const char *s, size_t n, size_t i, int sigil, size_t siglen,
                   struct nlp_match *m);
/* '#' or '@' when a full-width ＃ or ＠ starts at byte i, else 0. */
int nlp_fullwidth_sigil(const char *s, size_t n, size_t i);
/* The end of a cashtag whose '$' is at byte i (its norm in m), or 0. */
size_t nlp_match_cashtag(const char *s, size_t n, size_t i, struct nlp_match *m);

/* -- tokenize.c ------------------------------------------------------------- */

int nlp_tokenizer_init(struct nlp_analyzer *a, char *err, size_t errlen);
void nlp_tokenizer_fini(struct nlp_analyzer *a);
int nlp_tokenize(struct nlp_analyzer *a, const char *s, size_t n);
/*
 * Segment s[0, n) as the tokenizer segments a gap between social tokens:
 * the fast segmenter when every character allows it (*fast), else ICU, or
 * ICU always with force_icu.  Fills up to cap segment ends and word flags;
 * *nseg is the full count.  For tests comparing the two segmenters.
 */
int nlp_segment_gap(struct nlp_analyzer *a, const char *s, size_t n, bool force_icu, size_t *ends,
                    bool *words, size_t cap, size_t *nseg, bool *fast);

/* -- langid.c --------------------------------------------------------------- */

int nlp_langid_init(struct nlp_analyzer *a);
void nlp_langid_fini(struct nlp_analyzer *a);
/* Per-token and per-post script and language of a->toks. */
void nlp_langid(struct nlp_analyzer *a, enum nlp_lang hint, struct nlp_doc *doc);

/* -- translit.c ------------------------------------------------------------- */

/* Kazakh Latin (2017, 2018, 2021, informal) to Cyrillic; out in the arena. */
int nlp_translit_kk(struct nlp_analyzer *a, const struct kz_str *surface, const struct kz_str *in,
                    struct kz_str *out);

/* -- stem_kk.c, stem.c ------------------------------------------------------ */

/* The Kazakh stem of the case-folded Cyrillic word w, written to out (cap
 * >= n + 4 bytes: an undone alternation may add a letter, аузы -> ауыз);
 * returns its byte length. */
size_t nlp_stem_kk(const char *w, size_t n, char *out, size_t cap);
/* The root of a converb (бар-а, ойна-й) before an auxiliary; n if none. */
size_t nlp_stem_kk_converb(const char *w, size_t n);
/* Stems the converbs of a document's Kazakh words that precede an auxiliary
 * (бара жатыр: бар); after nlp_stem_token on every token. */
void nlp_stem_kk_aux(struct nlp_token *toks, size_t n);
size_t nlp_stem_uk(const char *w, size_t n);
int nlp_stem_kk_check_tables(void); /* 0, or -(index) of the first misordered entry */
int nlp_stem_init(struct nlp_analyzer *a, char *err, size_t errlen);
void nlp_stem_fini(struct nlp_analyzer *a);
/* e: the token's word-cache slot if the caller has it (else NULL); it is
 * checked to hold the token's norm unless nlp_wc_unclaimed(a). */
int nlp_stem_token(struct nlp_analyzer *a, struct nlp_token *t, enum nlp_lang lang,
                   struct nlp_wc_entry *e);

/* -- lexicon.c: "file:line: message" (at most 511 bytes) to on_error, if any;
 * the lexicon and gazetteer parsers report every error through it. */
void nlp_file_verror(nlp_lexicon_error_fn on_error, void *ctx, const char *fname, size_t line,
                     const char *fmt, va_list ap);

/* -- lexicon.c (classification; appended for issue 4) ----------------------- */

/* What a category is for; names after the slash are free (topic, region). */
enum nlp_cat_family {
    NLP_CAT_TOPIC = 0,
    NLP_CAT_PRO_UKRAINE,
    NLP_CAT_PRO_RUSSIA,
    NLP_CAT_CALL,      /* cue/call_to_action */
    NLP_CAT_NEGATION,  /* cue/negation */
    NLP_CAT_REPORTING, /* cue/reporting */
    NLP_CAT_TIME,      /* cue/time */
    NLP_CAT_PLACE,     /* cue/place */
    NLP_CAT_REGION,
    NLP_CAT_PAST,     /* cue/past: a report of a past event */
    NLP_CAT_EVERYDAY, /* cue/everyday: an everyday invitation (той, football) */
    /* read only by the models' target features (model_features.c): */
    NLP_CAT_TARGET_RU,   /* cue/target_russia: Russia's side named (Russia, Putin, Kremlin) */
    NLP_CAT_TARGET_UA,   /* cue/target_ukraine: Ukraine's side named (Ukraine, Zelensky, Kyiv) */
    NLP_CAT_TARGET_WEST, /* cue/target_west: the West named (NATO, the US, the EU) */
    NLP_CAT_POSITIVE,    /* cue/positive: a word that praises (victory, brave, liberate) */
    NLP_CAT_NEGATIVE,    /* cue/negative: a word that condemns (crime, invader, collapse) */
    NLP_CAT_OPPOSITION, /* cue/opposition: против, against, қарсы, осуждаю (classify.c) */
    NLP_CAT_CITY,    /* city/<slug>: a town of the gazetteer; counts for its region too */
    NLP_CAT_SARCASM, /* cue/sarcasm: "ну да, конечно", "yeah right", 🙃 (classify.c) */
};

struct nlp_lx_cat {
    struct kz_str category; /* "topic/protest"; in the lexicon */
    struct kz_str name;     /* "protest": after the slash */
    uint32_t name_off, name_len;
    uint8_t family;  /* enum nlp_cat_family */
    uint32_t parent; /* city/<slug>: the index of its region/<code>; else UINT32_MAX */
};

struct nlp_lx_rule {
    struct kz_str rule;     /* the pattern as written */
    struct kz_str category; /* of cats[cat] */
    struct kz_str name;
    float weight;
    uint32_t cat; /* index into the lexicon's categories */
    uint8_t family;
    uint8_t ntokens;
    uint8_t lang; /* enum nlp_lang of the entry; UND for '*' */
};

/* One pattern matched over tokens [first, last]. */
struct nlp_lx_hit {
    uint32_t first, last;
    uint32_t rule;
};

const struct nlp_lx_rule *nlp_lexicon_rules(const struct nlp_lexicon *lx, size_t *n);
const struct nlp_lx_cat *nlp_lexicon_cats(const struct nlp_lexicon *lx, size_t *n);
/* Indices of the topics the rules know by name (war_ukraine, protest); -1: absent. */
void nlp_lexicon_topic_cats(const struct nlp_lexicon *lx, long *war, long *protest);
/* Every match of every pattern in doc, ordered by last token; hits in a's
 * arena.  When doc is a's latest analysis, the symbols of each word form are
 * memoized beside a's word cache. */
int nlp_lexicon_match(const struct nlp_lexicon *lx, struct nlp_analyzer *a,
                      const struct nlp_doc *doc, struct nlp_lx_hit **hits, size_t *nhits);

/* -- gazetteer.c ----------------------------------------------------------- */

/* A match row: a lexicon pattern naming place `place` (an index). */
struct nlp_gaz_match {
    struct kz_str id, pattern, weight, lang, note;
    uint32_t line;
    size_t place;
};

/* Parse a gazetteer, errors to on_error ("name:line: message"); the first
 * one stops it when stop_at_first.  Returns 0, KZ_EINVAL (*nerrors > 0) or
 * KZ_ENOMEM; *out only on 0. */
int nlp_gazetteer_build(const char *name, const char *data, size_t len,
                        nlp_lexicon_error_fn on_error, void *ctx, int stop_at_first,
                        struct nlp_gazetteer **out, size_t *nerrors);
size_t nlp_gazetteer_matches(const struct nlp_gazetteer *g, const struct nlp_gaz_match **m);

#endif /* KZ_NLP_INT_H */
