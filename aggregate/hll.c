/* hll.c -- placeholder, being written. */
