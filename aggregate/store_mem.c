/* store_mem.c -- placeholder, being written. */
