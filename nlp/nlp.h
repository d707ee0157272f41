/*
 * nlp.h -- text in, tokens and a verdict out, for Kazakh, Russian and the
 * Ukrainian and English beside them.
 *
 * An analyzer owns everything the hot path needs (its ICU word iterator, its
 * stemmers, a scratch arena reset per post) and is reused for every post;
 * nlp_analyze() allocates nothing per token.  Lexicons are compiled once into
 * a shared read-only object (struct nlp_lexicon) that many analyzers may use;
 * nlp_classify() turns an analysed document into a verdict with evidence.
 * The module knows nothing of Kafka, Redis, files or JSON: callers hand it
 * bytes (text, lexicon TSV contents) and read back structs.
 *
 * Ownership, stated once:
 *  - nlp_analyzer_new / nlp_lexicon_compile return caller-owned objects,
 *    released with nlp_analyzer_free / nlp_lexicon_free.
 *  - struct nlp_doc and struct nlp_verdict filled by nlp_analyze/nlp_classify
 *    point into the analyzer's arena and into the caller's text: they stay
 *    valid until the next nlp_analyze() on the same analyzer, or its free, and
 *    only while the text buffer lives.
 *  - A lexicon must outlive every analyzer call that uses it; it is immutable
 *    after compilation and may be shared by any number of threads.
 * Thread rules: an analyzer is used by one thread at a time.
 */
#ifndef KZ_NLP_H
#define KZ_NLP_H

#include <stdint.h>

#include "kz.h"

enum nlp_lang {
    NLP_LANG_UND = 0,
    NLP_LANG_KK,
    NLP_LANG_RU,
    NLP_LANG_UK,
    NLP_LANG_EN,
    NLP_LANG_MIXED
};
enum nlp_script { NLP_SCRIPT_NONE = 0, NLP_SCRIPT_CYRL, NLP_SCRIPT_LATN, NLP_SCRIPT_MIXED };
enum nlp_kind {
    NLP_TOK_WORD = 0,
    NLP_TOK_HASHTAG,
    NLP_TOK_MENTION,
    NLP_TOK_URL,
    NLP_TOK_EMOJI,
    NLP_TOK_NUMBER,
    NLP_TOK_TIME,
    NLP_TOK_DATE,
    NLP_TOK_CASHTAG, /* $KZT: norm "$kzt" (rule: nlp/entity.c) */
};

const char *nlp_lang_name(enum nlp_lang l);     /* kk ru uk en mixed und */
const char *nlp_script_name(enum nlp_script s); /* cyrl latn mixed none */
/* word hashtag mention url emoji number time date cashtag */
const char *nlp_kind_name(enum nlp_kind k);
int nlp_lang_parse(const char *s, size_t n); /* NLP_LANG_UND when unknown */

enum nlp_token_flags {
    NLP_TOKF_HASHTAG_PART = 1 << 0, /* a word taken from inside a hashtag */
    NLP_TOKF_HOMOGLYPH = 1 << 1,    /* mixed-script word folded to one script */
    NLP_TOKF_TRANSLIT = 1 << 2,     /* Kazakh Latin transliterated to Cyrillic */
};

struct nlp_token {
    struct kz_str surface; /* the original bytes, inside the caller's text */
    struct kz_str norm;    /* normalized: NFKC, case-folded, folded; arena */
    struct kz_str stem;    /* stem of norm (== norm for non-words); arena */
    uint32_t start, end;   /* byte span [start, end) in the original text */
    uint8_t kind;          /* enum nlp_kind */
    uint8_t lang;          /* enum nlp_lang, per token */
    uint8_t script;        /* enum nlp_script, per token */
    uint8_t flags;         /* enum nlp_token_flags */
};

struct nlp_doc {
    const struct nlp_token *tokens;
    size_t ntokens;
    enum nlp_lang lang;
    enum nlp_script script;
    float lang_confidence; /* [0, 1] */
};

struct nlp_config {
    size_t arena_bytes; /* initial scratch arena; default 256 KiB (grows if needed) */
    size_t max_tokens;  /* tokens kept per post; default 65536 */
};

void nlp_config_default(struct nlp_config *cfg);

struct nlp_analyzer;

int nlp_analyzer_new(const struct nlp_config *cfg, struct nlp_analyzer **out, char *err,
                     size_t errlen);
void nlp_analyzer_free(struct nlp_analyzer *a);

/*
 * Analyse one text.  Invalid UTF-8 is tolerated (each bad byte is skipped as a
 * separator); an empty text gives an empty document.  lang_hint, if not
 * NLP_LANG_UND, is the source's claim and is used only to break ties.
 * Returns 0 or KZ_ENOMEM.
 */
int nlp_analyze(struct nlp_analyzer *a, const char *text, size_t len, enum nlp_lang lang_hint,
                struct nlp_doc *doc);

/*
 * Stem one word as a word of language lang, whatever language ID would call
 * it alone: the word is normalized as post text is (and, for Kazakh in Latin
 * script, transliterated to Cyrillic) and stemmed.  *stem is valid until the
 * next call on a (it lives in the analyzer's per-post arena).  For
 * evaluation tools (bench/kk_stems).  Returns 0, KZ_EINVAL when w is not
 * exactly one word, or KZ_ENOMEM.
 */
int nlp_stem_word(struct nlp_analyzer *a, const char *w, size_t n, enum nlp_lang lang,
                  struct kz_str *stem);

/* ---------------------------------------------------------------------------
 * Classification
 * ------------------------------------------------------------------------ */

struct nlp_lexicon;

/*
 * Compile lexicon TSV contents (see lexicons/README.md) into a shared
 * automaton.  `files` are (name, bytes) pairs; names appear in errors as
 * "name:line: message".  Returns 0, KZ_EINVAL with the first error in err, or
 * KZ_ENOMEM.  A NULL/empty set compiles to an empty lexicon.
 */
struct nlp_lexicon_file {
    const char *name;
    const char *data;
    size_t len;
};
int nlp_lexicon_compile(const struct nlp_lexicon_file *files, size_t nfiles,
                        struct nlp_lexicon **out, char *err, size_t errlen);
void nlp_lexicon_free(struct nlp_lexicon *lx);
size_t nlp_lexicon_size(const struct nlp_lexicon *lx); /* entries compiled */
/* The categories of a compiled lexicon ("topic/protest", "region/astana", ...),
 * i < nlp_lexicon_categories(lx); borrowed from the lexicon.  NULL: none. */
size_t nlp_lexicon_categories(const struct nlp_lexicon *lx);
struct kz_str nlp_lexicon_category(const struct nlp_lexicon *lx, size_t i);

/*
 * Lint: validate lexicon files as nlp_lexicon_compile() does, but report every
 * error ("name:line: message", NUL-terminated, valid during the call) to
 * on_error instead of stopping at the first.  Returns the number of errors
 * (0: the files compile) or KZ_ENOMEM.
 */
typedef void (*nlp_lexicon_error_fn)(void *ctx, const char *msg);
long nlp_lexicon_check(const struct nlp_lexicon_file *files, size_t nfiles,
                       nlp_lexicon_error_fn on_error, void *ctx);

enum nlp_stance { NLP_STANCE_NONE = 0, NLP_STANCE_PRO_UKRAINE, NLP_STANCE_PRO_RUSSIA };
const char *nlp_stance_name(enum nlp_stance s); /* none pro_ukraine pro_russia */

struct nlp_topic {
    struct kz_str name; /* borrowed from the lexicon */
    float score;        /* [0, 1] */
};

struct nlp_evidence {
    struct kz_str match;    /* surface text matched */
    struct kz_str rule;     /* the lexicon pattern or model feature */
    struct kz_str category; /* "topic/protest", "stance/pro_russia", "model/stance" ... */
    uint32_t start, end;    /* byte span in the original text */
    float weight;
};

struct nlp_verdict {
    enum nlp_lang lang;
    enum nlp_script script;
    const struct nlp_topic *topics;
    size_t ntopics;
    enum nlp_stance stance;
    float stance_score;
    float mob_score;
    int call_to_action;
    struct kz_str when, where; /* spans of the original text, empty if none */
    struct kz_str region;      /* ISO 3166-2:KZ code ("KZ-47") from the gazetteer, or empty */
    struct kz_str city;        /* town slug ("zhanaozen") inside region, or empty */
    const struct nlp_evidence *evidence;
    size_t nevidence;
};

/*
 * Classify an analysed document with a lexicon (NULL: no lexicon, so only
 * language and script are filled).  The verdict lives in the analyzer's arena
 * like the document.  Returns 0 or KZ_ENOMEM.
 */
int nlp_classify(struct nlp_analyzer *a, const struct nlp_lexicon *lx, const struct nlp_doc *doc,
                 struct nlp_verdict *v);

/* ---------------------------------------------------------------------------
 * Gazetteer (gazetteer.c): Kazakhstan's regions and towns
 *
 * The 20 regions of ISO 3166-2:KZ and the towns in them, with their names in
 * kk (Cyrillic and 2021 Latin), ru and en, parsed from lexicons/gazetteer.tsv
 * (format: lexicons/README.md).  nlp_lexicon_compile() parses a file whose
 * name ends in "gazetteer.tsv" as the gazetteer and compiles its match rows
 * into categories region/<code> and city/<slug>; nlp_lexicon_gazetteer()
 * hands it out.  It can also be parsed alone (names for query output).
 * Ownership: nlp_gazetteer_parse returns a caller-owned object, released with
 * nlp_gazetteer_free; the one inside a lexicon belongs to the lexicon.
 * Places and their strings live as long as their gazetteer.  Immutable once
 * built; any number of threads may read it.
 * ------------------------------------------------------------------------ */

struct nlp_gazetteer;

enum nlp_place_kind { NLP_PLACE_OBLAST = 0, NLP_PLACE_CITY, NLP_PLACE_TOWN };
/* The languages of place names: kk Cyrillic, kk 2021 Latin, ru, en. */
enum nlp_names { NLP_NAMES_KK = 0, NLP_NAMES_KK_LATN, NLP_NAMES_RU, NLP_NAMES_EN, NLP_NAMES_COUNT };
const char *nlp_names_name(enum nlp_names l); /* kk kk-latn ru en */
int nlp_names_parse(const char *s);           /* -1 when unknown */

struct nlp_place {
    struct kz_str id;     /* "KZ-47" (a region, oblast or city) or "zhanaozen" (a town) */
    struct kz_str region; /* the region's code: id itself, or the town's region */
    enum nlp_place_kind kind;
    struct kz_str name[NLP_NAMES_COUNT];
    size_t region_index; /* nlp_gazetteer_place() index of the region */
    uint32_t line;       /* where the file defines it */
};

int nlp_gazetteer_parse(const char *name, const char *data, size_t len, struct nlp_gazetteer **out,
                        char *err, size_t errlen);
/* Every error as "name:line: message" to on_error; returns their number or KZ_ENOMEM. */
long nlp_gazetteer_check(const char *name, const char *data, size_t len,
                         nlp_lexicon_error_fn on_error, void *ctx);
void nlp_gazetteer_free(struct nlp_gazetteer *g);
/* The gazetteer compiled into lx, or NULL when its files had none. */
const struct nlp_gazetteer *nlp_lexicon_gazetteer(const struct nlp_lexicon *lx);

/* The known places: regions and towns in file order, 0 .. count - 1.  This
 * is the list of region codes (kind != NLP_PLACE_TOWN) and city slugs (towns)
 * that the region: and city: dimensions can hold, besides region:unknown. */
size_t nlp_gazetteer_count(const struct nlp_gazetteer *g);
const struct nlp_place *nlp_gazetteer_place(const struct nlp_gazetteer *g, size_t i);
/* The region a place is in (itself for a region). */
const struct nlp_place *nlp_gazetteer_region_of(const struct nlp_gazetteer *g,
                                                const struct nlp_place *p);
/* The place named s[0..n): its code or slug, any name or spelling variant the
 * file gives it, in any case ("KZ-47", "kz-47", "ЖАҢАӨЗЕН", "Ust-Kamenogorsk",
 * "almaty_city"); NULL when unknown.  Allocates nothing. */
const struct nlp_place *nlp_gazetteer_find(const struct nlp_gazetteer *g, const char *s, size_t n);

/* ---------------------------------------------------------------------------
 * Learned models (model.c): logistic regression on hashed features
 *
 * Ownership: nlp_model_train and nlp_model_load return a caller-owned model,
 * released with nlp_model_free.  A model is immutable once built and may be
 * shared by any number of threads and analyzers; it must outlive every
 * verdict that borrows its label names.  nlp_model_save returns a malloc'd
 * buffer the caller frees.  Training borrows the examples for the call only.
 * ------------------------------------------------------------------------ */

enum nlp_model_kind { NLP_MODEL_STANCE = 1, NLP_MODEL_TOPICS, NLP_MODEL_MOBILIZATION };
const char *nlp_model_kind_name(enum nlp_model_kind k); /* stance topics mobilization */
int nlp_model_kind_parse(const char *s, size_t n);      /* -1 when unknown */

struct nlp_model;

struct nlp_train_config {
    enum nlp_model_kind kind; /* default NLP_MODEL_STANCE */
    unsigned hash_bits;       /* feature buckets 2^bits, 8..24; default 18 */
    uint64_t seed;            /* split and shuffles; default 1 */
    unsigned epochs;          /* at most; default 30 */
    unsigned patience;        /* epochs without held-out improvement; default 3 */
    float l2;                 /* L2 penalty; default 1e-4 */
    float rate;               /* AdaGrad learning rate; default 0.2 */
    float heldout;            /* fraction held out for early stopping and blend; default 0.1 */
    int char_ngrams;          /* character 3-5-grams of words and norms; default 0 */
    int target_features;      /* words paired with the side named near them; default 0 */
    int refit;                /* after choosing the epochs and blend on the held-out part,
                                 train again on every example; default 0 */
    /* Told as training goes (NULL: nothing): stage "analysing" every 256
     * examples (done of total examples), "epoch" after each (done of at most
     * total; loss: the held-out log-loss, or 0 without a held-out part),
     * "blend" and "refit" as they start.  For a progress line. */
    void (*progress)(void *ctx, const char *stage, size_t done, size_t total, double loss);
    void *progress_ctx;
};
void nlp_train_config_default(struct nlp_train_config *c);

/* One labelled post; only the label of the model's kind is read. */
struct nlp_train_example {
    const char *text;
    size_t len;
    enum nlp_lang lang; /* analyzer hint */
    enum nlp_stance stance;
    int mobilization;
    const struct kz_str *topics; /* ASCII snake_case names */
    size_t ntopics;
};

struct nlp_train_report {
    size_t ntrain, nheldout;
    unsigned epochs_run, best_epoch;
    double heldout_loss;       /* mean log-loss of the kept weights */
    double heldout_macro_f1;   /* blended model + lexicons, as classification uses it */
    double heldout_model_f1;   /* the model alone (blend 1) */
    double heldout_lexicon_f1; /* the lexicons alone (blend 0) */
    float blend;               /* model weight chosen on the held-out split */
};

/*
 * Train a model of cfg->kind on examples, analysed with a and classified
 * with lx (NULL: no lexicon features).  Deterministic for a seed.  Returns 0,
 * KZ_EINVAL (bad configuration or labels, message in err) or KZ_ENOMEM.
 */
int nlp_model_train(struct nlp_analyzer *a, const struct nlp_lexicon *lx,
                    const struct nlp_train_config *cfg, const struct nlp_train_example *ex,
                    size_t n, struct nlp_model **out, struct nlp_train_report *rep, char *err,
                    size_t errlen);
/* Serialize ("KZPM" version 2, crc32-checked) into a malloc'd *buf. */
int nlp_model_save(const struct nlp_model *m, void **buf, size_t *len);
/* Parse and validate a serialized model.  Returns 0, KZ_EDECODE (truncated,
 * corrupt or foreign: err says which), KZ_EUNSUPPORTED (another version),
 * KZ_ERANGE or KZ_ENOMEM. */
int nlp_model_load(const void *buf, size_t len, struct nlp_model **out, char *err, size_t errlen);
void nlp_model_free(struct nlp_model *m);
enum nlp_model_kind nlp_model_get_kind(const struct nlp_model *m);
size_t nlp_model_labels(const struct nlp_model *m, const char *const **labels);
float nlp_model_blend(const struct nlp_model *m);

/*
 * nlp_classify() with models: the lexicon verdict first, then each model
 * (any order; NULL entries skipped) decides its labels from the blend of its
 * probability and the lexicon score, and adds its top contributing features
 * to the evidence as category "model/<label>" (rule: the feature string,
 * weight: weight x value; token features carry their byte span).  Topics the
 * model was not trained on stay as the lexicons decided.  With no models
 * this is nlp_classify().  The verdict borrows label names from the models.
 */
int nlp_classify_with_models(struct nlp_analyzer *a, const struct nlp_lexicon *lx,
                             const struct nlp_model *const *models, size_t nmodels,
                             const struct nlp_doc *doc, struct nlp_verdict *v);

#endif /* KZ_NLP_H */
