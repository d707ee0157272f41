/*
 * ingest_test.h -- for tests only: the switch between ingest's two JSON
 * decoders and a count of what the fast one read, and nothing else.
 *
 * Programs use ingest.h.  This header is the tests' narrow door into the
 * module (STYLE.md 11): the build copies it where only the programs under
 * tests/ look (tests/meson.build, tests/fuzz/meson.build), and
 * tests/check_includes.sh rejects it anywhere else.
 *
 * A decoder reads each record in one pass without a DOM (ingest/pull.c) and
 * gives jansson the records that pass leaves to it; with the switch on it
 * gives jansson every record, as before the pull decoder existed.  The
 * differential tests (test_ingest_pull.c, fuzz/fuzz_decode_diff.c) run one
 * decoder of each kind over the same records and demand the same outcome.
 */
#ifndef KZ_INGEST_TEST_H
#define KZ_INGEST_TEST_H

#include "ingest.h"

/* on != 0: jansson reads every record of dec (the reference decoder). */
void ingest_decoder_use_dom(struct ingest_decoder *dec, int on);

/* How many records dec read through the tape alone, jansson untouched. */
uint64_t ingest_decoder_pulled(const struct ingest_decoder *dec);

#endif /* KZ_INGEST_TEST_H */
