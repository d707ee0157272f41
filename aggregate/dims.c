/* dims.c -- placeholder, being written. */
