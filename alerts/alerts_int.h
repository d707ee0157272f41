/*
 * alerts_int.h -- what the files of alerts/ share and no other module sees:
 * the rule fields' order (rules.c's table, rules_write.c's writer) and the
 * helpers both use.
 */
#ifndef KZ_ALERTS_INT_H
#define KZ_ALERTS_INT_H

#include "alerts.h"

/* The keys of a rule table, in the canonical writer's order. */
enum alerts_field {
    F_ID = 0,
    F_KIND,
    F_REGION,
    F_TOPIC,
    F_STANCE,
    F_OF,
    F_TERM,
    F_HASHTAG,
    F_WINDOW,
    F_BASELINE_WEEKS,
    F_MIN_COUNT,
    F_MIN_AUTHORS,
    F_THRESHOLD,
    F_SEVERITY,
    F_COOLDOWN,
    F_RESOLVE_AFTER,
    F_RESOLVE_ABOVE,
    F_ENABLED,
    F_DESCRIPTION,
    FIELD_COUNT
};

/* The key naming a kind's subject ("topic", "stance", ...), NULL for call. */
const char *alerts_kind_subject(enum alerts_kind k);
/* Free a rule's strings and zero it. */
void alerts_rule_clear(struct alerts_rule *r);

#endif /* KZ_ALERTS_INT_H */
