/*
 * stem_kk.c -- a Kazakh suffix stripper for nouns and verbs.
 *
 * Kazakh is agglutinative.  A noun takes plural, possessive, case and
 * predicative personal endings in that order (бала-лар-ымыз-ға "to our
 * children"); a verb takes voice (passive, reflexive, reciprocal, causative),
 * negation, tense or aspect, mood and person (жаз-ыл-ма-ды "was not
 * written", бар-а-мын "I go", кел-ме-се "if he does not come"), and its
 * participles and verbal nouns (-ған, -атын, -у, -ушы) then decline like
 * nouns (ал-ған-ым-а "to my having bought").  Every ending comes in several
 * forms chosen by vowel harmony (back а о ұ ы / front ә е ө ү і) and by the
 * last sound of the stem (-лар after vowels, р у й; -дар after voiced
 * consonants; -тар after voiceless).
 *
 * One table holds both chains.  Each suffix has a slot, its place in the
 * order of attachment counted from the root (causative 1, passive and
 * reciprocal 2, negation 3, tense/aspect/verbal noun 4, fused finite endings
 * 5, plural 6, possessive 7, case 8, personal 9); we strip from the end, at
 * each round the longest suffix whose conditions hold, and each round must go
 * to a strictly smaller slot (one case, one possessive a word), so a
 * participle may sit under a case (бар-ған-да) but a case never under a
 * plural.  The conditions keep the stripper honest:
 *   - vowel harmony: a back suffix only after a root whose last vowel is back
 *     (or neutral, as in Russian loans: митинг-ке), and so on;
 *   - the sound before the suffix (-сы, -ның only after a vowel; -ы, -ым
 *     only after a consonant; -на only after the possessive -ы/-і);
 *   - the inner verbal suffixes (negation, voice, causative) only right
 *     after a verbal suffix (or an ending that may be verbal, as -ды is
 *     past tense and accusative), so жиналыс "meeting" keeps its -ыс while
 *     жинал-ды loses -л;
 *   - endings that nouns end in too (present -ады, aorist -ар, converb -а,
 *     -ып, past plural -дық) only when what remains can be a verb: a
 *     one-syllable root from the list of monosyllabic verb roots (бар, ал,
 *     кел...), and for some a longer one that ends as a verb can (ұна-ды,
 *     not ұн-ады: no verb ұн; жинал-ады);
 *   - a guard against over-cutting by syllables: a root keeps a vowel, and a
 *     root of one syllable ends in a consonant (ел-дің, үй-ге, but not
 *     бо-л from бол); and a list of protected words that merely end like a
 *     suffix (білім, жақсы, ертең, кітап) is never cut;
 *   - pronouns that change their root (маған, оның) are looked up whole.
 * Root alternations are undone after a vowel-initial suffix: a final б/г/ғ
 * returns to п/к/қ (кітабы -> кітап, жүрегі -> жүрек, тарағы -> тарақ),
 * a dropped high vowel comes back (аузы -> ауыз, орны -> орын, халқы ->
 * халық, қорқады -> қорық), й before а/у is written я/ю (қояды, қою ->
 * қой), и is ый/ій (оқиды -> оқы), and тау-ып/жау-ып are тап/жап.  Suffixes
 * are also listed in their "plain" spellings (-га, -нын) because many people
 * type Kazakh without its special letters.  Input is a case-folded Cyrillic
 * word in UTF-8 (Latin-script Kazakh is transliterated before, translit.c).
 * References: Krippes, "Kazakh Grammar with Affix List" (1993); the endings
 * tables of Muhamedowa, "Kazakh: A Comprehensive Grammar" (2016).
 */
#include <string.h>

#include "nlp_int.h"

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

static bool is_vowel(int32_t cp)
{
    switch (cp) {
    case 0x430: /* а */
    case 0x435: /* е */
    case 0x438: /* и */
    case 0x43E: /* о */
    case 0x443: /* у */
    case 0x44B: /* ы */
    case 0x44D: /* э */
    case 0x44E: /* ю */
    case 0x44F: /* я */
    case 0x451: /* ё */
    case 0x4D9: /* ә */
    case 0x4E9: /* ө */
    case 0x4AF: /* ү */
    case 0x4B1: /* ұ */
    case 0x456: /* і */
        return true;
    default:
        return false;
    }
}

/* +1 back, -1 front, 0 neutral or none. */
static int harmony(int32_t cp)
{
    switch (cp) {
    case 0x430:
    case 0x43E:
    case 0x4B1:
    case 0x44B: /* а о ұ ы */
        return 1;
    case 0x4D9:
    case 0x435:
    case 0x4E9:
    case 0x4AF:
    case 0x456: /* ә е ө ү і */
        return -1;
    default:
        return 0;
    }
}

/* Suffixes are a few bytes: an inline loop beats a call to memcmp. */
static inline bool bytes_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Decode the code points of w (Cyrillic is two bytes each, but be general). */
static size_t decode(const char *w, size_t n, int32_t *cps, size_t *offs, size_t cap)
{
    size_t i = 0, k = 0;

    while (i < n && k < cap) {
        offs[k] = i;
        int32_t cp = nlp_utf8_get(w, n, &i);
        cps[k++] = cp;
    }
    offs[k] = i;
    return i == n ? k : 0;
}

static int suffix_harmony(const char *s, size_t n)
{
    size_t i = 0;
    int h = 0;

    while (i < n) {
        int x = harmony(nlp_utf8_get(s, n, &i));
        if (x)
            h = x;
    }
    return h;
}

static int word_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : an < bn ? -1 : an > bn;
}

static bool in_list(const struct word *list, size_t len, const char *w, size_t n)
{
    size_t lo = 0, hi = len;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = word_cmp(list[mid].w, list[mid].n, w, n);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static bool is_protected(const char *w, size_t n)
{
    return in_list(protected_words, KZ_ARRAY_LEN(protected_words), w, n);
}

/* A vowel letter that is a vowel here: у and и after a vowel are the glides
 * w and y (тау, ай), consonants for the rules. */
static bool vowel_at(const int32_t *cps, size_t k)
{
    if (!is_vowel(cps[k]))
        return false;
    return !((cps[k] == 0x443 || cps[k] == 0x438) && k > 0 && is_vowel(cps[k - 1]));
}

static size_t syllables(const int32_t *cps, size_t len)
{
    size_t s = 0;

    for (size_t k = 0; k < len; k++)
        s += vowel_at(cps, k);
    return s;
}

/* The guard against over-cutting: a root keeps a vowel, and a root of one
 * syllable ends in a consonant and has two letters at least (ел, үй, but no
 * бо from бол, no су from су-ы). */
static bool root_ok(const int32_t *cps, size_t len)
{
    size_t syl = syllables(cps, len);

    if (syl == 0)
        return false;
    return syl >= 2 || (len >= 2 && !vowel_at(cps, len - 1));
}

/*
 * Final consonant pairs a root may end in (айт, тарт, ұлт, ант, дос-т, and
 * loans: банк, митинг, факт, баланс).  Any other pair of consonants at the
 * end is a sign the cut went wrong (ойн-ады for ойна-ды) or a high vowel was
 * dropped before a vowel-initial suffix (аузы: ауыз).
 */
static bool final_pair_ok(int32_t a, int32_t b)
{
    static const int32_t ok[][2] = {
        {0x440, 0x442}, {0x439, 0x442}, {0x43B, 0x442}, {0x43D, 0x442}, /* рт йт лт нт */
        {0x441, 0x442}, {0x43D, 0x43A}, {0x43D, 0x433}, {0x43A, 0x442}, /* ст нк нг кт */
        {0x440, 0x441}, {0x43D, 0x441}, {0x43D, 0x434}, {0x440, 0x434}, /* рс нс нд рд */
        {0x439, 0x43A},                                                 /* йк */
    };

    if (a == 0x44C || b == 0x44C || a == 0x44A || b == 0x44A)
        return true; /* ь ъ: a Russian loan */
    for (size_t i = 0; i < KZ_ARRAY_LEN(ok); i++)
        if (ok[i][0] == a && ok[i][1] == b)
            return true;
    return false;
}

static bool ends_in_bad_pair(const int32_t *cps, size_t len)
{
    return len >= 2 && !vowel_at(cps, len - 1) && !vowel_at(cps, len - 2) &&
           !final_pair_ok(cps[len - 2], cps[len - 1]);
}

/* UTF-8 of cps[0..len) with its last letter replaced by last (if not 0). */
static size_t encode(const int32_t *cps, size_t len, int32_t last, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t k = 0; k < len && o + 4 <= cap; k++)
        o += nlp_utf8_put(out + o, k + 1 == len && last ? last : cps[k]);
    return o;
}

static int32_t devoiced(int32_t cp)
{
    return cp == 0x431 ? 0x43F : cp == 0x433 ? 0x43A : cp == 0x493 ? 0x49B : 0; /* б г ғ */
}

/* cps[0..len) (its last letter devoiced when voiced is set) is a listed
 * one-syllable verb root. */
static bool listed_verb(const int32_t *cps, size_t len, bool voiced)
{
    char buf[32];
    int32_t last = voiced && len ? devoiced(cps[len - 1]) : 0;
    size_t n;

    if (len > 6 || syllables(cps, len) != 1)
        return false;
    n = encode(cps, len, last, buf, sizeof(buf));
    return in_list(verb_roots, KZ_ARRAY_LEN(verb_roots), buf, n);
}

/* A dropped high vowel can come back: a vowel, then р л у й, then н з қ к
 * (орн-ы, ауз-ы, халқ-ы, ерк-і); before a verbal suffix only қ к (қорқ-ады,
 * not ойн-ады). */
static bool dropped_vowel(const int32_t *cps, size_t root, bool verbal)
{
    int32_t a, b;

    if (root < 3 || !vowel_at(cps, root - 3))
        return false;
    a = cps[root - 2];
    b = cps[root - 1];
    if (!(a == 0x440 || a == 0x43B || a == 0x443 || a == 0x439) || (a == 0x439 && b == 0x43A))
        return false;
    return b == 0x49B || b == 0x43A || (!verbal && (b == 0x43D || b == 0x437));
}

/* VR1: a listed verb root, or a longer root that ends as verbs can (in a
 * consonant, not in a pair no root ends in). */
static bool verb_ok(const int32_t *cps, size_t len, bool voiced)
{
    int32_t last = cps[len - 1];

    if (ends_in_bad_pair(cps, len) && dropped_vowel(cps, len, true))
        return true; /* қорқ-ады: қорық */
    if (syllables(cps, len) == 1)
        return listed_verb(cps, len, voiced);
    /* ұна-ма-ды, not ұнам-ады: the negative present is -май-ды; and
     * қала-да-сың, not қалад-асың: no verb of two syllables ends in д */
    if ((last == 0x43C || last == 0x431 || last == 0x43F) && vowel_at(cps, len - 2))
        return false;
    if (last == 0x434)
        return false;
    return !vowel_at(cps, len - 1) && !ends_in_bad_pair(cps, len);
}

static bool cond_ok(int cond, const int32_t *cps, size_t root)
{
    int32_t last = cps[root - 1];

    switch (cond) {
    case AV:
        return vowel_at(cps, root - 1) && last != 0x443;
    case AC:
        return !vowel_at(cps, root - 1) || last == 0x443;
    case AVMNN:
        return vowel_at(cps, root - 1) || last == 0x43C || last == 0x43D || last == 0x4A3;
    case AP3:
        return last == 0x44B || last == 0x456;
    case AP12: /* -ым/-ім/-ың/-ің: дос-ым-а; not бағдарла-м-а */
        return (last == 0x43C || last == 0x4A3) && root >= 3 &&
               (cps[root - 2] == 0x44B || cps[root - 2] == 0x456);
    case AL:
        return last == 0x43B;
    case AVL:
        switch (last) {
        case 0x43F: /* п */
        case 0x442: /* т */
        case 0x43A: /* к */
        case 0x433: /* г: a loan, флаг-тар */
        case 0x49B: /* қ */
        case 0x441: /* с */
        case 0x448: /* ш */
        case 0x449: /* щ */
        case 0x444: /* ф */
        case 0x445: /* х */
        case 0x446: /* ц */
        case 0x447: /* ч */
            return true;
        default:
            return false;
        }
    default:
        return true;
    }
}

/* -шы/-ші: after an imperative plural or polite form (-ңдар-шы, -ңыз-шы);
 * not the agent noun of жұмыс-шы, басшы. */
static bool shy_ok(const int32_t *cps, size_t root)
{
    if (root >= 3 && cps[root - 1] == 0x440 && cps[root - 3] == 0x434) /* -дар/-дер */
        return true;
    return root >= 3 && cps[root - 1] == 0x437 && cps[root - 3] == 0x4A3; /* -ңыз */
}

/* Compare the last two bytes of a suffix with a two-byte key. */
static int last2_cmp(const struct sfx *x, const unsigned char *key)
{
    const unsigned char *p = (const unsigned char *)x->s + x->len - 2;
    return p[0] != key[0] ? p[0] - key[0] : p[1] - key[1];
}

int nlp_stem_kk_check_tables(void)
{
    for (size_t i = 1; i < KZ_ARRAY_LEN(suffixes); i++) {
        const struct sfx *a = &suffixes[i - 1], *b = &suffixes[i];
        if (a->len < 2 || b->len < 2 || a->len % 2 || b->len % 2 ||
            last2_cmp(a, (const unsigned char *)b->s + b->len - 2) > 0)
            return -(int)i;
    }
    for (size_t i = 1; i < KZ_ARRAY_LEN(protected_words); i++)
        if (strcmp(protected_words[i - 1].w, protected_words[i].w) >= 0)
            return -1000 - (int)i;
    for (size_t i = 1; i < KZ_ARRAY_LEN(verb_roots); i++)
        if (strcmp(verb_roots[i - 1].w, verb_roots[i].w) >= 0)
            return -2000 - (int)i;
    for (size_t i = 1; i < KZ_ARRAY_LEN(irregular); i++)
        if (strcmp(irregular[i - 1].w, irregular[i].w) >= 0)
            return -3000 - (int)i;
    return 0;
}

/* The range of suffixes whose last letter is the word's last letter. */
static void suffix_range(const unsigned char *key, size_t *lo_out, size_t *hi_out)
{
    size_t lo = 0, hi = KZ_ARRAY_LEN(suffixes), l2, h2;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (last2_cmp(&suffixes[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    l2 = lo;
    h2 = KZ_ARRAY_LEN(suffixes);
    while (lo < h2) {
        size_t mid = (lo + h2) / 2;
        if (last2_cmp(&suffixes[mid], key) <= 0)
            lo = mid + 1;
        else
            h2 = mid;
    }
    *lo_out = l2;
    *hi_out = h2;
}

/* What a word has been cut to: cps[0..keep) and then up to two letters. */
struct cut {
    size_t keep;
    int32_t tail[2];
};

/* May suffix x come off cps[0..len) here?  ctx: the flags of the suffix cut
 * just before (0 for none), slot: the slot it had. */
static bool may_strip(const struct sfx *x, const int32_t *cps, const int8_t *hv, size_t len,
                      unsigned slot, unsigned ctx)
{
    size_t root = len - x->len / 2;
    bool vinit;
    int h;

    if (x->slot >= slot || root < 1)
        return false;
    if ((x->flags & FIRST) && slot != TOP)
        return false;
    if ((x->flags & NV) && !(ctx & (V | B)))
        return false;
    if (!cond_ok(x->cond, cps, root))
        return false;
    h = x->flags & NOH ? 0 : suffix_harmony(x->s, x->len);
    /* a front suffix after a back loan that ends in к or г: банк-ке, митинг-ке */
    if (h && hv[root] && h != hv[root] &&
        !(h < 0 && (cps[root - 1] == 0x43A || cps[root - 1] == 0x433)))
        return false;
    if ((x->flags & PV) && (cps[root - 1] == 0x44B || cps[root - 1] == 0x456 ||
                            cps[root - 1] == 0x438 || cps[root - 1] == 0x443))
        return false;
    if ((x->flags & PS) && root >= 2 && (cps[root - 1] == 0x44B || cps[root - 1] == 0x456)) {
        int32_t p = cps[root - 2]; /* ш ғ г қ к */
        if (!(p == 0x448 || p == 0x493 || p == 0x433 || p == 0x49B || p == 0x43A))
            return false;
    }
    /* dative -а/-е after a possessive -ым/-ің that can itself come off
     * (дос-ым-а; not әңгім-е) */
    if (x->cond == AP12 && (!root_ok(cps, root - 2) || ends_in_bad_pair(cps, root - 2)))
        return false;
    /* -стан is a place-name ending (Қазақстан), not ablative -тан. */
    if (cps[root - 1] == 0x441 && x->len == 6 &&
        (bytes_eq(x->s, "тан", 6) || bytes_eq(x->s, "тен", 6)))
        return false;
    if (x->flags & (AY | AI))
        return root_ok(cps, root) || syllables(cps, root) >= 1;
    if (!root_ok(cps, root))
        return false;
    vinit = is_vowel(cps[root]);
    if ((x->flags & VRS) && !listed_verb(cps, root, vinit))
        return false;
    if ((x->flags & VR1) && !verb_ok(cps, root, vinit))
        return false;
    if ((x->flags & P2) && syllables(cps, root) < 2)
        return false;
    if (x->flags & PC) {
        int32_t l = cps[root - 1], p = cps[root - 2];
        if (!(l == 0x44B || l == 0x456 ||
              ((l == 0x430 || l == 0x435) &&
               (p == 0x43B || p == 0x434 || p == 0x442 || p == 0x43D || p == 0x440 || p == 0x441))))
            return false;
    }
    if ((x->flags & SHY) && !shy_ok(cps, root))
        return false;
    /* Voice, causative and verbal nouns leave a verb: a listed one if it is
     * short. */
    if ((x->slot == VOICE || x->slot == CAUS || (x->flags & VL)) && syllables(cps, root) == 1 &&
        !listed_verb(cps, root, vinit))
        return false;
    /* After an ending that may be nominal (-ды, -дың), only the passive
     * (жаз-ыл-ды, сал-ын-ды, жаса-л-ды) and the causative of a listed root
     * (жет-кіз-ді), but not уақы-т-ты, облы-с-тың, тапсыр-ыс-ты. */
    if ((x->slot == VOICE || x->slot == CAUS) && !(ctx & V)) {
        char e = x->s[x->len - 1];
        bool passive = x->slot == VOICE && (e == (char)0xBB || e == (char)0xBD); /* л н */
        if (x->len == 2 ? !(passive && (cps[root - 1] == 0x430 || cps[root - 1] == 0x435))
                        : !(passive || (x->slot == CAUS && listed_verb(cps, root, false))))
            return false;
    }
    /* Reciprocal -с only after а/е (сөйле-с), causative -т only after а е ы і
     * (ойна-т, оқы-т). */
    if (x->len == 2 && (x->slot == VOICE || x->slot == CAUS) && x->s[1] != (char)0xBB) {
        int32_t l = cps[root - 1];
        if (!(l == 0x430 || l == 0x435 || (x->slot == CAUS && (l == 0x44B || l == 0x456))))
            return false;
    }
    /* No root ends in two consonants such as йн, сш: ойн-ады is ойна-ды,
     * жұмысш-ы is жұмысшы; but a dropped vowel may come back (орн-ы). */
    if (ends_in_bad_pair(cps, root) && (x->flags & V ? x->slot >= TENSE : vinit) &&
        !(vinit && dropped_vowel(cps, root, x->flags & V)))
        return false;
    return true;
}

/* After cutting a suffix down to cps[0..root): undo what the suffix did to
 * the root.  Returns true when the root is final (nothing more comes off). */
static bool undo_alternation(const struct sfx *x, const int32_t *cps, const int8_t *hv, size_t root,
                             struct cut *c)
{
    int32_t last = cps[root - 1], high = hv[root] < 0 ? 0x456 : 0x44B; /* і or ы */
    bool vinit = is_vowel(cps[root]) && !(x->flags & AY);

    c->keep = root;
    c->tail[0] = c->tail[1] = 0;
    if (x->flags & AY) {
        c->tail[0] = 0x439; /* й */
        return true;
    }
    if (x->flags & AI) {
        c->tail[0] = high;
        return true;
    }
    if (!vinit)
        return false;
    if (devoiced(last)) {
        c->keep = root - 1;
        c->tail[0] = devoiced(last);
        return true;
    }
    /* тау-ып, жау-ып: тап, жап */
    if (root == 3 && last == 0x443 && is_vowel(cps[1]) && x->len == 4 && x->s[2] == (char)0xD0 &&
        x->s[3] == (char)0xBF) {
        c->keep = 2;
        c->tail[0] = 0x43F;
        return true;
    }
    /* A dropped high vowel: орн-ы -> орын, ауз-ы -> ауыз, қорқ-ады -> қорық. */
    if (ends_in_bad_pair(cps, root) && dropped_vowel(cps, root, x->flags & V)) {
        c->keep = root - 1;
        c->tail[0] = high;
        c->tail[1] = last;
        return true;
    }
    return false;
}

static size_t copy_out(const char *w, size_t n, char *out, size_t cap)
{
    n = n < cap ? n : cap;
    memcpy(out, w, n);
    return n;
}

static const char *irregular_root(const char *w, size_t n, size_t *rn)
{
    size_t lo = 0, hi = KZ_ARRAY_LEN(irregular);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = word_cmp(irregular[mid].w, irregular[mid].n, w, n);
        if (c == 0) {
            *rn = irregular[mid].rn;
            return irregular[mid].root;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t nlp_stem_kk(const char *w, size_t n, char *out, size_t cap)
{
    int32_t cps[64];
    size_t offs[65], ncp, len, o;
    int8_t hv[65]; /* hv[k]: harmony of the last harmonic vowel in cps[0..k) */
    unsigned slot = TOP, ctx = 0;
    struct cut c = {0, {0, 0}};
    const char *irr;

    if (n >= 60 * 2 || n < 6 || is_protected(w, n))
        return copy_out(w, n, out, cap);
    if ((irr = irregular_root(w, n, &o)) != NULL)
        return copy_out(irr, o, out, cap);
    ncp = decode(w, n, cps, offs, 63);
    if (ncp < 3)
        return copy_out(w, n, out, cap);
    hv[0] = 0;
    for (size_t k = 0; k < ncp; k++) {
        int h = harmony(cps[k]);
        hv[k + 1] = (int8_t)(h ? h : hv[k]);
    }
    len = ncp;
    c.keep = len;
    for (;;) {
        const struct sfx *best = NULL;
        size_t lo, hi;

        if (offs[len] - offs[len - 1] != 2)
            break; /* every suffix ends in a two-byte Cyrillic letter */
        suffix_range((const unsigned char *)w + offs[len] - 2, &lo, &hi);
        for (size_t i = lo; i < hi; i++) {
            const struct sfx *x = &suffixes[i];

            if (x->len >= offs[len] || !bytes_eq(w + offs[len] - x->len, x->s, x->len))
                continue;
            bool prot;

            if (!may_strip(x, cps, hv, len, slot, ctx))
                continue;
            /* ойын-да, ойын-ы: a nominal ending that leaves a protected word
             * wins (not one that may be verbal: бер-іңіз, not бері-ңіз) */
            prot = x->slot >= PL && x->slot <= CASE && !(x->flags & B) &&
                   is_protected(w, offs[len - x->len / 2]);
            if (best && x->len <= best->len && !prot)
                continue;
            best = x;
            if (prot)
                break;
        }
        if (!best)
            break;
        len -= best->len / 2;
        slot = best->slot;
        ctx = best->flags;
        if (undo_alternation(best, cps, hv, len, &c))
            break;
        if (is_protected(w, offs[len]))
            break;
    }
    if (c.keep == len && !c.tail[0]) {
        if ((irr = irregular_root(w, offs[len], &o)) != NULL)
            return copy_out(irr, o, out, cap); /* жатыр-мын: жат */
        return copy_out(w, offs[len], out, cap);
    }
    o = copy_out(w, offs[c.keep], out, cap);
    for (int k = 0; k < 2 && c.tail[k] && o + 4 <= cap; k++)
        o += nlp_utf8_put(out + o, c.tail[k]);
    return o;
}

/*
 * The converb before an auxiliary: in бара жатыр, ойнай отыр, күле тұр the
 * first word is the verb with its converb -а/-е/-й, which alone could as well
 * be a noun (жинала, ойнай; a root of one syllable must still be a listed
 * verb: кеме тұр is "the ship stands").  The analyzer calls this for a word followed by a
 * form of жатыр, отыр, тұр or жүр; returns the byte length of the verb root,
 * or n when the word does not end as such a converb.
 */
size_t nlp_stem_kk_converb(const char *w, size_t n)
{
    int32_t cps[64];
    size_t offs[65], ncp;
    int32_t last;

    if (n >= 60 * 2 || n < 6 || is_protected(w, n))
        return n;
    ncp = decode(w, n, cps, offs, 63);
    if (ncp < 3)
        return n;
    last = cps[ncp - 1];
    if (last == 0x430 || last == 0x435) { /* а е after a consonant: бар-а, кел-е */
        int h = harmony(last), rh = 0;
        for (size_t k = 0; k + 1 < ncp; k++)
            rh = harmony(cps[k]) ? harmony(cps[k]) : rh;
        if (vowel_at(cps, ncp - 2) || !root_ok(cps, ncp - 1) || ends_in_bad_pair(cps, ncp - 1) ||
            (rh && rh != h))
            return n;
        if (syllables(cps, ncp - 1) == 1 && !listed_verb(cps, ncp - 1, false))
            return n; /* кеме тұр: the ship stands */
        if (cps[ncp - 2] == 0x43B && (cps[ncp - 3] == 0x430 || cps[ncp - 3] == 0x435) &&
            syllables(cps, ncp - 2) >= 2)
            return offs[ncp - 2]; /* the passive under it: жина-л-а */
        return offs[ncp - 1];
    }
    if (last == 0x439 && ncp >= 4 && syllables(cps, ncp - 1) >= 2 &&
        (cps[ncp - 2] == 0x430 || cps[ncp - 2] == 0x435)) /* ойна-й, сөйле-й */
        return offs[ncp - 1];
    return n;
}
