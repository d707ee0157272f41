/*
 * pipeline_test.h -- for tests only: the block of facts (fblock.h), which
 * carries analysed posts from the walkers and the stream loop to the
 * applier thread, and nothing else.
 *
 * Programs use pipeline.h.  This header is the tests' narrow door into the
 * module (STYLE.md 11): the build copies it, with fblock.h, where only the
 * programs under tests/ look (tests/fuzz/meson.build: fuzz_fblock reads any
 * bytes as a block), and tests/check_includes.sh rejects it anywhere else.
 */
#ifndef KZ_PIPELINE_TEST_H
#define KZ_PIPELINE_TEST_H

#include "fblock.h"

#endif /* KZ_PIPELINE_TEST_H */
