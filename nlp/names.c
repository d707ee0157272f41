/*
 * names.c -- the printable names of the NLP enums, and their parsers.
 *
 * These strings are a data contract: verdict JSON, Redis dimensions
 * ("lang:kk") and golden files carry them, so they never change once
 * published.  Every function accepts any integer value and answers a
 * fallback ("und", "none", "word") rather than reading out of bounds.
 */
#include <string.h>

#include "nlp.h"

static const char *const lang_names[] = {
    [NLP_LANG_UND] = "und", [NLP_LANG_KK] = "kk", [NLP_LANG_RU] = "ru",
    [NLP_LANG_UK] = "uk",   [NLP_LANG_EN] = "en", [NLP_LANG_MIXED] = "mixed",
};

static const char *const script_names[] = {
    [NLP_SCRIPT_NONE] = "none",
    [NLP_SCRIPT_CYRL] = "cyrl",
    [NLP_SCRIPT_LATN] = "latn",
    [NLP_SCRIPT_MIXED] = "mixed",
};

static const char *const kind_names[] = {
    [NLP_TOK_WORD] = "word", [NLP_TOK_HASHTAG] = "hashtag", [NLP_TOK_MENTION] = "mention",
    [NLP_TOK_URL] = "url",   [NLP_TOK_EMOJI] = "emoji",     [NLP_TOK_NUMBER] = "number",
    [NLP_TOK_TIME] = "time", [NLP_TOK_DATE] = "date",       [NLP_TOK_CASHTAG] = "cashtag",
};

static const char *const stance_names[] = {
    [NLP_STANCE_NONE] = "none",
    [NLP_STANCE_PRO_UKRAINE] = "pro_ukraine",
    [NLP_STANCE_PRO_RUSSIA] = "pro_russia",
};

const char *nlp_lang_name(enum nlp_lang l)
{
    if ((unsigned)l >= KZ_ARRAY_LEN(lang_names))
        return "und";
    return lang_names[l];
}

const char *nlp_script_name(enum nlp_script s)
{
    if ((unsigned)s >= KZ_ARRAY_LEN(script_names))
        return "none";
    return script_names[s];
}

const char *nlp_kind_name(enum nlp_kind k)
{
    if ((unsigned)k >= KZ_ARRAY_LEN(kind_names))
        return "word";
    return kind_names[k];
}

const char *nlp_stance_name(enum nlp_stance s)
{
    if ((unsigned)s >= KZ_ARRAY_LEN(stance_names))
        return "none";
    return stance_names[s];
}

/*
 * Accepts the canonical names case-insensitively, plus the ISO 639-2/3 codes
 * and the regional tags sources actually send ("kaz", "rus", "ru-RU",
 * "kk_KZ"): only the primary subtag counts.
 */
int nlp_lang_parse(const char *s, size_t n)
{
    static const struct {
        const char *name;
        int lang;
    } table[] = {
        {"kk", NLP_LANG_KK},       {"kaz", NLP_LANG_KK},  {"kazakh", NLP_LANG_KK},
        {"ru", NLP_LANG_RU},       {"rus", NLP_LANG_RU},  {"russian", NLP_LANG_RU},
        {"uk", NLP_LANG_UK},       {"ukr", NLP_LANG_UK},  {"ukrainian", NLP_LANG_UK},
        {"en", NLP_LANG_EN},       {"eng", NLP_LANG_EN},  {"english", NLP_LANG_EN},
        {"mixed", NLP_LANG_MIXED}, {"und", NLP_LANG_UND},
    };
    char buf[16];
    size_t m = 0;

    if (!s)
        return NLP_LANG_UND;
    while (m < n && s[m] != '-' && s[m] != '_') {
        char c = s[m];
        if (m + 1 >= sizeof(buf))
            return NLP_LANG_UND;
        buf[m++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    buf[m] = '\0';
    for (size_t i = 0; i < KZ_ARRAY_LEN(table); i++)
        if (strcmp(buf, table[i].name) == 0)
            return table[i].lang;
    return NLP_LANG_UND;
}
