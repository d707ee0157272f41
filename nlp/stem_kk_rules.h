/*
 * stem_kk_rules.h -- the rule tables of the Kazakh stemmer (stem_kk.c, the
 * only file that includes this one): the suffixes of the nominal and the
 * verbal chain with their slot in the order of attachment and the conditions
 * under which they come off, the protected words, the one-syllable verb
 * roots and the pronouns whose root changes.  Adding a suffix is a row; the
 * order every table must keep is checked by nlp_stem_kk_check_tables()
 * (tests/test_nlp_stem.c).
 */
#ifndef KZ_NLP_STEM_KK_RULES_H
#define KZ_NLP_STEM_KK_RULES_H

#include <stddef.h>

enum cond {
    ANY = 0,
    AV,    /* root ends in a vowel other than у (у, и after a vowel are consonants) */
    AC,    /* root ends in a consonant or у (тау-ы, келу-і, жазу-ды) */
    AVMNN, /* vowel or м н ң (genitive/ablative н-forms) */
    AP3,   /* root ends in ы or і: қала-сы-н */
    AP12,  /* root ends in м or ң (dative -а/-е after a possessive): дос-ым-а */
    AL,    /* root ends in л: сал-ын-ды */
    AVL,   /* root ends in a voiceless consonant (the т-forms: айт-ты, кітап-тар) */
};

enum slot { CAUS = 1, VOICE, NEG, TENSE, FIN, PL, POSS, CASE, PERS, TOP };

enum flag {
    V = 1,      /* a verbal suffix */
    B = 2,      /* a nominal ending that can also be verbal (-ды, -дың, -ыңыз) */
    NV = 4,     /* only right after a V or B suffix */
    VR1 = 8,    /* the root must be able to be a verb (see verb_ok) */
    VRS = 16,   /* the root must be a listed one-syllable verb root */
    FIRST = 32, /* only as the word's last suffix */
    AY = 64,    /* й returns: қо-ю -> қой */
    AI = 128,   /* и was ый/ій: оқ-иды -> оқы */
    P2 = 256,   /* the root has at least two syllables */
    SHY = 512,  /* imperative -шы: after an imperative (-ңыз-шы, -ңдар-шы) */
    VL = 1024,  /* a root of one syllable must be a listed verb */
    NOH = 2048, /* no vowel harmony: instrumental -мен/-бен/-пен */
    PV = 4096,  /* after а е ә о ө ұ ү only: бала-м, not мұғалі-м */
    PS = 8192, /* -сы after ы/і only on -шы, -ғы words: басшы-сы, not жұмы-сы */
    PC = 16384, /* converb -п: after ы/і or а/е behind л д т н р с (ойла-п, оқы-п; not ғажа-п) */
};

struct sfx {
    const char *s;
    unsigned char len;  /* bytes */
    unsigned char cond; /* enum cond */
    unsigned char slot; /* enum slot */
    unsigned short flags;
};

#define S(lit) lit, (unsigned char)(sizeof(lit) - 1)
#define S2(lit) lit, sizeof(lit) - 1

/*
 * Sorted by the last letter's UTF-8 bytes (then by bytes), so that one
 * binary search finds the few suffixes a word can end with.  The comment
 * names the role: plain is a spelling without the special letters; pres
 * present-future with its person, part participle, conv converb, vnoun
 * verbal noun, aor aorist, imp imperative, cond conditional, desid
 * desiderative (айт-қым кел-), evid evidential past, intent -мақ/-мақшы,
 * optat optative -ғай, until -ғанша, since -ғалы/-ғасын, because
 * -ғандықтан.
 * tests/test_nlp_stem.c checks the order.
 */
static const struct sfx suffixes[] = {
    {S("а"), AP12, CASE, 0},                  /* dat */
    {S("а"), AC, TENSE, V | VRS | FIRST},     /* converb */
    {S("ба"), AC, NEG, V | NV},               /* neg */
    {S("га"), ANY, CASE, 0},                  /* plain */
    {S("да"), ANY, CASE, 0},                  /* loc */
    {S("ка"), AC, CASE, 0},                   /* plain */
    {S("ма"), ANY, NEG, V | NV},              /* neg */
    {S("на"), AP3, CASE, 0},                  /* dat */
    {S("нда"), AP3, CASE, 0},                 /* loc */
    {S("па"), AC, NEG, V | NV},               /* neg */
    {S("са"), ANY, TENSE, V | FIRST},         /* cond */
    {S("сада"), ANY, TENSE, V | FIRST},       /* conc */
    {S("та"), AVL, CASE, 0},                  /* loc */
    {S("ға"), ANY, CASE, 0},                  /* dat */
    {S("ғанша"), ANY, TENSE, V},              /* until */
    {S("қа"), AC, CASE, 0},                   /* dat */
    {S("қанша"), AVL, TENSE, V},              /* until */
    {S("бе"), AC, NEG, V | NV},               /* neg */
    {S("ге"), ANY, CASE, 0},                  /* dat */
    {S("генше"), ANY, TENSE, V},              /* until */
    {S("де"), ANY, CASE, 0},                  /* loc */
    {S("е"), AP12, CASE, 0},                  /* dat */
    {S("е"), AC, TENSE, V | VRS | FIRST},     /* converb */
    {S("ке"), AC, CASE, 0},                   /* dat */
    {S("кенше"), AVL, TENSE, V},              /* until */
    {S("ме"), ANY, NEG, V | NV},              /* neg */
    {S("нде"), AP3, CASE, 0},                 /* loc */
    {S("не"), AP3, CASE, 0},                  /* dat */
    {S("пе"), AC, NEG, V | NV},               /* neg */
    {S("се"), ANY, TENSE, V | FIRST},         /* cond */
    {S("седе"), ANY, TENSE, V | FIRST},       /* conc */
    {S("те"), AVL, CASE, 0},                  /* loc */
    {S("амыз"), AC, FIN, V | VR1},            /* pres */
    {S("асыз"), AC, FIN, V | VR1},            /* pres */
    {S("быз"), AC, PERS, B},                  /* pers */
    {S("біз"), AC, PERS, B},                  /* pers */
    {S("гіз"), ANY, CAUS, V | NV},            /* caus */
    {S("гіміз"), ANY, FIN, V | VR1},          /* desid */
    {S("дыңыз"), ANY, FIN, V},                /* past */
    {S("діңіз"), ANY, FIN, V},                /* past */
    {S("еміз"), AC, FIN, V | VR1},            /* pres */
    {S("есіз"), AC, FIN, V | VR1},            /* pres */
    {S("имыз"), AC, FIN, V | AI},             /* pres */
    {S("иміз"), AC, FIN, V | AI},             /* pres */
    {S("ймыз"), AV, FIN, V},                  /* pres */
    {S("йміз"), AV, FIN, V},                  /* pres */
    {S("йсыз"), AV, FIN, V},                  /* pres */
    {S("йсіз"), AV, FIN, V},                  /* pres */
    {S("кіз"), AC, CAUS, V | NV},             /* caus */
    {S("мыз"), ANY, PERS, B},                 /* pers */
    {S("міз"), ANY, PERS, B},                 /* pers */
    {S("пыз"), AC, PERS, B},                  /* pers */
    {S("піз"), AC, PERS, B},                  /* pers */
    {S("саңыз"), ANY, FIN, V},                /* cond */
    {S("сеңіз"), ANY, FIN, V},                /* cond */
    {S("тыңыз"), AVL, FIN, V},                /* past */
    {S("тіңіз"), AVL, FIN, V},                /* past */
    {S("ымыз"), AC, POSS, 0},                 /* poss */
    {S("ыңыз"), AC, POSS, B},                 /* poss */
    {S("ямыз"), AV, FIN, V | AY},             /* pres */
    {S("ясыз"), AV, FIN, V | AY},             /* pres */
    {S("іміз"), AC, POSS, 0},                 /* poss */
    {S("іңіз"), AC, POSS, B},                 /* poss */
    {S("ғыз"), ANY, CAUS, V | NV},            /* caus */
    {S("ғымыз"), ANY, FIN, V | VR1},          /* desid */
    {S("қыз"), AC, CAUS, V | NV},             /* caus */
    {S("ңыз"), AV, POSS, B},                  /* poss */
    {S("ңіз"), AV, POSS, B},                  /* poss */
    {S("деги"), ANY, CASE, 0},                /* plain */
    {S("бай"), AC, NEG, V | VRS},             /* neg */
    {S("бей"), AC, NEG, V | VRS},             /* neg */
    {S("гей"), ANY, FIN, V | VL},             /* optat */
    {S("дай"), ANY, CASE, 0},                 /* sim */
    {S("дағыдай"), ANY, CASE, 0},             /* sim */
    {S("дегідей"), ANY, CASE, 0},             /* sim */
    {S("дей"), ANY, CASE, 0},                 /* sim */
    {S("кей"), AVL, FIN, V | VL},             /* optat */
    {S("май"), ANY, NEG, V},                  /* neg */
    {S("мей"), ANY, NEG, V},                  /* neg */
    {S("пай"), AC, NEG, V | VRS},             /* neg */
    {S("пей"), AC, NEG, V | VRS},             /* neg */
    {S("тай"), AVL, CASE, 0},                 /* sim */
    {S("тағыдай"), AVL, CASE, 0},             /* sim */
    {S("тегідей"), AVL, CASE, 0},             /* sim */
    {S("тей"), AVL, CASE, 0},                 /* sim */
    {S("ғай"), ANY, FIN, V | VL},             /* optat */
    {S("қай"), AVL, FIN, V | VL},             /* optat */
    {S("айык"), AC, FIN, V | VR1},            /* plain */
    {S("бек"), ANY, TENSE, V},                /* intent */
    {S("дік"), AV, FIN, V},                   /* past */
    {S("дік"), AC, FIN, V | VRS},             /* past */
    {S("ейик"), AC, FIN, V | VR1},            /* plain */
    {S("ейік"), AC, FIN, V | VR1},            /* imp */
    {S("йік"), AV, FIN, V},                   /* imp */
    {S("мек"), ANY, TENSE, V},                /* intent */
    {S("пек"), AC, TENSE, V},                 /* intent */
    {S("сек"), ANY, FIN, V},                  /* cond */
    {S("тік"), AVL, FIN, V | VRS},            /* past */
    {S("л"), AV, VOICE, V | NV | P2},         /* pass */
    {S("ыл"), AC, VOICE, V | NV},             /* pass */
    {S("іл"), AC, VOICE, V | NV},             /* pass */
    {S("ам"), AC, FIN, V | VR1},              /* pres */
    {S("гім"), ANY, FIN, V | VR1},            /* desid */
    {S("дым"), ANY, FIN, V},                  /* past */
    {S("дім"), ANY, FIN, V},                  /* past */
    {S("ем"), AC, FIN, V | VR1},              /* pres */
    {S("йм"), AV, FIN, V},                    /* pres */
    {S("кім"), AC, FIN, V | VR1},             /* desid */
    {S("м"), AV, POSS, PV},                   /* poss */
    {S("сам"), ANY, FIN, V},                  /* cond */
    {S("сем"), ANY, FIN, V},                  /* cond */
    {S("тым"), AVL, FIN, V},                  /* past */
    {S("тім"), AVL, FIN, V},                  /* past */
    {S("ым"), AC, POSS, 0},                   /* poss */
    {S("ям"), AV, FIN, V | AY},               /* pres */
    {S("ім"), AC, POSS, 0},                   /* poss */
    {S("ғым"), ANY, FIN, V | VR1},            /* desid */
    {S("қым"), AC, FIN, V | VR1},             /* desid */
    {S("айын"), AC, FIN, V | VR1},            /* imp */
    {S("амын"), AC, FIN, V | VR1},            /* pres */
    {S("атын"), AC, TENSE, V},                /* part */
    {S("бен"), ANY, CASE, NOH},               /* instr */
    {S("бын"), AC, PERS, B},                  /* pers */
    {S("бін"), AC, PERS, B},                  /* pers */
    {S("ган"), ANY, TENSE, V},                /* plain */
    {S("ген"), ANY, TENSE, V},                /* part */
    {S("гендіктен"), ANY, TENSE, V},          /* because */
    {S("генін"), ANY, TENSE, V},              /* part */
    {S("гесін"), ANY, TENSE, V},              /* since */
    {S("дан"), ANY, CASE, 0},                 /* abl */
    {S("ден"), ANY, CASE, 0},                 /* abl */
    {S("дин"), AC, CASE, 0},                  /* plain */
    {S("дын"), AC, CASE, 0},                  /* plain */
    {S("ейін"), AC, FIN, V | VR1},            /* imp */
    {S("емін"), AC, FIN, V | VR1},            /* pres */
    {S("етін"), AC, TENSE, V},                /* part */
    {S("имын"), AC, FIN, V | AI},             /* pres */
    {S("имін"), AC, FIN, V | AI},             /* pres */
    {S("итын"), AC, TENSE, V | AI},           /* part */
    {S("итін"), AC, TENSE, V | AI},           /* part */
    {S("ймын"), AV, FIN, V},                  /* pres */
    {S("ймін"), AV, FIN, V},                  /* pres */
    {S("йтын"), AV, TENSE, V},                /* part */
    {S("йтін"), AV, TENSE, V},                /* part */
    {S("йын"), AV, FIN, V},                   /* imp */
    {S("йін"), AV, FIN, V},                   /* imp */
    {S("кан"), AC, TENSE, V},                 /* plain */
    {S("кен"), AC, TENSE, V},                 /* part */
    {S("кендіктен"), AVL, TENSE, V},          /* because */
    {S("кенін"), AC, TENSE, V},               /* part */
    {S("кесін"), AC, TENSE, V},               /* since */
    {S("мен"), ANY, CASE, NOH},               /* instr */
    {S("мын"), ANY, PERS, B},                 /* pers */
    {S("мін"), ANY, PERS, B},                 /* pers */
    {S("н"), AP3, CASE, 0},                   /* acc */
    {S("нан"), AVMNN, CASE, 0},               /* abl */
    {S("нен"), AVMNN, CASE, 0},               /* abl */
    {S("нин"), AVMNN, CASE, 0},               /* plain */
    {S("нын"), AVMNN, CASE, 0},               /* plain */
    {S("пен"), AC, CASE, NOH},                /* instr */
    {S("пын"), AC, PERS, B},                  /* pers */
    {S("пін"), AC, PERS, B},                  /* pers */
    {S("сын"), AC, FIN, V},                   /* imp */
    {S("сін"), AC, FIN, V},                   /* imp */
    {S("тан"), AVL, CASE, 0},                 /* abl */
    {S("тен"), AVL, CASE, 0},                 /* abl */
    {S("тин"), AVL, CASE, 0},                 /* plain */
    {S("тын"), AVL, CASE, 0},                 /* plain */
    {S("ын"), AL, VOICE, V | NV},             /* pass */
    {S("ямын"), AV, FIN, V | AY},             /* pres */
    {S("ін"), AL, VOICE, V | NV},             /* pass */
    {S("ған"), ANY, TENSE, V},                /* part */
    {S("ғандықтан"), ANY, TENSE, V},          /* because */
    {S("ғанын"), ANY, TENSE, V},              /* part */
    {S("ғасын"), ANY, TENSE, V},              /* since */
    {S("қан"), AC, TENSE, V},                 /* part */
    {S("қандықтан"), AVL, TENSE, V},          /* because */
    {S("қанын"), AC, TENSE, V},               /* part */
    {S("қасын"), AC, TENSE, V},               /* since */
    {S("п"), AV, TENSE, V | FIRST | P2 | PC}, /* conv */
    {S("ып"), AC, TENSE, V | FIRST},          /* conv */
    {S("іп"), AC, TENSE, V | FIRST},          /* conv */
    {S("ар"), AC, TENSE, V | VRS},            /* aor */
    {S("асыңдар"), AC, FIN, V | VR1},         /* pres */
    {S("дар"), ANY, PL, 0},                   /* pl */
    {S("дер"), ANY, PL, 0},                   /* pl */
    {S("дыр"), ANY, CAUS, V | NV},            /* caus */
    {S("дыңдар"), ANY, FIN, V},               /* past */
    {S("дір"), ANY, CAUS, V | NV},            /* caus */
    {S("діңдер"), ANY, FIN, V},               /* past */
    {S("ер"), AC, TENSE, V | VRS},            /* aor */
    {S("есіңдер"), AC, FIN, V | VR1},         /* pres */
    {S("йсыңдар"), AV, FIN, V},               /* pres */
    {S("йсіңдер"), AV, FIN, V},               /* pres */
    {S("лар"), ANY, PL, 0},                   /* pl */
    {S("лер"), ANY, PL, 0},                   /* pl */
    {S("саңдар"), ANY, FIN, V},               /* cond */
    {S("саңыздар"), ANY, FIN, V},             /* cond */
    {S("сеңдер"), ANY, FIN, V},               /* cond */
    {S("сеңіздер"), ANY, FIN, V},             /* cond */
    {S("сыңдар"), ANY, PERS, B},              /* pers */
    {S("сіңдер"), ANY, PERS, B},              /* pers */
    {S("тар"), AVL, PL, 0},                   /* pl */
    {S("тер"), AVL, PL, 0},                   /* pl */
    {S("тыр"), AC, CAUS, V | NV},             /* caus */
    {S("тір"), AC, CAUS, V | NV},             /* caus */
    {S("ыр"), AC, CAUS, V | NV},              /* caus */
    {S("ыңдар"), AC, FIN, V},                 /* imp */
    {S("ыңыздар"), AC, FIN, V},               /* imp */
    {S("ір"), AC, CAUS, V | NV},              /* caus */
    {S("іңдер"), AC, FIN, V},                 /* imp */
    {S("іңіздер"), AC, FIN, V},               /* imp */
    {S("ңдар"), AV, FIN, V},                  /* imp */
    {S("ңдер"), AV, FIN, V},                  /* imp */
    {S("ңыздар"), AV, FIN, V},                /* imp */
    {S("ңіздер"), AV, FIN, V},                /* imp */
    {S("мас"), ANY, TENSE, V | VRS},          /* negaor */
    {S("мес"), ANY, TENSE, V | VRS},          /* negaor */
    {S("с"), AV, VOICE, V | NV | P2},         /* recip */
    {S("ыс"), AC, VOICE, V | NV},             /* recip */
    {S("іс"), AC, VOICE, V | NV},             /* recip */
    {S("т"), AV, CAUS, V | NV | P2},          /* caus */
    {S("у"), ANY, TENSE, V | VL},             /* vnoun */
    {S("ады"), AC, FIN, V | VR1},             /* pres */
    {S("бақшы"), AC, TENSE, V},               /* intent */
    {S("дагы"), ANY, CASE, 0},                /* plain */
    {S("дағы"), ANY, CASE, 0},                /* loc */
    {S("ды"), AC, CASE, B},                   /* acc */
    {S("ды"), AV, TENSE, V},                  /* past */
    {S("иды"), AC, FIN, V | AI},              /* pres */
    {S("йды"), AV, FIN, V},                   /* pres */
    {S("мақшы"), ANY, TENSE, V},              /* intent */
    {S("ндағы"), AP3, CASE, 0},               /* loc */
    {S("ны"), AV, CASE, 0},                   /* acc */
    {S("пақшы"), AVL, TENSE, V},              /* intent */
    {S("сы"), AV, POSS, PS},                  /* poss */
    {S("тағы"), AVL, CASE, 0},                /* loc */
    {S("ты"), AVL, CASE, B},                  /* acc */
    {S("ушы"), ANY, TENSE, V | VL},           /* agent */
    {S("шы"), ANY, PERS, V | SHY},            /* imp */
    {S("ы"), AC, POSS, 0},                    /* poss */
    {S("ыпты"), AC, FIN, V},                  /* evid */
    {S("яды"), AV, FIN, V | AY},              /* pres */
    {S("ғалы"), ANY, TENSE, V},               /* since */
    {S("ғаны"), ANY, TENSE, V},               /* part */
    {S("ғысы"), ANY, FIN, V | VR1},           /* desid */
    {S("қалы"), AVL, TENSE, V},               /* since */
    {S("қаны"), AC, TENSE, V},                /* part */
    {S("қысы"), AC, FIN, V | VR1},            /* desid */
    {S("ю"), AV, TENSE, V | AY},              /* vnoun */
    {S("бекші"), AC, TENSE, V},               /* intent */
    {S("гелі"), ANY, TENSE, V},               /* since */
    {S("гені"), ANY, TENSE, V},               /* part */
    {S("гісі"), ANY, FIN, V | VR1},           /* desid */
    {S("дегі"), ANY, CASE, 0},                /* loc */
    {S("ді"), AC, CASE, B},                   /* acc */
    {S("ді"), AV, TENSE, V},                  /* past */
    {S("еді"), AC, FIN, V | VR1},             /* pres */
    {S("иді"), AC, FIN, V | AI},              /* pres */
    {S("йді"), AV, FIN, V},                   /* pres */
    {S("келі"), AVL, TENSE, V},               /* since */
    {S("кені"), AC, TENSE, V},                /* part */
    {S("кісі"), AC, FIN, V | VR1},            /* desid */
    {S("мекші"), ANY, TENSE, V},              /* intent */
    {S("ндегі"), AP3, CASE, 0},               /* loc */
    {S("ні"), AV, CASE, 0},                   /* acc */
    {S("пекші"), AVL, TENSE, V},              /* intent */
    {S("сі"), AV, POSS, PS},                  /* poss */
    {S("тегі"), AVL, CASE, 0},                /* loc */
    {S("ті"), AVL, CASE, B},                  /* acc */
    {S("уші"), ANY, TENSE, V | VL},           /* agent */
    {S("ші"), ANY, PERS, V | SHY},            /* imp */
    {S("і"), AC, POSS, 0},                    /* poss */
    {S("іпті"), AC, FIN, V},                  /* evid */
    {S("айық"), AC, FIN, V | VR1},            /* imp */
    {S("бақ"), ANY, TENSE, V},                /* intent */
    {S("дық"), AV, FIN, V},                   /* past */
    {S("дық"), AC, FIN, V | VRS},             /* past */
    {S("йық"), AV, FIN, V},                   /* imp */
    {S("мақ"), ANY, TENSE, V},                /* intent */
    {S("пақ"), AC, TENSE, V},                 /* intent */
    {S("сақ"), ANY, FIN, V},                  /* cond */
    {S("тық"), AVL, FIN, V | VRS},            /* past */
    {S("асың"), AC, FIN, V | VR1},            /* pres */
    {S("гің"), ANY, FIN, V | VR1},            /* desid */
    {S("дың"), AC, CASE, B},                  /* gen */
    {S("дің"), AC, CASE, B},                  /* gen */
    {S("есің"), AC, FIN, V | VR1},            /* pres */
    {S("исың"), AC, FIN, V | AI},             /* pres */
    {S("исің"), AC, FIN, V | AI},             /* pres */
    {S("йсың"), AV, FIN, V},                  /* pres */
    {S("йсің"), AV, FIN, V},                  /* pres */
    {S("ларың"), ANY, POSS, 0},               /* poss */
    {S("ның"), AVMNN, CASE, 0},               /* gen */
    {S("нің"), AVMNN, CASE, 0},               /* gen */
    {S("саң"), ANY, FIN, V},                  /* cond */
    {S("сең"), ANY, FIN, V},                  /* cond */
    {S("сың"), ANY, PERS, B},                 /* pers */
    {S("сің"), ANY, PERS, B},                 /* pers */
    {S("тың"), AVL, CASE, B},                 /* gen */
    {S("тің"), AVL, CASE, B},                 /* gen */
    {S("ың"), AC, POSS, 0},                   /* poss */
    {S("ясың"), AV, FIN, V | AY},             /* pres */
    {S("ің"), AC, POSS, 0},                   /* poss */
    {S("ғың"), ANY, FIN, V | VR1},            /* desid */
    {S("ң"), AV, POSS, PV},                   /* poss */
};

struct word {
    const char *w;
    size_t n;
};

/* Words that end like a suffix but are roots (or are better left whole);
 * sorted by bytes for binary search. */
static const struct word protected_words[] = {
    {S2("адам")},     {S2("азамат")},   {S2("азаматтар")}, {S2("алаң")},     {S2("алматы")},
    {S2("ана")},      {S2("апай")},     {S2("арқылы")},    {S2("ата")},      {S2("ауыл")},
    {S2("аға")},      {S2("ағай")},     {S2("ағайын")},    {S2("ағылшын")},  {S2("бала")},
    {S2("барлығы")},  {S2("бейсенбі")}, {S2("бері")},      {S2("бойынша")},  {S2("былай")},
    {S2("білім")},    {S2("бірақ")},    {S2("бірге")},     {S2("біреу")},    {S2("бүгін")},
    {S2("бұндай")},   {S2("бұрын")},    {S2("бәрі")},      {S2("бәріне")},   {S2("бөлім")},
    {S2("дайын")},    {S2("дейін")},    {S2("дүйсенбі")},  {S2("егер")},     {S2("екен")},
    {S2("екені")},    {S2("енді")},     {S2("ереуіл")},    {S2("ерте")},     {S2("ертен")},
    {S2("ертең")},    {S2("есеп")},     {S2("есім")},      {S2("ешкім")},    {S2("ешқандай")},
    {S2("жайлы")},    {S2("жаксы")},    {S2("жауап")},     {S2("жағдай")},   {S2("жақсы")},
    {S2("жексенбі")}, {S2("жетім")},    {S2("жиын")},      {S2("жоғары")},   {S2("жұма")},
    {S2("және")},     {S2("ислам")},    {S2("кандай")},    {S2("катты")},    {S2("кейде")},
    {S2("кейін")},    {S2("керек")},    {S2("кеше")},      {S2("китап")},    {S2("кілем")},
    {S2("кітап")},    {S2("кәрі")},     {S2("көлем")},     {S2("көрсет")},   {S2("көше")},
    {S2("латын")},    {S2("мектеп")},   {S2("митинг")},    {S2("мойын")},    {S2("мында")},
    {S2("мықты")},    {S2("мүлде")},    {S2("мүлдем")},    {S2("мүмкін")},   {S2("мұнда")},
    {S2("мұндай")},   {S2("нақты")},    {S2("немесе")},    {S2("ойын")},     {S2("олай")},
    {S2("ондай")},    {S2("орда")},     {S2("орын")},      {S2("осы")},      {S2("осындай")},
    {S2("отбасы")},   {S2("разы")},     {S2("рахмет")},    {S2("сайын")},    {S2("салем")},
    {S2("сары")},     {S2("сауда")},    {S2("себебі")},    {S2("себеп")},    {S2("сейсенбі")},
    {S2("секілді")},  {S2("сенбі")},    {S2("сиякты")},    {S2("сияқты")},   {S2("солай")},
    {S2("сонда")},    {S2("сондай")},   {S2("сондықтан")}, {S2("сосын")},    {S2("сынып")},
    {S2("сілтеме")},  {S2("сұлу")},     {S2("сәлем")},     {S2("сәрсенбі")}, {S2("талап")},
    {S2("тамыз")},    {S2("тағам")},    {S2("тағы")},      {S2("тегін")},    {S2("теңге")},
    {S2("туралы")},   {S2("тіпті")},    {S2("тірі")},      {S2("төлем")},    {S2("шағын")},
    {S2("шеру")},     {S2("іні")},      {S2("ірі")},       {S2("ғылым")},    {S2("қазан")},
    {S2("қазір")},    {S2("қала")},     {S2("қалай")},     {S2("қалам")},    {S2("қандай")},
    {S2("қара")},     {S2("қатты")},    {S2("қиын")},      {S2("қосымша")},  {S2("құдай")},
    {S2("үшін")},     {S2("ұмыт")},     {S2("ұқыпты")},    {S2("әкел")},     {S2("әлем")},
    {S2("әрі")},      {S2("әсіресе")},  {S2("өйткені")},   {S2("өлім")},     {S2("өте")},
};

/* One-syllable verb roots: the roots an ending shared with nouns may leave. */
static const struct word verb_roots[] = {
    {S2("айт")}, {S2("ал")},  {S2("ас")},   {S2("ат")},  {S2("аш")},   {S2("ақ")},  {S2("бар")},
    {S2("бас")}, {S2("бат")}, {S2("бақ")},  {S2("бер")}, {S2("бол")},  {S2("біл")}, {S2("біт")},
    {S2("бүк")}, {S2("бұз")}, {S2("бұр")},  {S2("бөл")}, {S2("ез")},   {S2("ек")},  {S2("ен")},
    {S2("ер")},  {S2("ерт")}, {S2("ес")},   {S2("ет")},  {S2("жаз")},  {S2("жай")}, {S2("жап")},
    {S2("жар")}, {S2("жат")}, {S2("жақ")},  {S2("жет")}, {S2("жу")},   {S2("жүз")}, {S2("жүр")},
    {S2("жұл")}, {S2("жұт")}, {S2("ил")},   {S2("кел")}, {S2("кес")},  {S2("кет")}, {S2("кеш")},
    {S2("кие")}, {S2("кір")}, {S2("күй")},  {S2("күл")}, {S2("күт")},  {S2("көм")}, {S2("көр")},
    {S2("көш")}, {S2("піс")}, {S2("сал")},  {S2("сат")}, {S2("сез")},  {S2("сен")}, {S2("сор")},
    {S2("соқ")}, {S2("сыз")}, {S2("сын")},  {S2("сүз")}, {S2("сүй")},  {S2("сүр")}, {S2("сөк")},
    {S2("сөн")}, {S2("тап")}, {S2("тарт")}, {S2("тас")}, {S2("тат")},  {S2("тер")}, {S2("тол")},
    {S2("тос")}, {S2("тоқ")}, {S2("тоң")},  {S2("тый")}, {S2("тіз")},  {S2("тік")}, {S2("түз")},
    {S2("түй")}, {S2("түс")}, {S2("тұн")},  {S2("тұр")}, {S2("тұт")},  {S2("төз")}, {S2("төк")},
    {S2("шап")}, {S2("шаш")}, {S2("шақ")},  {S2("шек")}, {S2("шеш")},  {S2("шол")}, {S2("шош")},
    {S2("шық")}, {S2("іл")},  {S2("іш")},   {S2("қаз")}, {S2("қайт")}, {S2("қал")}, {S2("қап")},
    {S2("қаш")}, {S2("қақ")}, {S2("қой")},  {S2("қон")}, {S2("қос")},  {S2("қу")},  {S2("қуа")},
    {S2("қыл")}, {S2("қыр")}, {S2("қыс")},  {S2("ұй")},  {S2("ұр")},   {S2("ұт")},  {S2("ұш")},
    {S2("ұқ")},  {S2("өл")},  {S2("өр")},   {S2("өс")},  {S2("өт")},   {S2("өш")},
};

/* Pronouns whose root changes (мен -> маған); sorted by form. */
static const struct {
    const char *w;
    size_t n;
    const char *root;
    size_t rn;
} irregular[] = {
    {S2("бұдан"), S2("бұл")},   {S2("бұны"), S2("бұл")},  {S2("бұның"), S2("бұл")},
    {S2("бұған"), S2("бұл")},   {S2("жатыр"), S2("жат")}, {S2("маған"), S2("мен")},
    {S2("менде"), S2("мен")},   {S2("менен"), S2("мен")}, {S2("мені"), S2("мен")},
    {S2("менің"), S2("мен")},   {S2("мұны"), S2("бұл")},  {S2("мұның"), S2("бұл")},
    {S2("одан"), S2("ол")},     {S2("онда"), S2("ол")},   {S2("оны"), S2("ол")},
    {S2("онымен"), S2("ол")},   {S2("оның"), S2("ол")},   {S2("осыдан"), S2("осы")},
    {S2("осында"), S2("осы")},  {S2("осыны"), S2("осы")}, {S2("осының"), S2("осы")},
    {S2("осыған"), S2("осы")},  {S2("оған"), S2("ол")},   {S2("саған"), S2("сен")},
    {S2("сенде"), S2("сен")},   {S2("сенен"), S2("сен")}, {S2("сені"), S2("сен")},
    {S2("сенің"), S2("сен")},   {S2("содан"), S2("сол")}, {S2("соны"), S2("сол")},
    {S2("сонымен"), S2("сол")}, {S2("соның"), S2("сол")}, {S2("соған"), S2("сол")},
};

#endif
